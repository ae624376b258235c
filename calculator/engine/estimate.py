"""A month's cost from a message mix (docs/pricing-rules.md, "Estimating a month from a message mix").

Users know monthly volumes, not timelines, so an estimate works on expected counts (fractional
Decimals): each line's messages are split into free and charged by the assumptions and the card's rules,
lines of one market are added up per category, the free service allowance is shared among markets, and
only then do the graduated volume tiers apply, because Meta counts tiers per market and month, not per
line. Every rule comes from ``card.rules``; the date only chooses the card (the caller's job) and the
market mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Mapping

from calculator.engine.markets import InvalidPhoneNumber, MarketMap, UnknownCountry

from .agent import AgentCharge, AgentRate, agent_charge
from .cards import CATEGORIES, TIERED, CardInfo, CardSnapshot, Rules, Tier, ladder_ends, recipient_abroad, tier_at
from .money import ZERO, RoundedAmounts, round_money
from .staleness import StaleRules
from .vocabulary import counted

ONE = Decimal(1)
FREE_REASONS = ("service_window", "entry_point", "allowance")
SHARED_TIER_COUNT = ("authentication", "authentication_international")  # one monthly count per market
_NONE: Mapping = {}
NORTH_AMERICA = "North America"
# Meta paused marketing templates to US (+1) numbers from this date ("until further notice"): warned about
# only for dates on or after it.
US_MARKETING_PAUSED_FROM = date(2025, 4, 1)
US_MARKETING_WARNING = (f"Meta has not delivered marketing templates to US phone numbers since "
                        f"{US_MARKETING_PAUSED_FROM.isoformat()}")


class LineError(ValueError):
    """A line names a market, country or phone number that cannot be priced; says which line and field."""

    def __init__(self, index: int, field: str, message: str):
        super().__init__(f"lines[{index}].{field}: {message}")
        self.index = index
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Assumptions:
    """How a month's messages reach users (shares in [0, 1], per-conversation figures >= 1)."""

    utility_in_service_window: Decimal = ZERO
    free_entry_point: Decimal = ZERO
    templates_per_conversation: Decimal = ONE
    service_messages_per_conversation: Decimal = ONE


@dataclass(frozen=True, slots=True)
class AssumptionOverrides:
    """A line's own assumptions; None keeps the estimate's default."""

    utility_in_service_window: Decimal | None = None
    free_entry_point: Decimal | None = None
    templates_per_conversation: Decimal | None = None
    service_messages_per_conversation: Decimal | None = None

    def over(self, defaults: Assumptions) -> Assumptions:
        """The line's assumptions; the estimate's own object when nothing is overridden (lines that share
        it are added up together)."""
        if (self.utility_in_service_window is None and self.free_entry_point is None
                and self.templates_per_conversation is None and self.service_messages_per_conversation is None):
            return defaults
        return Assumptions(
            defaults.utility_in_service_window if self.utility_in_service_window is None
            else self.utility_in_service_window,
            defaults.free_entry_point if self.free_entry_point is None else self.free_entry_point,
            defaults.templates_per_conversation if self.templates_per_conversation is None
            else self.templates_per_conversation,
            defaults.service_messages_per_conversation if self.service_messages_per_conversation is None
            else self.service_messages_per_conversation,
        )


NO_OVERRIDES = AssumptionOverrides()


@dataclass(frozen=True, slots=True)
class EstimateLine:
    """Monthly delivered messages to one market, named by exactly one of market, country or phone."""

    market: str | None = None
    country: str | None = None
    phone: str | None = None
    marketing: Decimal = ZERO
    utility: Decimal = ZERO
    authentication: Decimal = ZERO
    service: Decimal = ZERO
    assumptions: AssumptionOverrides = NO_OVERRIDES


# The names of a line's monthly counts and of the assumptions, as the form, the API and stored quotes use
# them: one list, read from the dataclasses above.
COUNT_FIELDS = ("marketing", "utility", "authentication", "service")
SHARE_FIELDS = ("utility_in_service_window", "free_entry_point")  # shares in [0, 1]
PER_CONVERSATION_FIELDS = ("templates_per_conversation", "service_messages_per_conversation")  # >= 1
ASSUMPTION_FIELDS = SHARE_FIELDS + PER_CONVERSATION_FIELDS


