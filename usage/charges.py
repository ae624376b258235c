"""What each message amounted to and what it cost, from Meta's verdict and the card in force on its day.

Meta's status webhooks say whether a message was charged (`pricing.type`, or `billable` on legacy
conversation-based statuses) and in which category, but not the price. `Pricer.derive` decides a
message's market (by the mapping in force on its day), billed category and outcome (paid, or free for a
reason); `Pricer.charge` prices a paid message at the rate of the card in force on its day, at the volume
tier that its position in the month's count (per market and tier group, in time order) falls in. Amounts
are integers of 0.0001 (see `usage.models.UNIT_PLACES`).

Conversation-based (CBP) statuses are priced per conversation: the first message of a conversation id
carries the conversation's charge, the others in it are paid but cost nothing more. After the switch to
per-message pricing (a day whose card is per message), Meta still sends `pricing_model: CBP` for utility
templates inside a conversation opened before the switch: they belong to that conversation and are free
(outcome `conversation`), whatever `billable` says.

Days and months are the account's (the workspace's time zone): Meta counts an account's month, its tiers
and its free service allowance in the account's own time zone, so a message at 20:00 UTC on 31 July from
an account in Asia/Kolkata is on 1 August. The card in force is also taken on the account's local day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo

from ratecards.snapshots import Catalog, NoCard
from calculator.engine.cards import CATEGORIES, CardSnapshot, ladder_ends, tier_group, tier_at
from calculator.pricing import market_map_for
from calculator.engine.markets import OTHER, MarketMap

from .models import CURRENCY, Outcome, money_to_units

EPOCH = date(1970, 1, 1)
UTC = timezone.utc
DAY = 86400
SLOT = 900  # every UTC offset in use is a multiple of 15 minutes: a local date never changes inside a slot
CATEGORY_ALIASES = {"marketing_lite": "marketing", "authentication_international": "authentication_international"}
PAID_TYPES = ("regular",)
MAX_PLACES = 200_000  # distinct places kept per card and mapping (numbers of shared calling codes, one each)
PAID, INBOUND = Outcome.PAID.value, Outcome.INBOUND.value
CONVERSATION_MODEL = "CBP"
IN_CONVERSATION = "in_conversation"  # the billing type of a CBP status after the switch (the replay's word)


def billed_category(category: str) -> str:
    """The category a message is billed in: `marketing_lite` is billed as marketing."""
    return CATEGORY_ALIASES.get(category, category)


def epoch_day(ts: int) -> int:
    return ts // 86400


@dataclass(frozen=True, slots=True)
class Ladder:
    """A category's tiers in a market under one card, as inclusive upper bounds and rates in units."""

    card_id: int
    ends: tuple[int | None, ...]
    units: tuple[int, ...]
    counted: bool  # tiers apply: the position in the month's count matters

    @property
    def list_units(self) -> int:
        return self.units[0]

    def tier(self, position: int) -> int:
        return tier_at(self.ends, position)


class CardWithMapping:
    """A card (or none) with the market mapping it prices with, and what has been worked out under them."""

    __slots__ = ("card", "market_map", "service_allowance", "per_message", "places", "derived")

    def __init__(self, card: CardSnapshot | None, market_map: MarketMap):
        self.card = card
        self.market_map = market_map
        self.per_message = bool(card and not card.rules.per_conversation)
        # the card charges service after a free monthly allowance
        self.service_allowance = bool(card and card.rules.service_charged and card.rules.free_service_allowance > 0)
        self.places: dict[str, tuple[str, str]] = {}
        self.derived: dict[tuple, Derived] = {}


@dataclass(frozen=True, slots=True)
class Day:
    """What prices a day: the card in force (None before the first card) and the market mapping."""

    day: date
    month: date
    regime: CardWithMapping

    @property
    def card(self) -> CardSnapshot | None:
        return self.regime.card


@dataclass(frozen=True, slots=True)
class Derived:
    market: str
    country: str
    category: str
    billing_type: str
    outcome: str
    ladder: Ladder | None  # for a paid message that a card prices


