"""Rate card snapshots: the immutable facts the engine prices with.

A snapshot is built once from the database (or the shipped CSVs in tests) and then shared by every
request that prices with that card, so it is frozen all the way down: read-only mappings and tuples.
Snapshots compare and hash by identity (``eq=False``): the same card id can carry other rules after an
admin edits them, so equal ids do not mean equal snapshots, and a cache keyed by snapshot must not
confuse two of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence, TypeVar

from calculator.engine.markets import MarketMap

CATEGORIES = ("marketing", "utility", "authentication", "authentication_international", "service")
TIERED = ("utility", "authentication", "authentication_international")
PRICING_MODELS = ("conversation", "message")
ALLOWANCE_SCOPES = ("phone_number", "business_account", None)


def tier_group(category: str) -> str:
    """The tier count a category adds to: authentication and authentication-international share one."""
    return "authentication" if category == "authentication_international" else category


def recipient_abroad(business_country: str | None, country: str | None,
                     market_countries: frozenset[str] = frozenset()) -> bool:
    """Whether a recipient is outside the business's primary country (for authentication-international).

    With the recipient's country unknown (a market named without a country), recipients count as abroad
    unless the business's own country is one of the market's countries; without a primary country every
    recipient counts as abroad.
    """
    if business_country is None:
        return True
    if country is not None:
        return country != business_country
    return business_country not in market_countries


@dataclass(frozen=True, slots=True)
class Rules:
    """A card's pricing rules: settings an admin can change, never inferred from the card's date."""

    pricing_model: str  # "conversation" | "message"
    utility_free_in_service_window: bool
    service_charged: bool
    free_service_allowance: int  # 0 = none; in billing units (service conversations or messages)
    free_service_scope: str | None  # "phone_number" | "business_account" | None
    volume_tiers: bool
    conversation_hours: int = 24
    service_window_hours: int = 24
    free_entry_point_hours: int = 72
    free_entry_point_answer_hours: int = 24  # an entry-point message must be answered this soon

    def __post_init__(self) -> None:
        if self.pricing_model not in PRICING_MODELS:
            raise ValueError(f"pricing_model must be one of {PRICING_MODELS}, not {self.pricing_model!r}")
        if self.free_service_scope not in ALLOWANCE_SCOPES:
            raise ValueError(f"free_service_scope must be one of {ALLOWANCE_SCOPES}, not {self.free_service_scope!r}")

    @property
    def per_conversation(self) -> bool:
        return self.pricing_model == "conversation"

    @property
    def tiers_apply(self) -> bool:
        """Volume tiers count messages; a conversation-based card never has them."""
        return self.volume_tiers and not self.per_conversation

    def allowance_for(self, business_phone_numbers: int) -> int:
        """The month's free service allowance of one business, in the card's billing unit."""
        if not self.service_charged or self.free_service_allowance <= 0:
            return 0
        if self.free_service_scope == "phone_number":
            return self.free_service_allowance * max(business_phone_numbers, 1)
        return self.free_service_allowance


@dataclass(frozen=True, slots=True)
class Tier:
    """One row of Meta's volume tier table.

    ``start`` is Meta's "From" (0 for the list-rate tier, then e.g. 100001) and ``end`` its inclusive "To"
    (None for "--"). The n-th charged message of the month (n from 1) is in the tier with
    start <= n <= end; as a continuous count the tier covers (start - 1, end], clamped at 0.
    """

    start: int
    end: int | None
    rate: Decimal
    lower: int = field(init=False, repr=False, compare=False)  # messages counted before this tier begins

    def __post_init__(self) -> None:
        object.__setattr__(self, "lower", max(self.start - 1, 0))


Dated = TypeVar("Dated")


def latest_in_force(cards: Iterable[Dated], on: date) -> Dated | None:
    """The card in force on a date, the one statement of the rule: of one currency's published cards
    (database rows, listings or snapshots, in any order), the latest whose effective_from is on or before
    the date; None before the first. `RateCard.objects.in_force`, the request-wide
    `ratecards.snapshots.Catalog`, the admin's compare page, stale-rules checks and the dated Meta
    Business Agent rates all ask here."""
    found = None
    for card in cards:
        if card.effective_from <= on and (found is None or card.effective_from > found.effective_from):
            found = card
    return found


def tier_at(ends: Sequence[int | None], position: int | Decimal, start: int = 0) -> int:
    """The volume tier a message at ``position`` in the month's count falls in: the first (from ``start``)
    whose inclusive end (Meta's "To"; None for "--") is at or above it. The one statement of the rule;
    the estimate (``graduated_cost``), the replay and usage charges all go through it.

    ``ends`` are a ladder's ends in order, the last one open; 0 is the list rate.
    """
    index = start
    while ends[index] is not None and position > ends[index]:
        index += 1
    return index


def ladder_ends(ladder: Sequence[Tier]) -> tuple[int | None, ...]:
    return tuple(tier.end for tier in ladder)


@dataclass(frozen=True, slots=True)
class CardInfo:
    """What a result says about the card it was priced with."""

    id: int
    name: str
    currency: str
    effective_from: date
    pricing_model: str
    rules: Rules
    source: str = ""


@dataclass(frozen=True, eq=False)
class CardSnapshot:
    """One rate card: rates per market and category, volume tiers, rules and the market mapping.

    ``rates[market][category]`` is None (or absent) where Meta publishes no rate ("n/a").
    ``tiers[(market, category)]`` lists ascending, contiguous tiers. Plain dicts and lists given to the
    constructor are frozen into read-only mappings and tuples, and checked.
    """

    id: int
    name: str
    currency: str
    effective_from: date
    rules: Rules
    rates: Mapping[str, Mapping[str, Decimal | None]]
    tiers: Mapping[tuple[str, str], tuple[Tier, ...]]
    market_map: MarketMap
    source: str = ""
    info: CardInfo = field(init=False, repr=False)
    market_ladders: Mapping[str, Mapping[str, tuple[Tier, ...]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rates = {market: _frozen_rates(market, row) for market, row in self.rates.items()}
        tiers = {key: _checked_ladder(key, tuple(ladder)) for key, ladder in self.tiers.items()}
        object.__setattr__(self, "rates", MappingProxyType(rates))
        object.__setattr__(self, "tiers", MappingProxyType(tiers))
        object.__setattr__(self, "info", CardInfo(self.id, self.name, self.currency, self.effective_from,
                                                  self.rules.pricing_model, self.rules, self.source))
        ladders = {market: MappingProxyType({category: self._ladder(market, category) for category in CATEGORIES})
                   for market in rates}
        object.__setattr__(self, "market_ladders", MappingProxyType(ladders))

    def rate(self, market: str, category: str) -> Decimal | None:
        row = self.rates.get(market)
        return None if row is None else row.get(category)

    def ladder(self, market: str, category: str) -> tuple[Tier, ...]:
        """The tiers a category's charged count goes through in a market (empty without a rate)."""
        ladders = self.market_ladders.get(market)
        return () if ladders is None else ladders[category]

    def _ladder(self, market: str, category: str) -> tuple[Tier, ...]:
        """Without tiers (conversation cards, tiers switched off, marketing and service, or no tier table for
        the market) the ladder is the list rate alone; without a rate it is empty.
        """
        rate = self.rate(market, category)
        if rate is None:
            return ()
        if self.rules.tiers_apply and category in TIERED:
            ladder = self.tiers.get((market, category))
            if ladder:
                return ladder
        return (Tier(0, None, rate),)


def _frozen_rates(market: str, row: Mapping[str, Decimal | None]) -> Mapping[str, Decimal | None]:
    unknown = set(row) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"{market}: unknown categories {sorted(unknown)}; expected {CATEGORIES}")
    for category, rate in row.items():
        if rate is not None and (not isinstance(rate, Decimal) or rate < 0):
            raise ValueError(f"{market} {category}: a rate is a Decimal >= 0 or None, not {rate!r}")
    return MappingProxyType(dict(row))


def _checked_ladder(key: tuple[str, str], ladder: tuple[Tier, ...]) -> tuple[Tier, ...]:
    """Tiers must start at the first message, follow each other without gaps and end open."""
    market, category = key
    if category not in TIERED:
        raise ValueError(f"{market}: {category} has no volume tiers (only {TIERED})")
    if not ladder:
        return ladder
    if ladder[0].start not in (0, 1):
        raise ValueError(f"{market} {category}: the first tier starts at 0, not {ladder[0].start}")
    for tier in ladder:
        if tier.end is not None and tier.end < max(tier.start, 1):
            raise ValueError(f"{market} {category}: tier {tier.start} - {tier.end} is empty")
    for before, after in zip(ladder, ladder[1:]):
        if before.end is None or after.start != before.end + 1:
            raise ValueError(f"{market} {category}: tier starting {after.start} does not follow {before.end}")
    if ladder[-1].end is not None:
        raise ValueError(f"{market} {category}: the last tier must be open ('--'), not end at {ladder[-1].end}")
    return ladder
