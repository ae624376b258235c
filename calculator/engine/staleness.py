"""Stale rules: an estimate priced with a card whose rules Meta has since changed (docs/pricing-rules.md).

Meta changes its rules on one date for every currency, but a currency's new card may be missing (no
EUR card from 2026-10-01 was found). A card is stale on a date when a later card of another currency,
in force by that date, has different rules: the rules changed for everyone, and this currency's card
has not caught up. The estimate is still priced with the card's own rates and rules (never mixed with
another card's rules); the result says so and names the currencies whose card is current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

from .cards import CardInfo, Rules, latest_in_force


@dataclass(frozen=True, slots=True)
class StaleRules:
    card: CardInfo  # the card the estimate was priced with
    on: date
    newer: CardInfo  # the first later card of another currency with different rules
    changes: tuple[str, ...]  # what the newer rules do differently, in words
    current_currencies: tuple[str, ...]  # currencies whose card in force on the date is not stale

    @property
    def newer_from(self) -> date:
        return self.newer.effective_from

    def warning(self) -> str:
        card = self.card
        offer = (f" For the same estimate under the current rules, price it in {' or '.join(self.current_currencies)}."
                 if self.current_currencies else "")
        return (f"{card.name} is the latest {card.currency} card, so this estimate uses its rules "
                f"({'; '.join(describe(card.rules))}). Meta's rules changed for every currency on "
                f"{self.newer_from.isoformat()} ({self.newer.name}: {'; '.join(self.changes)}); no {card.currency} "
                f"card with those rules exists yet.{offer}")


def describe(rules: Rules) -> tuple[str, ...]:
    """The rules that matter for staleness, in short words."""
    if rules.per_conversation:
        return (f"billed per {rules.conversation_hours}-hour conversation",
                "service charged" if rules.service_charged else "service free")
    found = ["billed per message",
             "service charged" if rules.service_charged else "service free",
             "utility free inside the customer service window" if rules.utility_free_in_service_window
             else "utility charged inside the customer service window"]
    return tuple(found)


def changes(old: Rules, new: Rules) -> tuple[str, ...]:
    """What ``new`` does differently from ``old``, in words."""
    found = []
    if old.pricing_model != new.pricing_model:
        found.append("billed per conversation" if new.per_conversation else "billed per message")
    if old.service_charged != new.service_charged or (
            new.service_charged and (old.free_service_allowance, old.free_service_scope)
            != (new.free_service_allowance, new.free_service_scope)):
        if not new.service_charged:
            found.append("service messages free")
        elif new.free_service_allowance:
            scope = {"phone_number": " per business phone number", "business_account": " per business account"}
            found.append(f"service messages charged after {new.free_service_allowance:,} free a month"
                         + scope.get(new.free_service_scope or "", ""))
        else:
            found.append("service messages charged")
    if old.utility_free_in_service_window != new.utility_free_in_service_window:
        found.append("utility free inside the customer service window" if new.utility_free_in_service_window
                     else "utility charged inside the customer service window")
    if old.volume_tiers != new.volume_tiers:
        found.append("volume tiers" if new.volume_tiers else "no volume tiers")
    for name, label in (("service_window_hours", "customer service window"),
                        ("free_entry_point_hours", "free entry point window"),
                        ("conversation_hours", "conversation length")):
        if getattr(old, name) != getattr(new, name) and (name != "conversation_hours" or new.per_conversation):
            found.append(f"{label} {getattr(new, name)} hours")
    return tuple(found) or ("different rules",)


def newer_rules(card: CardInfo, on: date, cards: Iterable[CardInfo]) -> CardInfo | None:
    """The first card of another currency dated after ``card`` and in force by ``on``, with other rules."""
    later = [c for c in cards if c.currency != card.currency and card.effective_from < c.effective_from <= on
             and c.rules != card.rules]
    return min(later, key=lambda c: (c.effective_from, c.currency != "USD", c.currency), default=None)


def stale_rules(card: CardInfo, on: date, cards: Iterable[CardInfo]) -> StaleRules | None:
    """None when the card's rules are current on ``on``; otherwise what changed and where to price instead.

    ``cards`` are every published card (any currency); the card in force of each other currency on the
    date is checked the same way to offer only currencies whose card is current.
    """
    cards = tuple(cards)
    newer = newer_rules(card, on, cards)
    if newer is None:
        return None
    in_force = {currency: latest_in_force((c for c in cards if c.currency == currency), on)
                for currency in {c.currency for c in cards}}
    in_force = {currency: other for currency, other in in_force.items() if other is not None}
    current = tuple(sorted((currency for currency, other in in_force.items()
                            if currency != card.currency and newer_rules(other, on, cards) is None),
                           key=lambda c: (c != "USD", c)))
    return StaleRules(card, on, newer, changes(card.rules, newer.rules), current)