@dataclass(frozen=True, slots=True)
class EstimateRequest:
    lines: tuple[EstimateLine, ...]
    assumptions: Assumptions = Assumptions()
    business_country: str | None = None  # ISO alpha-2 of the business's primary country
    auth_international: bool = False  # Meta found the business eligible for authentication-international
    business_phone_numbers: int = 1
    meta_business_agent_tokens: Decimal | None = None  # tokens a month written by Meta's AI agent; None: not asked


@dataclass(frozen=True, slots=True)
class LineResult:
    index: int
    market: str
    country: str | None  # ISO alpha-2; for a line given by market, its only country if it has one
    authentication_international: bool  # its authentication is billed at the international rate


@dataclass(frozen=True, slots=True)
class TierStatus:
    """Where a market's monthly count of one tiered category stands on its ladder.

    ``count`` is the position reached (shared by authentication and authentication-international),
    ``charged`` this category's own charged messages. The rest is derived from the ladder on demand, which
    keeps the estimate cheap when nobody looks.
    """

    category: str
    ladder: tuple[Tier, ...]
    count: Decimal
    charged: Decimal
    cost: Decimal
    list_cost: Decimal
    currency: str

    @property
    def tier_index(self) -> int:
        """0 is the list rate."""
        return tier_at(ladder_ends(self.ladder), self.count)

    @property
    def tier_count(self) -> int:
        return len(self.ladder)

    @property
    def rate_now(self) -> Decimal:
        return self.ladder[self.tier_index].rate

    @property
    def _next(self) -> Tier | None:
        index = self.tier_index + 1
        return self.ladder[index] if index < len(self.ladder) else None

    @property
    def next_start(self) -> int | None:
        """The position where the next tier begins; None at the top tier."""
        following = self._next
        return following.start if following else None

    @property
    def to_next(self) -> Decimal | None:
        """Messages until one is billed at the next tier's rate."""
        following = self._next
        return following.start - self.count if following else None

    @property
    def next_rate(self) -> Decimal | None:
        following = self._next
        return following.rate if following else None

    @property
    def blended_rate(self) -> Decimal | None:
        return self.cost / self.charged if self.charged else None

    @property
    def savings(self) -> Decimal:
        return self.list_cost - self.cost


@dataclass(frozen=True, slots=True)
class MarketResult(RoundedAmounts):
    """One market's month: charged counts are messages, or conversations on a conversation card.

    Free counts are messages, except ``allowance``, which is in the card's billing unit.
    """

    market: str
    currency: str
    total: Decimal
    list_total: Decimal
    by_category: Mapping[str, Decimal]
    charged: Mapping[str, Decimal]
    free: Mapping[str, Decimal]
    tiers: tuple[TierStatus, ...]

    @property
    def tier_savings(self) -> Decimal:
        return self.list_total - self.total


@dataclass(frozen=True, slots=True)
class EstimateResult(RoundedAmounts):
    """An estimate under one card. Amounts are unrounded; the ``rounded_*`` properties are for display."""

    card: CardInfo
    on: date
    total: Decimal
    list_total: Decimal  # the same charged counts at list rates, without tiers
    tier_savings: Decimal
    by_category: Mapping[str, Decimal]
    charged_by_category: Mapping[str, Decimal]
    free_by_reason: Mapping[str, Decimal]
    by_market: tuple[MarketResult, ...]  # by descending total
    lines: tuple[LineResult, ...]
    warnings: tuple[str, ...]
    # Meta Business Agent tokens (in total and list_total when priced; never in by_category, which holds the
    # card's categories); None when the request did not ask.
    meta_business_agent: AgentCharge | None = None
    notes: tuple[str, ...] = ()  # facts worth a word that are not problems (agent tokens free before billing)
    stale_rules: StaleRules | None = None  # set by the caller, who knows the other cards

    @property
    def currency(self) -> str:
        return self.card.currency

    @property
    def meta_business_agent_amount(self) -> Decimal | None:
        return None if self.meta_business_agent is None else self.meta_business_agent.amount

    @property
    def rounded_tier_savings(self) -> Decimal:
        return round_money(self.tier_savings, self.currency)


