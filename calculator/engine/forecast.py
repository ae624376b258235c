"""The month-end forecast: a month so far, extrapolated to the whole month and priced as it fills
(docs/pricing-rules.md, "Forecasting the month-end charge").

The rule, one statement: every market and billed category keeps the pace of the days so far (messages a
day = messages so far / days elapsed) to the month's end. The messages still to come continue the
month's tier count where it stands, so each is priced at the rate of the tier its position falls in
(graduated tiers: a forecast that crosses a breakpoint gets cheaper per message, it is not a straight
line of money); service messages are free until the month's free service allowance is used up, then
charged at the card's service rate. The charge so far is what was charged (each message on its own
day's card); the rest is priced with the card given (the card in force today).

`Forecast.charge_at(t)` is the month's charge after `t` days at that pace, `crossing(amount)` the day
the charge passes an amount (a budget), `days_left(balance)` how many days a balance lasts from now at
the same pace, month after month (tiers and allowance start again each month): a prepaid balance asks
the same question. Pure Python: dataclasses in, dataclasses out, Decimal money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Mapping

from .cards import CATEGORIES, CardSnapshot, Tier, ladder_ends, tier_at, tier_group
from .estimate import graduated_cost
from .money import ZERO, round_money

MAX_DAYS_LEFT = 3660  # ten years: a balance that lasts longer is "more than" this


@dataclass(frozen=True, slots=True)
class Volume:
    """One market and billed category of the month so far (one account)."""

    market: str
    category: str  # a billed category (cards.CATEGORIES)
    paid: int  # messages charged so far
    charge: Decimal  # what they were charged
    allowance: int = 0  # service messages free under the month's allowance so far


@dataclass(frozen=True, slots=True)
class MonthSoFar:
    """An account's month up to now.

    ``elapsed`` is in days, fractional (10.5: noon on the 11th); at or past ``days`` the month is over
    and the forecast is what was charged. ``tier_counts`` gives a (market, tier group)'s count so far
    when it is more than this account's own (the business's accounts count together); the count then
    grows at the same pace and this account pays its share of it.
    """

    days: int
    elapsed: Decimal
    volumes: tuple[Volume, ...]
    daily_charges: tuple[Decimal, ...] = ()  # charge of day 1, 2, ... so far
    phone_numbers: int = 1
    tier_counts: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineForecast:
    """One market and category: so far and at the month's end at the same pace."""

    market: str
    category: str
    paid: int
    charge: Decimal
    projected: Decimal  # charged messages at the month's end (this account)
    month_end: Decimal  # charge at the month's end
    tier_now: int | None  # ladder index of the tier count now (0: list rate); None untiered or unpriced
    tier_at_end: int | None
    priced: bool  # the card has a rate for it


@dataclass(frozen=True, slots=True)
class AllowanceForecast:
    """The month's free service allowance: how much, used so far, and the day it runs out."""

    allowance: int
    used: int  # service messages free under it so far
    projected_service: Decimal  # service messages of the month at the same pace
    ran_out: bool  # a service message was charged already
    runs_out_day: int | None  # the day the first charged one is expected (None: it lasts the month)


@dataclass(frozen=True, slots=True)
class Crossing:
    day: int  # day of the month (1 = the first)
    already: bool  # in the days so far (True) or at the forecast pace (False)


@dataclass(frozen=True, slots=True)
class _Growth:
    """A line's future: its tier ladder, its count's pace and its share of the count."""

    ladder: tuple[Tier, ...]
    position: Decimal  # the tier count now
    per_day: Decimal  # the tier count's messages a day
    own: Decimal  # this account's messages in the count: its part of the new ones is own / position


@dataclass(frozen=True, slots=True)
class Future:
    """The rest of the month at the pace so far: what a span of days costs from now or in a new month."""

    growth: tuple[_Growth, ...] = ()
    service: tuple[tuple[Decimal, Decimal], ...] = ()  # (service messages a day, the market's service rate)
    allowance_left: Decimal = ZERO  # free service messages left this month
    allowance: int = 0  # a whole month's free service messages

    def spend(self, span: Decimal, fresh: bool = False) -> Decimal:
        """What ``span`` more days cost: from now (the tier counts where they stand, the allowance left)
        or, ``fresh``, from the start of a new month (counts at zero, the whole allowance)."""
        cost = ZERO
        for growth in self.growth:
            start = ZERO if fresh else growth.position
            end = start + growth.per_day * span
            cost += (graduated_cost(growth.ladder, end) - graduated_cost(growth.ladder, start)) * growth.own / growth.position
        per_day = sum((messages for messages, _ in self.service), ZERO)
        if per_day:
            free = Decimal(self.allowance) if fresh else self.allowance_left
            charged = max(per_day * span - free, ZERO)
            cost += sum((charged * messages * rate / per_day for messages, rate in self.service), ZERO)
        return cost


