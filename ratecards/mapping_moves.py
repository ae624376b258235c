"""Moving a country to another market from a date, and what counts as rewriting the mapping's history.

A move ends every rule that maps the country on that date the day before, and starts a rule for each
of its prefixes with the new market from that date (to where the old rule ended): one transaction,
checked as a whole. Meta moves countries between markets on a date (Zimbabwe in 2025; Hong Kong,
Singapore... in 2026); editing the old rule instead would rebill every earlier day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from ratecards.models import CardStatus, Market, MarketMapping, RateCard


@dataclass
class Move:
    iso2: str
    country: str
    market: Market
    on: date
    ending: list[MarketMapping]  # rules in force on the date, ended the day before
    changing: list[MarketMapping]  # rules that start on the date itself: their market changes
    starting: list[MarketMapping]  # the new rules, not saved yet
    warnings: list[str] = field(default_factory=list)

    @property
    def day_before(self) -> date:
        return self.on - timedelta(days=1)


def plan_move(iso2: str, market: Market, on: date, today: date) -> Move:
    """What moving the country does; ValidationError (a sentence for the admin) when it cannot be done."""
    rules = list(MarketMapping.objects.filter(iso2=iso2).in_force(on).select_related("market").order_by("prefix"))
    if not rules:
        raise ValidationError(f"No mapping rule bills {iso2} on {on.isoformat()}: numbers there are billed as Other "
                              "already; add a rule for the country instead.")
    moving = [rule for rule in rules if rule.market_id != market.pk]
    if not moving:
        raise ValidationError(f"{rules[0].country} is already billed as {market} on {on.isoformat()}.")
    move = Move(iso2, rules[0].country, market, on, [], [], [])
    for rule in moving:
        if rule.effective_from == on:
            move.changing.append(rule)
            continue
        move.ending.append(rule)
        move.starting.append(MarketMapping(
            market=market, country=rule.country, iso2=rule.iso2, calling_code=rule.calling_code, prefix=rule.prefix,
            effective_from=on, effective_to=rule.effective_to,
            note=f"Moved from {rule.market} on {on.isoformat()}"[:200],
        ))
    if on < today:
        move.warnings.append(f"{on.isoformat()} is in the past: estimates, repriced quotes and usage of the days from "
                             f"then on will bill {move.country} as {market} (saved quotes keep their figures).")
    for card in _cards_in_force(on):
        if not card.rates.filter(market=market).exists():
            move.warnings.append(f"{card} (in force on {on.isoformat()}) has no rates for {market}: numbers of "
                                 f"{move.country} could not be priced in {card.currency} until a card prices it.")
    return move


def _cards_in_force(on: date) -> list[RateCard]:
    currencies = RateCard.objects.filter(status=CardStatus.PUBLISHED).values_list("currency", flat=True).distinct()
    return [card for card in (RateCard.objects.in_force(c, on) for c in sorted(set(currencies))) if card is not None]


def apply_move(move: Move) -> None:
    """End the old rules the day before, start the new ones: all or nothing (ValidationError names why)."""
    with transaction.atomic():
        for rule in move.ending:
            rule.effective_to = move.day_before
            rule.full_clean()
            rule.save()
        for rule in move.changing:
            rule.market = move.market
            rule.full_clean()
            rule.save()
        for rule in move.starting:
            rule.full_clean()
            rule.save()


def _past(market_id, prefix: str, start: date | None, end: date | None, today: date) -> tuple | None:
    """The part of a rule before today, as what it bills: None when the rule has no day before today."""
    if start is not None and start >= today:
        return None
    last = min(end, today - timedelta(days=1)) if end is not None else today - timedelta(days=1)
    return (market_id, prefix, start, last)


def rewrites_history(before: MarketMapping | None, after: MarketMapping, today: date) -> bool:
    """Whether saving `after` (the edit of `before`, or a new rule) changes how any day before today is billed."""
    old = _past(before.market_id, before.prefix, before.effective_from, before.effective_to, today) if before else None
    new = _past(after.market_id, after.prefix, after.effective_from, after.effective_to, today)
    return old != new