def estimate(card: CardSnapshot, request: EstimateRequest, on: date | None = None,
             market_map: MarketMap | None = None, agent_rates: tuple[AgentRate, ...] = (),
             names_from: MarketMap | None = None) -> EstimateResult:
    """Price a month's message mix with one card.

    ``on`` is the date asked for (default the card's own date); ``market_map`` the mapping in force on
    that date (default the card's); ``agent_rates`` the Meta Business Agent rates of every currency
    (for ``request.meta_business_agent_tokens``); ``names_from`` the mapping whose market names the lines
    use, when it is another date's (a comparison: "Bangladesh" as of the estimate's date, priced with a
    card of 2024). Countries of a market the card has no rates for are priced where the card's own
    mapping places them, with a warning. Raises LineError for a line that names no known market.
    """
    on = on or card.effective_from
    market_map = (market_map or card.market_map).priced_by(card.rates, card.market_map)
    volumes: dict[str, _MarketVolume] = {}
    moved: set[tuple[str, str]] = set()
    lines = tuple(_add_line(card, request, index, line, market_map, names_from, volumes, moved)
                  for index, line in enumerate(request.lines))
    for volume in volumes.values():
        volume.split(card.rules)
    _share_allowance(list(volumes.values()), card.rules.allowance_for(request.business_phone_numbers))
    shown_tiers = _shown_tiers(card.rules, request)
    markets = sorted((_price_market(card, volume, shown_tiers) for volume in volumes.values()),
                     key=lambda result: (-result.total, result.market))
    total = sum((m.total for m in markets), ZERO)
    list_total = sum((m.list_total for m in markets), ZERO)
    agent = None
    if request.meta_business_agent_tokens is not None:
        agent = agent_charge(request.meta_business_agent_tokens, card.currency, on, agent_rates)
        if agent.amount is not None:  # tokens have no tiers: the same at list rate
            total += agent.amount
            list_total += agent.amount
    return EstimateResult(
        card=card.info, on=on, total=total, list_total=list_total, tier_savings=list_total - total,
        by_category=_sum_by(markets, "by_category", CATEGORIES),
        charged_by_category=_sum_by(markets, "charged", CATEGORIES),
        free_by_reason=_sum_by(markets, "free", FREE_REASONS),
        by_market=tuple(markets), lines=lines,
        warnings=tuple(_date_warnings(card, on) + [moved_warning(card.name, wanted, priced_as)
                                                    for wanted, priced_as in sorted(moved)]
                       + [w for m in markets for w in volumes[m.market].warnings(card, on)]
                       + ([agent.warning] if agent and agent.warning else [])),
        meta_business_agent=agent,
        notes=(agent.note,) if agent and agent.note else (),
    )


@dataclass(slots=True)
class _Mix:
    """Lines of one market with the same assumptions and authentication rate, added up.

    The formulas are linear in the counts, so adding lines first and applying them once per mix gives
    the same figures with far fewer Decimal operations than applying them line by line.
    """

    assumptions: Assumptions
    international: bool
    marketing: Decimal = ZERO
    utility: Decimal = ZERO
    authentication: Decimal = ZERO
    service: Decimal = ZERO

    def add(self, line: EstimateLine) -> None:
        self.marketing += line.marketing
        self.utility += line.utility
        self.authentication += line.authentication
        self.service += line.service


@dataclass(slots=True)
class _MarketVolume:
    """A market's month: its lines' mixes, then charged and free counts before tiers and allowance."""

    market: str
    has_international_rate: bool
    mixes: dict[tuple[int, bool], _Mix] = field(default_factory=dict)
    charged: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, ZERO))
    free: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(FREE_REASONS, ZERO))
    marketing_to_us: bool = False
    international_without_rate: bool = False
    unpriced: list[str] = field(default_factory=list)  # categories charged without a rate on the card

    def add(self, line: EstimateLine, assumptions: Assumptions, international: bool) -> None:
        key = (id(assumptions), international)  # the mix keeps its assumptions alive: the id stays unique
        mix = self.mixes.get(key)
        if mix is None:
            mix = self.mixes[key] = _Mix(assumptions, international)
        mix.add(line)

    def split(self, rules: Rules) -> None:
        for mix in self.mixes.values():
            _add_counts(rules, mix, self)

    def warnings(self, card: CardSnapshot, on: date) -> list[str]:
        unit = "conversation" if card.rules.per_conversation else "message"
        found = [f"{card.name} has no {category} rate for {self.market}: "
                 f"{counted(self.charged[category], f'{category} {unit}')} priced at 0" for category in self.unpriced]
        if self.marketing_to_us and on >= US_MARKETING_PAUSED_FROM:
            found.append(f"{self.market}: {US_MARKETING_WARNING}")
        if self.international_without_rate:
            found.append(f"{card.name} has no authentication-international rate for {self.market}: "
                         "its authentication is priced at the authentication rate")
        return found