@dataclass(frozen=True)
class Forecast:
    currency: str
    days: int
    elapsed: Decimal
    charge_so_far: Decimal
    total: Decimal  # the month-end charge
    lines: tuple[LineForecast, ...]
    allowance: AllowanceForecast | None
    unpriced: tuple[str, ...]  # "Market category" the card has no rate for (their future costs nothing)
    daily_charges: tuple[Decimal, ...] = ()
    future: Future = Future()

    @property
    def complete(self) -> bool:
        return self.elapsed >= self.days

    @property
    def rounded_total(self) -> Decimal:
        return round_money(self.total, self.currency)

    @property
    def by_category(self) -> dict[str, Decimal]:
        found: dict[str, Decimal] = {}
        for line in self.lines:
            found[line.category] = found.get(line.category, ZERO) + line.month_end
        return {category: found[category] for category in CATEGORIES if found.get(category)}

    def charge_at(self, t: Decimal | int) -> Decimal:
        """The month's charge after ``t`` days (from the month's start) at the pace so far; t <= days."""
        t = min(max(Decimal(t), self.elapsed), Decimal(self.days))
        return self.charge_so_far + self.future.spend(t - self.elapsed)

    def crossing(self, amount: Decimal) -> Crossing | None:
        """The day the month's charge passes ``amount``: in the days so far, else at the forecast pace."""
        running = ZERO
        for day, charge in enumerate(self.daily_charges, start=1):
            running += charge
            if running > amount:
                return Crossing(day, True)
        if self.charge_so_far > amount:
            return Crossing(min(max(len(self.daily_charges), 1), self.days), True)
        first = int(self.elapsed.to_integral_value(rounding=ROUND_FLOOR)) + 1
        for day in range(first, self.days + 1):
            if self.charge_at(day) > amount:
                return Crossing(day, False)
        return None

    def days_left(self, balance: Decimal) -> int | None:
        """Whole days from now that ``balance`` pays for at the pace so far, into the next months (each of
        ``days`` days, tiers and allowance from zero); None when nothing is spent or it lasts more than
        MAX_DAYS_LEFT days."""
        if balance <= 0:
            return 0
        rest = Decimal(self.days) - self.elapsed
        this_month = self.future.spend(rest) if rest > 0 else ZERO
        if this_month > balance:
            return self._whole_days(balance, rest, fresh=False)
        month = self.future.spend(Decimal(self.days), fresh=True)
        if month <= 0:
            return None
        left = balance - this_month
        months = int((left / month).to_integral_value(rounding=ROUND_FLOOR))
        found = rest + months * self.days + self._whole_days(left - month * months, Decimal(self.days), fresh=True)
        return None if found > MAX_DAYS_LEFT else int(found)

    def _whole_days(self, amount: Decimal, span: Decimal, fresh: bool) -> int:
        """The most whole days (within ``span``) whose spend stays within ``amount``."""
        days = 0
        while days + 1 <= span and self.future.spend(Decimal(days + 1), fresh) <= amount:
            days += 1
        return days


