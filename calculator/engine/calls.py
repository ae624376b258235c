"""What WhatsApp Business Calling API minutes cost (Meta's "Calling API pricing" rules): pure Python.

Rules, as Meta states them:
- user-initiated calls are free; business-initiated calls are charged per minute by the market of the
  number called;
- a call is billed by its connected duration in 6-second pulses, a part pulse counting as a whole one
  (a 56-second call is 9.33 pulses, billed as 10 pulses = 60 seconds = 1 minute);
- six monthly minute tiers (0-50,000 / 50,001-250,000 / 250,001-1M / 1M-2.5M / 2.5M-5M / 5M+), accrued
  per business, market and month; a call that crosses a tier boundary is priced ENTIRELY at the new rate;
- business numbers in some countries cannot place business-initiated calls at all.

Rates come from a `CallingCard`. Meta's own calling rate files were not found: the shipped card is a
reconstruction whose every row carries its reliability and basis, and every result says so. Where the
card has no rate for a market, nothing is priced and a warning says so; where it has no ladder, minutes
are priced at the first tier's rate with a warning that the tiers are unknown. No figure is invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

from .money import ZERO, round_money

PULSE_SECONDS = 6
SECONDS_PER_MINUTE = 60
# Upper ends (inclusive) of the first five monthly minute tiers; the sixth is open.
TIER_ENDS: tuple[int, ...] = (50_000, 250_000, 1_000_000, 2_500_000, 5_000_000)
TIER_LABELS = ("0-50,000", "50,001-250,000", "250,001-1M", "1M-2.5M", "2.5M-5M", "5M+")
TIER_COUNT = len(TIER_ENDS) + 1
RECONSTRUCTED_NOTE = (
    "Calling rates are a reconstructed table: Meta's own calling rate files were not found; "
    "each market shows how reliable its rate is"
)
# Countries whose business numbers cannot place business-initiated calls (Meta's Calling API pages):
# the 2026 list from 2026-01-01; before then the 2025 list, with Turkey where 2026 has Egypt.
EXCLUDED_BUSINESS_COUNTRIES: tuple[tuple[date, frozenset[str]], ...] = (
    (date(2026, 1, 1), frozenset({"US", "CA", "EG", "VN", "NG"})),
    (date.min, frozenset({"US", "CA", "TR", "VN", "NG"})),
)


def excluded_business_countries(on: date) -> frozenset[str]:
    for since, countries in EXCLUDED_BUSINESS_COUNTRIES:
        if on >= since:
            return countries
    return frozenset()


def pulses(seconds: Decimal | int) -> int:
    """6-second pulses billed for one call of that connected duration (a part pulse is a whole one)."""
    seconds = Decimal(seconds)
    if seconds <= 0:
        return 0
    return int((seconds / PULSE_SECONDS).to_integral_value(rounding=ROUND_CEILING))


def billed_minutes(seconds: Decimal | int) -> Decimal:
    """Minutes billed for one call: its pulses x 6 seconds, in minutes (a 56-second call: 1)."""
    return Decimal(pulses(seconds) * PULSE_SECONDS) / SECONDS_PER_MINUTE


def tier_index(minutes_after: Decimal) -> int:
    """The tier (0-5) whose rate prices a call that takes the month's count to ``minutes_after``: the
    tier that count ends in, since a call crossing a boundary is priced entirely at the new rate."""
    for index, end in enumerate(TIER_ENDS):
        if minutes_after <= end:
            return index
    return len(TIER_ENDS)


@dataclass(frozen=True, slots=True)
class CallingRate:
    """One market's row: ``per_minute`` (the first tier) or None where the table has no rate; ``ladder``
    the six tier rates where the whole ladder is known, else empty."""

    market: str
    per_minute: Decimal | None
    ladder: tuple[Decimal, ...] = ()
    reliability: str = ""
    basis: str = ""

    def __post_init__(self) -> None:
        if self.per_minute is not None and (not isinstance(self.per_minute, Decimal) or self.per_minute < 0):
            raise ValueError(f"{self.market}: a per-minute rate is a Decimal >= 0 or None")
        if self.ladder and len(self.ladder) != TIER_COUNT:
            raise ValueError(f"{self.market}: a ladder has {TIER_COUNT} rates, not {len(self.ladder)}")
        if self.ladder and self.per_minute is None:
            raise ValueError(f"{self.market}: a ladder without a per-minute rate")

    @property
    def has_ladder(self) -> bool:
        return bool(self.ladder)

    def rate_in_tier(self, index: int) -> Decimal:
        """The rate of a tier; without a ladder, the per-minute rate for every tier."""
        assert self.per_minute is not None
        return self.ladder[index] if self.ladder else self.per_minute


@dataclass(frozen=True, eq=False)
class CallingCard:
    """A dated calling rate card of one currency: one `CallingRate` per market."""

    id: int
    name: str
    currency: str
    effective_from: date
    rates: Mapping[str, CallingRate]
    source: str = ""
    reconstructed: bool = True  # Meta's own files not found: results carry RECONSTRUCTED_NOTE

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", MappingProxyType(dict(self.rates)))


# --- Inputs ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallsLine:
    """A month of calls to one market: business-initiated talk minutes with their average call length,
    and user-initiated minutes (free, shown for completeness). ``country`` is what the user typed."""

    market: str
    country: str | None = None
    business_initiated_minutes: Decimal = ZERO
    average_call_seconds: Decimal = Decimal(60)
    user_initiated_minutes: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class CallsRequest:
    lines: tuple[CallsLine, ...]
    business_country: str | None = None  # ISO alpha-2 of the business number's country


@dataclass(frozen=True, slots=True)
class Call:
    """One business-initiated call as it happened (usage): market, month key and connected seconds."""

    market: str
    month: str  # "2026-11": tiers restart each month
    seconds: Decimal


# --- Results ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierUse:
    """Calls and billed minutes of one market's month priced at one tier's rate."""

    index: int  # 0-5
    label: str
    rate: Decimal
    calls: Decimal
    minutes: Decimal
    cost: Decimal


@dataclass(frozen=True, slots=True)
class CallsMarketResult:
    market: str
    countries: tuple[str, ...]
    currency: str
    priced: bool  # False where there is no rate or business-initiated calls are impossible
    calls: Decimal  # business-initiated calls (expected, may be fractional)
    talk_minutes: Decimal  # business-initiated minutes as entered
    billed_minutes: Decimal  # after rounding each call up to whole 6-second pulses
    user_initiated_minutes: Decimal
    cost: Decimal
    list_cost: Decimal  # the same billed minutes at the first tier's rate
    tiers: tuple[TierUse, ...]
    per_minute: Decimal | None
    ladder: tuple[Decimal, ...]
    reliability: str
    basis: str
    warnings: tuple[str, ...]

    @property
    def tier_savings(self) -> Decimal:
        return self.list_cost - self.cost

    @property
    def rounded_cost(self) -> Decimal:
        return round_money(self.cost, self.currency)

    @property
    def rate_now(self) -> Decimal | None:
        """The rate of the tier the month reached (the per-minute rate before any call)."""
        return self.tiers[-1].rate if self.tiers else self.per_minute

    @property
    def tier_reached(self) -> int:
        return self.tiers[-1].index if self.tiers else 0


@dataclass(frozen=True, slots=True)
class CallsResult:
    """A month of calls priced with one calling card (or with none: ``card`` None, nothing priced)."""

    card_id: int | None
    card_name: str | None
    card_effective_from: date | None
    currency: str
    total: Decimal
    by_market: tuple[CallsMarketResult, ...]
    warnings: tuple[str, ...]
    note: str = RECONSTRUCTED_NOTE
    business_calls_allowed: bool = True

    @property
    def rounded_total(self) -> Decimal:
        return round_money(self.total, self.currency)

    @property
    def billed_minutes(self) -> Decimal:
        return sum((m.billed_minutes for m in self.by_market), ZERO)

    @property
    def user_initiated_minutes(self) -> Decimal:
        return sum((m.user_initiated_minutes for m in self.by_market), ZERO)


# --- Estimating a month ----------------------------------------------------------------------------------


def calls_of(minutes: Decimal, average_seconds: Decimal) -> Decimal:
    """Expected calls a month: minutes x 60 / average call length in seconds."""
    if minutes <= 0 or average_seconds <= 0:
        return ZERO
    return minutes * SECONDS_PER_MINUTE / average_seconds


def _floor(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_FLOOR)


def price_uniform_calls(rate: CallingRate, calls: Decimal, minutes_per_call: Decimal,
                        already: Decimal = ZERO) -> tuple[TierUse, ...]:
    """``calls`` calls of ``minutes_per_call`` billed minutes each, after ``already`` minutes this month.

    The k-th call ends at already + k x m; it is priced at the tier that count ends in. So the calls
    priced in tier t are those with already + k x m <= end(t), minus those of the tiers before. The last
    (fractional) part of an expected count is priced at the tier of the call it belongs to.
    """
    if calls <= 0 or minutes_per_call <= 0:
        return ()
    uses: list[TierUse] = []
    done = ZERO  # calls priced so far
    for index in range(TIER_COUNT):
        if index < len(TIER_ENDS):
            room = TIER_ENDS[index] - already
            fit = _floor(room / minutes_per_call) if room > 0 else ZERO
            up_to = min(calls, max(fit, done))
        else:
            up_to = calls
        in_tier = up_to - done
        if in_tier > 0:
            tier_rate = rate.rate_in_tier(index)
            minutes = in_tier * minutes_per_call
            uses.append(TierUse(index, TIER_LABELS[index], tier_rate, in_tier, minutes, minutes * tier_rate))
            done = up_to
        if done >= calls:
            break
    return tuple(uses)


def estimate_calls(card: CallingCard | None, request: CallsRequest, on: date,
                   countries_by_market: Mapping[str, Sequence[str]] | None = None,
                   currency: str = "USD") -> CallsResult:
    """Price a month of calls per market. Lines of one market accrue its tiers in the order given."""
    countries_by_market = countries_by_market or {}
    warnings: list[str] = []
    excluded = request.business_country in excluded_business_countries(on)
    if excluded:
        warnings.append(
            f"business-initiated calls cannot be placed from business numbers in {request.business_country} "
            f"(Meta's Calling API excludes {', '.join(sorted(excluded_business_countries(on)))} on "
            f"{on.isoformat()}): no call is priced")
    if card is None:
        wanted = any(line.business_initiated_minutes > 0 for line in request.lines)
        if wanted and not excluded:
            warnings.append(f"no {currency} calling rate card is in force on {on.isoformat()}: "
                            "business-initiated calls are not priced")
    grouped: dict[str, list[CallsLine]] = {}
    for line in request.lines:
        grouped.setdefault(line.market, []).append(line)
    markets = []
    for market, lines in grouped.items():
        found = _price_market(card, market, lines, tuple(countries_by_market.get(market, ())), excluded,
                              card.currency if card else currency)
        markets.append(found)
        warnings.extend(found.warnings)
    markets.sort(key=lambda m: (-m.cost, m.market))
    if card is not None and any(line.business_initiated_minutes > 0 for line in request.lines) and card.reconstructed:
        warnings.append(RECONSTRUCTED_NOTE)
    return CallsResult(
        card_id=card.id if card else None, card_name=card.name if card else None,
        card_effective_from=card.effective_from if card else None,
        currency=card.currency if card else currency,
        total=sum((m.cost for m in markets), ZERO), by_market=tuple(markets), warnings=tuple(warnings),
        note=RECONSTRUCTED_NOTE if card is None or card.reconstructed else "",
        business_calls_allowed=not excluded,
    )


def _price_market(card: CallingCard | None, market: str, lines: list[CallsLine], countries: tuple[str, ...],
                  excluded: bool, currency: str) -> CallsMarketResult:
    talk = sum((line.business_initiated_minutes for line in lines), ZERO)
    user = sum((line.user_initiated_minutes for line in lines), ZERO)
    calls = sum((calls_of(line.business_initiated_minutes, line.average_call_seconds) for line in lines), ZERO)
    rate = card.rates.get(market) if card else None
    billed = sum((calls_of(line.business_initiated_minutes, line.average_call_seconds)
                  * billed_minutes(line.average_call_seconds) for line in lines), ZERO)
    warnings: list[str] = []
    common = dict(market=market, countries=countries, currency=currency, calls=calls, talk_minutes=talk,
                  billed_minutes=billed, user_initiated_minutes=user,
                  per_minute=rate.per_minute if rate else None, ladder=rate.ladder if rate else (),
                  reliability=rate.reliability if rate else "", basis=rate.basis if rate else "")
    if excluded or card is None or talk <= 0:
        return CallsMarketResult(priced=False, cost=ZERO, list_cost=ZERO, tiers=(), warnings=(), **common)
    if rate is None or rate.per_minute is None:
        warnings.append(f"{card.name} has no calling rate for {market}: "
                        f"{_minutes_text(billed)} business-initiated minutes are not priced")
        return CallsMarketResult(priced=False, cost=ZERO, list_cost=ZERO, tiers=(), warnings=tuple(warnings),
                                 **common)
    if not rate.has_ladder:
        warnings.append(f"{market}: the calling volume tiers are unknown; every minute is priced at the "
                        f"first tier's rate {rate.per_minute} (above 50,000 minutes a month Meta's rate is lower)")
    uses: list[TierUse] = []
    already = ZERO
    for line in lines:
        line_calls = calls_of(line.business_initiated_minutes, line.average_call_seconds)
        per_call = billed_minutes(line.average_call_seconds)
        uses.extend(price_uniform_calls(rate, line_calls, per_call, already))
        already += line_calls * per_call
    merged = _merge_tiers(uses)
    cost = sum((use.cost for use in merged), ZERO)
    return CallsMarketResult(priced=True, cost=cost, list_cost=billed * rate.per_minute, tiers=merged,
                             warnings=tuple(warnings), **common)


def _merge_tiers(uses: Iterable[TierUse]) -> tuple[TierUse, ...]:
    by_index: dict[int, list[TierUse]] = {}
    for use in uses:
        by_index.setdefault(use.index, []).append(use)
    merged = []
    for index in sorted(by_index):
        group = by_index[index]
        merged.append(TierUse(index, TIER_LABELS[index], group[0].rate, sum((u.calls for u in group), ZERO),
                              sum((u.minutes for u in group), ZERO), sum((u.cost for u in group), ZERO)))
    return tuple(merged)


# --- Exact calls (usage) ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricedCall:
    market: str
    month: str
    seconds: Decimal
    pulses: int
    minutes: Decimal  # billed
    tier: int | None  # None when not priced
    rate: Decimal | None
    amount: Decimal
    reason: str = ""  # why it was not priced, when it was not


@dataclass
class CallLedger:
    """Prices business-initiated calls one by one in time order, accruing minutes per market and month
    (one ledger per business). A call is priced entirely at the tier its month's count ends in."""

    card_for: object  # Callable[[Call], CallingCard | None]: the card in force for a call
    business_country: str | None = None
    excluded_on: object = None  # Callable[[Call], bool]: the business number may not call then
    minutes: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    def price(self, call: Call) -> PricedCall:
        count = pulses(call.seconds)
        minutes = Decimal(count * PULSE_SECONDS) / SECONDS_PER_MINUTE
        if self.excluded_on is not None and self.excluded_on(call):
            country = getattr(call, "business_country", None) or self.business_country
            return PricedCall(call.market, call.month, call.seconds, count, minutes, None, None, ZERO,
                              f"business-initiated calls cannot be placed from {country} numbers")
        card = self.card_for(call)
        rate = card.rates.get(call.market) if card is not None else None
        if card is None:
            return PricedCall(call.market, call.month, call.seconds, count, minutes, None, None, ZERO,
                              "no calling rate card in force")
        if rate is None or rate.per_minute is None:
            return PricedCall(call.market, call.month, call.seconds, count, minutes, None, None, ZERO,
                              f"{card.name} has no calling rate for {call.market}")
        key = (call.market, call.month)
        after = self.minutes.get(key, ZERO) + minutes
        self.minutes[key] = after
        index = tier_index(after)
        tier_rate = rate.rate_in_tier(index)
        return PricedCall(call.market, call.month, call.seconds, count, minutes, index, tier_rate, minutes * tier_rate)


def _minutes_text(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.01"))
    if rounded == rounded.to_integral_value():
        return f"{int(rounded):,}"
    return f"{rounded:,}"
