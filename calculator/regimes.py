"""The same mix under every pricing regime: the card in force, the old conversation-based card, and
the latest card of each other rule set (grouped by their rules, not by date).

A "regime" is a set of rules (docs/pricing-rules.md, "The rules of a card"): cards that share rules differ
only in prices, so the latest of them stands for the group. Comparisons may be later than the date
asked for: they show what the same month costs under rules announced for later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ratecards.snapshots import CardListing, Catalog
from calculator.engine.cards import Rules
from calculator.engine.estimate import EstimateRequest, EstimateResult
from calculator.engine.money import ZERO, round_money
from calculator.pricing import Problems, price_on_dates, priced_dates

PERCENT_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class Regime:
    result: EstimateResult
    current: bool  # the card in force on the date asked for
    title: str
    rules: tuple[str, ...]  # the rules in plain words
    change: Decimal  # what the card in force costs more (+) or less (-) than this one; 0 for itself
    percent: Decimal | None  # change as a percentage of this regime's total; None when it is 0

    @property
    def card(self):
        return self.result.card

    @property
    def rounded_change(self) -> Decimal:
        return round_money(self.change, self.result.currency)


def comparison_listings(catalog: Catalog, currency: str, on: date) -> list[CardListing]:
    """The latest conversation card and the latest card of each rule set other than the one in force."""
    in_force = catalog.listing_in_force(currency, on)
    if in_force is None:
        return []
    current_rules = catalog.snapshot(in_force.id).rules
    latest: dict[Rules, CardListing] = {}
    for listing in catalog.listings():  # ascending effective_from: the last one seen is the latest
        if listing.currency == currency:
            latest[catalog.snapshot(listing.id).rules] = listing
    chosen = {listing.id: listing for rules, listing in latest.items() if rules != current_rules}
    conversation = catalog.latest_conversation_card(currency)
    if conversation is not None and conversation.id != in_force.id:
        chosen[conversation.id] = conversation
    return sorted(chosen.values(), key=lambda listing: listing.effective_from)


def comparison_dates(catalog: Catalog, currency: str, on: date) -> list[date]:
    """What the page compares the card in force with, by date: "Save as quote" keeps the same."""
    return [listing.effective_from for listing in comparison_listings(catalog, currency, on)]


def price_regimes(catalog: Catalog, request: EstimateRequest, currency: str, on: date) -> tuple[list[Regime], Problems]:
    """The card in force first, then the comparisons in date order."""
    dates = priced_dates(on, comparison_dates(catalog, currency, on), list)
    results, problems = price_on_dates(catalog, request, currency, dates)
    if problems:
        return [], problems
    current = results[0]
    regimes = [_regime(current, current, True)] + [_regime(result, current, False) for result in results[1:]]
    return regimes, []


def _regime(result: EstimateResult, current: EstimateResult, is_current: bool) -> Regime:
    change = current.total - result.total
    percent = None
    if result.total > 0:
        percent = (change * 100 / result.total).quantize(PERCENT_PLACES)
    rules = result.card.rules
    return Regime(result=result, current=is_current, title=regime_title(rules), rules=describe_rules(rules),
                  change=ZERO if is_current else change, percent=None if is_current else percent)


def regime_title(rules: Rules) -> str:
    if rules.per_conversation:
        return "Per conversation"
    parts = ["Per message", "service charged" if rules.service_charged else "service free"]
    if rules.utility_free_in_service_window:
        parts.append("utility free in open chats")
    return ", ".join(parts)


def describe_rules(rules: Rules) -> tuple[str, ...]:
    """A card's rules as a newcomer reads them (docs/pricing-rules.md, "The rules of a card")."""
    found = []
    if rules.per_conversation:
        found.append(f"Billed per {rules.conversation_hours}-hour conversation: further templates of the same "
                     "kind to the same person within it cost nothing.")
    else:
        found.append("Billed per delivered message.")
        if rules.utility_free_in_service_window:
            found.append(f"Utility templates are free within {rules.service_window_hours} hours of the customer's "
                         "last message.")
        else:
            found.append("Utility templates are charged even while the customer's chat window is open.")
    if rules.service_charged:
        allowance = ""
        if rules.free_service_allowance:
            unit = "conversations" if rules.per_conversation else "messages"
            scope = {"phone_number": "per business phone number", "business_account": "per business account"}
            allowance = f", after {rules.free_service_allowance:,} free {unit} a month " + scope.get(
                rules.free_service_scope or "", "")
        found.append(f"Service replies are charged at the service rate{allowance.rstrip()}.")
    else:
        found.append("Service replies (free-form messages inside the customer's window) are free.")
    if rules.tiers_apply:
        found.append("Volume tiers: utility and authentication get cheaper per message as a market's monthly "
                     "volume grows.")
    found.append(f"Everything is free for {rules.free_entry_point_hours} hours after a customer writes from a "
                 "click-to-WhatsApp ad or a Facebook Page button.")
    return tuple(found)