def forecast(card: CardSnapshot, so_far: MonthSoFar) -> Forecast:
    """The month-end forecast of an account's month so far, the rest priced with ``card``."""
    if so_far.elapsed <= 0:
        raise ValueError("a forecast needs some of the month to have passed (elapsed > 0)")
    elapsed = min(so_far.elapsed, Decimal(so_far.days))
    pace = Decimal(so_far.days) / elapsed  # the month's messages per message so far
    counts = _tier_counts(so_far)
    lines, growths, unpriced = [], [], []
    service = [v for v in so_far.volumes if v.category == "service"]
    for volume in so_far.volumes:
        if volume.category == "service" and card.rules.service_charged:
            continue  # priced with the allowance below
        ladder = _ladder(card, volume.market, volume.category)
        position = Decimal(max(counts.get((volume.market, tier_group(volume.category)), 0), volume.paid))
        if not ladder and volume.paid:
            unpriced.append(f"{volume.market} {volume.category}")
        growth = None
        if ladder and volume.paid:
            growth = _Growth(ladder, position, position / elapsed, Decimal(volume.paid))
            growths.append(growth)
        rest = ZERO if growth is None else (graduated_cost(ladder, position * pace)
                                            - graduated_cost(ladder, position)) * growth.own / position
        tiered = len(ladder) > 1
        ends = ladder_ends(ladder) if tiered else ()
        lines.append(LineForecast(
            volume.market, volume.category, volume.paid, volume.charge, volume.paid * pace, volume.charge + rest,
            tier_at(ends, position) if tiered else None, tier_at(ends, position * pace) if tiered else None,
            bool(ladder)))
    allowance, service_rates, left, month_allowance = None, (), ZERO, 0
    if card.rules.service_charged:
        allowance, service_rates, left, month_allowance, service_lines = _service(card, so_far, service, elapsed,
                                                                                  pace, unpriced)
        lines.extend(service_lines)
    future = Future(tuple(growths), service_rates, left, month_allowance)
    so_far_charge = sum((v.charge for v in so_far.volumes), ZERO)
    rest = future.spend(Decimal(so_far.days) - elapsed) if elapsed < so_far.days else ZERO
    return Forecast(
        currency=card.currency, days=so_far.days, elapsed=elapsed, charge_so_far=so_far_charge,
        total=so_far_charge + rest, lines=tuple(sorted(lines, key=lambda l: (-l.month_end, l.market, l.category))),
        allowance=allowance, unpriced=tuple(unpriced), daily_charges=so_far.daily_charges,
        future=future,
    )


def _tier_counts(so_far: MonthSoFar) -> dict[tuple[str, str], int]:
    """Each (market, tier group)'s count so far: the given (business) count, or this account's paid."""
    own: dict[tuple[str, str], int] = {}
    for volume in so_far.volumes:
        key = (volume.market, tier_group(volume.category))
        own[key] = own.get(key, 0) + volume.paid
    return {key: max(n, so_far.tier_counts.get(key, 0)) for key, n in own.items()}


def _ladder(card: CardSnapshot, market: str, category: str) -> tuple[Tier, ...]:
    """The ladder a category's messages are priced on (authentication-international without its own rate
    in the market: the authentication ladder, as usage charges price it)."""
    if category == "authentication_international" and card.rate(market, category) is None:
        category = "authentication"
    return card.ladder(market, category) if category in CATEGORIES else ()


def _service(card: CardSnapshot, so_far: MonthSoFar, service: list[Volume], elapsed: Decimal, pace: Decimal,
             unpriced: list[str]):
    """Service messages on a card that charges them: free until the month's allowance is used, then at the
    market's service rate (no tiers)."""
    month_allowance = card.rules.allowance_for(so_far.phone_numbers)
    used = sum(v.allowance for v in service)
    ran_out = any(v.paid for v in service)
    left = ZERO if ran_out else Decimal(max(month_allowance - used, 0))
    total = Decimal(sum(v.paid + v.allowance for v in service))
    rates, lines = [], []
    future = total * (pace - 1)
    charged = max(future - left, ZERO)
    for volume in service:
        messages = Decimal(volume.paid + volume.allowance)
        rate = card.rate(volume.market, "service")
        if rate is None and volume.paid + volume.allowance:
            unpriced.append(f"{volume.market} service")
        share = messages / total if total else ZERO
        rest = charged * messages * rate / total if rate is not None and total else ZERO
        if messages:
            rates.append((messages / elapsed, rate if rate is not None else ZERO))
        lines.append(LineForecast(volume.market, "service", volume.paid, volume.charge,
                                  volume.paid + charged * share, volume.charge + rest, None, None, rate is not None))
    runs_out = None
    if not ran_out and total and left < future:
        when = elapsed * (1 + left / total)  # the day the allowance's last free message goes out
        runs_out = min(int(when.to_integral_value(rounding=ROUND_FLOOR)) + 1, so_far.days)
    allowance = AllowanceForecast(month_allowance, used, total * pace, ran_out, runs_out) if month_allowance else None
    return allowance, tuple(rates), left, month_allowance, lines