def _add_line(card: CardSnapshot, request: EstimateRequest, index: int, line: EstimateLine, market_map: MarketMap,
              names_from: MarketMap | None, volumes: dict[str, _MarketVolume], moved: set[tuple[str, str]]
              ) -> LineResult:
    market, country, market_countries = _resolve_line(card, index, line, market_map, names_from, moved)
    volume = volumes.get(market)
    if volume is None:
        volume = volumes[market] = _MarketVolume(market, card.rate(market, "authentication_international") is not None)
    abroad = recipient_abroad(request.business_country, country, market_countries)
    has_intl_rate = volume.has_international_rate
    international = request.auth_international and abroad and has_intl_rate
    volume.add(line, line.assumptions.over(request.assumptions), international)
    if market == NORTH_AMERICA and line.marketing > 0 and country != "CA":
        volume.marketing_to_us = True
    if request.auth_international and abroad and not has_intl_rate and line.authentication > 0:
        volume.international_without_rate = True
    return LineResult(index, market, country, international)


def _resolve_line(card: CardSnapshot, index: int, line: EstimateLine, market_map: MarketMap,
                  names_from: MarketMap | None, moved: set[tuple[str, str]]) -> tuple[str, str | None, frozenset[str]]:
    """The line's market, its recipient country when known, and the countries its market covers."""
    named = [(name, value) for name, value in (("market", line.market), ("country", line.country),
                                                ("phone", line.phone)) if value is not None]
    if len(named) != 1:
        raise LineError(index, "market", "name exactly one of market, country or phone")
    name, value = named[0]
    try:
        found = _resolve(market_map, name, value)
    except InvalidPhoneNumber as exc:
        raise LineError(index, "phone", str(exc)) from None
    except UnknownCountry as exc:
        raise LineError(index, "country", str(exc)) from None
    if name != "market":
        wanted = market_map.moved_from(found[1])
        if wanted is not None:
            moved.add((wanted, found[0]))
        return found
    if value in card.rates or value in market_map.markets:
        return found
    placed = _placed_elsewhere(market_map, names_from, value)
    if placed is None:
        raise LineError(index, "market", f"'{value}' is not a market of {card.name} on {market_map.on}")
    moved.add((value, placed[0]))
    return placed


def _placed_elsewhere(market_map: MarketMap, names_from: MarketMap | None,
                      market: str) -> tuple[str, str | None, frozenset[str]] | None:
    """A market this card does not price (newer than the card, or named as of another date), priced where
    the mapping places its countries; where they fall in several markets, the one most of them are in."""
    countries = set(market_map.moved.get(market, ()))
    if not countries and names_from is not None:
        countries = set(names_from.countries_of(market))
    if not countries:
        return None
    placed: dict[str, set[str]] = {}
    for country in sorted(countries):
        placed.setdefault(market_map.resolve_country(country).market, set()).add(country)
    target = min(placed, key=lambda name: (-len(placed[name]), name))
    ours = frozenset(placed[target])
    return target, next(iter(ours)) if len(ours) == 1 else None, ours


@lru_cache(maxsize=4096)
def _resolve(market_map: MarketMap, name: str, value: str) -> tuple[str, str | None, frozenset[str]]:
    """Where a market, country or phone number is billed; cached because parsing phones is slow and the
    same lines are priced under several cards."""
    if name == "phone":
        found = market_map.resolve_phone(value)
        return found.market, found.country, frozenset(filter(None, [found.country]))
    if name == "country":
        found = market_map.resolve_country(value)
        return found.market, found.country, frozenset([found.country])
    countries = market_map.countries_of(value)
    return value, next(iter(countries)) if len(countries) == 1 else None, countries


def _add_counts(rules: Rules, mix: _Mix, volume: _MarketVolume) -> None:
    """Split a mix's messages into charged units and free messages (the spec's formulas)."""
    assumptions = mix.assumptions
    paid_share = ONE - assumptions.free_entry_point
    template_unit, service_unit = paid_share, paid_share
    if rules.per_conversation:
        template_unit = paid_share / assumptions.templates_per_conversation
        service_unit = paid_share / assumptions.service_messages_per_conversation
    utility_outside_window = ONE
    if rules.utility_free_in_service_window:
        utility_outside_window = ONE - assumptions.utility_in_service_window
        volume.free["service_window"] += mix.utility * paid_share * assumptions.utility_in_service_window
    charged = volume.charged
    charged["marketing"] += mix.marketing * template_unit
    charged["utility"] += mix.utility * utility_outside_window * template_unit
    charged["authentication_international" if mix.international else "authentication"] += (
        mix.authentication * template_unit)
    if rules.service_charged:
        charged["service"] += mix.service * service_unit
    else:
        volume.free["service_window"] += mix.service * paid_share
    every_message = mix.marketing + mix.utility + mix.authentication + mix.service
    volume.free["entry_point"] += every_message * assumptions.free_entry_point