class Pricer:
    """One catalogue version's cards and mappings, with the lookups a million messages need cached.

    Users are placed by their number's country (`MarketMap.place_key`: by calling code where one country
    has it, else per number, since +1 242 is the Bahamas and +44 7911 Guernsey), and a message's verdict
    depends only on its place, its day's card and Meta's pricing fields, so both are worked out once per
    distinct value.
    """

    def __init__(self, catalog: Catalog | None = None, currency: str = CURRENCY, tz: tzinfo = UTC):
        self.catalog = catalog or Catalog()
        self.currency = currency
        self.tz = tz
        self.slot = DAY if tz is UTC else SLOT  # days (and their cache) by UTC day, or by quarter hour
        self._days: dict[int, Day] = {}
        self._regimes: dict[tuple[int, int], CardWithMapping] = {}
        self._ladders: dict[tuple[int, str, str], Ladder | None] = {}

    def day(self, ts: int) -> Day:
        """The account's day of a Unix time (its local date) and what prices it."""
        key = ts // self.slot
        found = self._days.get(key)
        if found is None:
            on = EPOCH + timedelta(days=key) if self.slot == DAY else datetime.fromtimestamp(key * self.slot,
                                                                                              self.tz).date()
            found = self._days.get(on)  # type: ignore[call-overload]  # the same local day, another quarter hour
            if found is not None:
                self._days[key] = found
                return found
            try:
                card = self.catalog.card_in_force(self.currency, on)
            except NoCard:
                card = None
            market_map = market_map_for(self.catalog, card, on) if card else self.catalog.market_map(on)
            regime = self._regimes.get((id(card), id(market_map)))
            if regime is None:
                regime = self._regimes[(id(card), id(market_map))] = CardWithMapping(card, market_map)
            found = self._days[key] = Day(on, on.replace(day=1), regime)
            if self.slot != DAY:
                self._days[on] = found  # type: ignore[index]
        return found

    def ladder(self, card: CardSnapshot, market: str, category: str) -> Ladder | None:
        key = (card.id, market, category)
        if key in self._ladders:
            return self._ladders[key]
        if category == "authentication_international" and card.rate(market, category) is None:
            category = "authentication"  # Meta billed it abroad; this card has no such rate for the market
        tiers = card.ladder(market, category) if category in CATEGORIES else ()
        found = None
        if tiers:
            found = Ladder(card.id, ladder_ends(tiers), tuple(money_to_units(t.rate) for t in tiers),
                           counted=len(tiers) > 1)
        self._ladders[key] = found
        return found

    def derive(self, inbound: bool, contact: str, ts: int, last_status: str, pricing_model: str,
               billable: bool | None, price_type: str, price_category: str) -> Derived:
        day = self._days.get(ts // self.slot) or self.day(ts)
        regime = day.regime
        if contact.isdigit() and 7 <= len(contact) <= 15 and contact.isascii():
            key = regime.market_map.place_key(contact)
            place = regime.places.get(key)
            if place is None:
                if len(regime.places) >= MAX_PLACES:
                    regime.places.clear()  # numbers under shared calling codes are kept one by one: bounded
                place = regime.places[key] = _place(regime.market_map, contact)
        else:
            place = (OTHER, "")
        old_model = pricing_model == CONVERSATION_MODEL and regime.per_message
        key = (place, inbound, last_status == "failed", billable, price_type, price_category, old_model)
        found = regime.derived.get(key)
        if found is None:
            found = regime.derived[key] = self._derive(regime, place, inbound, last_status, billable, price_type,
                                                       price_category, old_model)
        return found

    def place(self, ts: int, contact: str) -> tuple[str, str]:
        """The market and ISO country of a user's number (digits without +) on a message's day."""
        return self.derive(True, contact, ts, "", "", None, "", "")[:2]  # type: ignore[return-value]

    def _derive(self, regime: CardWithMapping, place: tuple[str, str], inbound: bool, last_status: str,
                billable: bool | None, price_type: str, price_category: str, old_model: bool = False) -> Derived:
        market, country = place
        if inbound:
            return Derived(market, country, "", "", INBOUND, None)
        category = billed_category(price_category)
        if old_model and category == "utility" and last_status != "failed":
            # A utility template in a conversation opened before per-message pricing: free, in that conversation.
            return Derived(market, country, category, IN_CONVERSATION, Outcome.CONVERSATION.value, None)
        outcome = _outcome(last_status, billable, price_type, category, regime.service_allowance)
        billing_type = price_type or _TYPE_OF.get(outcome, "")
        ladder = None
        if outcome == PAID and regime.card is not None:
            ladder = self.ladder(regime.card, market, category)
        return Derived(market, country, category, billing_type, outcome, ladder)


_TYPE_OF = {"paid": "regular", "entry_point": "free_entry_point", "service_window": "free_customer_service",
            "allowance": "free_customer_service"}


def _outcome(last_status: str, billable: bool | None, price_type: str, category: str, service_allowance: bool) -> str:
    """Meta's verdict as an outcome: paid, or free for a reason (or failed: never delivered)."""
    if last_status == "failed":
        return Outcome.FAILED.value
    if price_type in PAID_TYPES or (not price_type and billable is True):
        return Outcome.PAID.value
    if price_type == "free_entry_point" or category == "referral_conversion":
        return Outcome.ENTRY_POINT.value
    if "allowance" in price_type:
        return Outcome.ALLOWANCE.value
    if price_type == "free_customer_service" or (not price_type and billable is False):
        # On a card that charges service after a monthly allowance, a free service message is the allowance.
        return Outcome.ALLOWANCE.value if category == "service" and service_allowance else Outcome.SERVICE_WINDOW.value
    return Outcome.UNKNOWN.value


def _place(market_map: MarketMap, contact: str) -> tuple[str, str]:
    """A delivered message's market and country, from the number's own country (not validated again:
    Meta delivered to it)."""
    found = market_map.resolve_digits(contact)
    return found.market, found.country or ""


class MonthCounter:
    """Where each market's tier groups stand in one month: charged messages counted in time order."""

    def __init__(self, counts: dict[tuple[str, str], int] | None = None):
        self.counts = counts or {}

    def next_position(self, market: str, category: str) -> int:
        key = (market, tier_group(category))
        position = self.counts.get(key, 0) + 1
        self.counts[key] = position
        return position


def price(derived: Derived, counter: MonthCounter, conversation: str, pricing_model: str,
          conversations: set[str]) -> tuple[int | None, int, int]:
    """(tier, charge units, list units) of a message, advancing the month's count when it is paid."""
    if derived.outcome != PAID:
        return None, 0, 0
    if pricing_model == CONVERSATION_MODEL and conversation:
        if conversation in conversations:
            return None, 0, 0  # inside a conversation already charged
        conversations.add(conversation)
    position = counter.next_position(derived.market, derived.category)
    ladder = derived.ladder
    if ladder is None:
        return None, 0, 0  # no card (before the first one) or no rate for the category: not priced
    if not ladder.counted:
        return 0, ladder.list_units, ladder.list_units
    tier = ladder.tier(position)
    return tier, ladder.units[tier], ladder.list_units