def _share_allowance(volumes: list[_MarketVolume], allowance: int) -> None:
    """Spread the month's free service allowance over markets in proportion to their charged service."""
    service = sum((v.charged["service"] for v in volumes), ZERO)
    if allowance <= 0 or service <= 0:
        return
    covers_all = allowance >= service
    for volume in volumes:
        own = volume.charged["service"]
        covered = own if covers_all else allowance * own / service
        volume.charged["service"] = own - covered
        volume.free["allowance"] += covered


def _price_market(card: CardSnapshot, volume: _MarketVolume, shown_tiers: tuple[str, ...]) -> MarketResult:
    market, charged = volume.market, volume.charged
    rates = card.rates.get(market, _NONE)
    ladders = card.market_ladders.get(market, _NONE)
    shared_count = charged["authentication"] + charged["authentication_international"]
    costs: dict[str, Decimal] = {}
    list_costs: dict[str, Decimal] = {}
    statuses: list[TierStatus] = []
    for category in CATEGORIES:
        own, rate, ladder = charged[category], rates.get(category), ladders.get(category, ())
        position = shared_count if category in SHARED_TIER_COUNT else own
        if not own:
            costs[category] = list_costs[category] = ZERO
        elif rate is None:
            costs[category] = list_costs[category] = ZERO
            volume.unpriced.append(category)
        else:
            list_costs[category] = own * rate
            costs[category] = own * ladder[0].rate if len(ladder) == 1 else _share_of_graduated(ladder, position, own)
        if ladder and category in shown_tiers:
            statuses.append(TierStatus(category, ladder, position, own, costs[category], list_costs[category],
                                       card.currency))
    return MarketResult(market=market, currency=card.currency, total=sum(costs.values(), ZERO),
                        list_total=sum(list_costs.values(), ZERO), by_category=costs, charged=dict(charged),
                        free=dict(volume.free), tiers=tuple(statuses))


def _shown_tiers(rules: Rules, request: EstimateRequest) -> tuple[str, ...]:
    """Categories whose tier status a result shows: authentication-international only when asked for."""
    if not rules.tiers_apply:
        return ()
    return tuple(c for c in TIERED if c != "authentication_international" or request.auth_international)


def graduated_cost(ladder: tuple[Tier, ...], count: Decimal) -> Decimal:
    """Cost of the first ``count`` messages of a month, each at the rate of the tier its position is in.

    Fractional counts are priced by their overlap with each tier: the tier from ``lower`` to ``end``
    covers the positions (lower, end]. The tiers before the count's own are full.
    """
    last = tier_at(ladder_ends(ladder), count)
    cost = sum(((tier.end - tier.lower) * tier.rate for tier in ladder[:last]), ZERO)
    tier = ladder[last]
    return cost + (count - tier.lower) * tier.rate if count > tier.lower else cost


def _share_of_graduated(ladder: tuple[Tier, ...], position: Decimal, own: Decimal) -> Decimal:
    """A category's part of the graduated cost of a shared count, in proportion to its own messages."""
    cost = graduated_cost(ladder, position)
    return cost if own == position else cost * own / position


def _sum_by(markets: list[MarketResult], attribute: str, keys: tuple[str, ...]) -> dict[str, Decimal]:
    totals = dict.fromkeys(keys, ZERO)
    for market in markets:
        for key, amount in getattr(market, attribute).items():
            totals[key] += amount
    return totals


def moved_warning(card: str, market: str, priced_as: str) -> str:
    """A card that predates a market prices its numbers where the card placed them: said, never silent."""
    return (f"{card} has no rates for {market}: {market} is priced as {priced_as}, where that card places its "
            "numbers")


def _date_warnings(card: CardSnapshot, on: date) -> list[str]:
    if on < card.effective_from:
        return [f"no {card.currency} card before {card.effective_from.isoformat()}; priced with the earliest"]
    return []



