"""A workspace's prepaid balance and its package on the dashboard (docs/pricing-rules.md, "Prepaid balances"
and "Packages").

The balance is every top-up staff entered up to the day asked (converted to the dashboard's currency at
the admin's exchange rate of the top-up's day; one without a rate is listed, not counted) minus the
approximate charges of every day from the first top-up on, this month's so far included. How long it
lasts is the month-end forecast's question (`calculator.engine.forecast`, `Forecast.days_left`: the pace
so far, tiers and the free service allowance applied, month after month). The suggested top-up covers a
month at the average charge of the last three months before this one and keeps the alert threshold,
less the balance.

The package: the month's messages so far in the units of the workspace's package plan, priced by
`plans.pricing.price_package` (the one place of plan arithmetic), and the same at the month's end at
the pace so far (the forecast's rule: messages a day = messages so far / days elapsed).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from django.db.models import CharField, Count, Sum, Value
from django.db.models.functions import Cast, Concat

from calculator.engine.cards import CATEGORIES
from calculator.engine.money import ZERO
from plans.models import NoExchangeRate, conversion
from plans.pricing import MarketUsage, PackagePrice, price_package

from .forecast import MonthForecast
from .models import COUNTED_OUTCOMES, CURRENCY, DailyUsage, Message, Outcome, TopUp, Workspace, units_to_money

LAST_MONTHS = 3  # the suggested top-up covers a month at the average of this many months before
TEMPLATES = ("marketing", "utility", "authentication", "authentication_international")


@dataclass(frozen=True)
class TopUpLine:
    top_up: TopUp
    amount: Decimal | None  # in the dashboard's currency; None: no exchange rate, not counted
    note: str  # how it was converted, or why it is not counted


@dataclass(frozen=True)
class Prepaid:
    """The prepaid balance at the end of a month's data (or now), and how long it lasts."""

    currency: str
    as_of: date
    lines: tuple[TopUpLine, ...]
    spent: Decimal  # charges from the first top-up's day to as_of
    month_spent: Decimal  # of which this month's
    threshold: Decimal | None
    days_left: int | None  # whole days at the forecast's pace; None: nothing spent, or more than ten years
    last_months: tuple[tuple[date, Decimal], ...]  # the months the suggestion is sized from, and their charges

    @property
    def topped_up(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.amount is not None), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.topped_up - self.spent

    @property
    def below_threshold(self) -> bool:
        return self.threshold is not None and self.balance < self.threshold

    @property
    def average_month(self) -> Decimal | None:
        if not self.last_months:
            return None
        return sum((charge for _, charge in self.last_months), ZERO) / len(self.last_months)

    @property
    def suggested_top_up(self) -> Decimal | None:
        """A month at the last months' average plus the alert threshold, less the balance, rounded up to whole
        currency units (None: no month before this one to size it from)."""
        average = self.average_month
        if average is None:
            return None
        wanted = average + (self.threshold or ZERO) - self.balance
        return max(wanted, ZERO).to_integral_value(rounding=ROUND_CEILING)

    @property
    def unconverted(self) -> list[TopUpLine]:
        return [line for line in self.lines if line.amount is None]


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _charges(workspace: Workspace, start: date, end: date) -> Decimal:
    rows = DailyUsage.objects.filter(workspace=workspace, day__gte=start, day__lte=end)
    return units_to_money(rows.aggregate(c=Sum("charge_units"))["c"])


def _top_up_line(top_up: TopUp) -> TopUpLine:
    try:
        found = conversion(top_up.currency, CURRENCY, top_up.on)
    except NoExchangeRate:
        return TopUpLine(top_up, None, f"not counted: no {top_up.currency} to {CURRENCY} exchange rate in force on "
                                       f"{top_up.on.isoformat()} (an admin enters one under Price plans)")
    return TopUpLine(top_up, top_up.amount * found.rate, found.description())


def prepaid(workspace: Workspace, month: date, as_of: date, ahead: MonthForecast | None,
            months: list[date]) -> Prepaid | None:
    """The balance on ``as_of`` (top-ups up to it, charges from the first to it); None without top-ups."""
    top_ups = list(workspace.top_ups.filter(on__lte=as_of).order_by("on", "pk"))
    if not top_ups:
        return None
    lines = tuple(_top_up_line(top_up) for top_up in top_ups)
    first = top_ups[0].on
    spent = _charges(workspace, first, as_of)
    month_spent = _charges(workspace, max(first, month), as_of)
    before = [m for m in months if m < month][:LAST_MONTHS]
    last = tuple((m, _charges(workspace, m, month_end(m))) for m in before)
    balance = sum((line.amount for line in lines if line.amount is not None), ZERO) - spent
    days_left = ahead.forecast.days_left(balance) if ahead is not None else None
    return Prepaid(CURRENCY, as_of, lines, spent, month_spent, workspace.prepaid_alert_below, days_left, last)


# --- The workspace's package ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PackageUse:
    """The month's consumption of the workspace's package so far and at the month's end at the same pace."""

    plan_name: str
    so_far: PackagePrice
    month_end: PackagePrice | None  # None: no forecast (the month has not begun, or no card)
    utility_in_window_counted: bool = True


ALL_MARKETS = "All markets"


def month_usage(workspace: Workspace, month: date, scale: Decimal = Decimal(1),
                meta: dict[str, Decimal] | None = None) -> MarketUsage:
    """The month's messages as a package counts them (all markets together), times ``scale``."""
    return _usages(workspace, month, by_market=False, scale=scale, meta=meta)[0]


def market_usages(workspace: Workspace, month: date) -> tuple[MarketUsage, ...]:
    """The month's messages per market, as every kind of plan bills on them (see ``_usages``)."""
    return _usages(workspace, month, by_market=True)


def _usages(workspace: Workspace, month: date, *, by_market: bool, scale: Decimal = Decimal(1),
            meta: dict[str, Decimal] | None = None) -> tuple[MarketUsage, ...]:
    """From the daily sums: Meta's charge and the paid messages per category (a money plan's fees count these;
    a charged message is one conversation: the quotes' rule on a per-message card at their default of one
    template a conversation, ``plans.pricing.derive_usage``); every message
    delivered (a package's units and a per-message credit table count these), utility inside an open chat on its
    own; the conversations customers started: a day on which a customer wrote (each customer once a day).
    All markets together (``by_market=False``: one usage, named "All markets") or one usage per market."""
    keys = ("market",) if by_market else ()
    rows = (DailyUsage.objects.filter(workspace=workspace, month=month, outcome__in=COUNTED_OUTCOMES)
            .values(*keys, "category", "outcome").annotate(n=Sum("messages"), c=Sum("charge_units")).order_by(*keys))
    found: dict[str, dict] = {}
    for row in rows:
        category = row["category"]
        if category not in CATEGORIES:
            continue
        market = (row["market"] or "Unknown") if by_market else ALL_MARKETS
        counts = found.get(market) or found.setdefault(market, _no_counts())
        counts["charged"][category] += units_to_money(row["c"])
        if row["outcome"] == Outcome.PAID:
            counts["paid"][category] += row["n"]
        if category == "utility" and row["outcome"] == Outcome.SERVICE_WINDOW:
            counts["in_window"] += row["n"]
        else:
            counts["sent"][category] += row["n"]
    inbound = Message.objects.filter(workspace=workspace, month=month, inbound=True)
    started = Count(Concat("contact", Value(" "), Cast("day", CharField())), distinct=True)
    if by_market:
        windows = {row["market"] or "Unknown": row["n"] for row in
                   inbound.values("market").annotate(n=started).order_by("market")}
    else:
        windows = {ALL_MARKETS: inbound.aggregate(n=started)["n"]}
    return tuple(
        MarketUsage(market=market, meta_cost=meta if meta is not None else counts["charged"],
                    messages={c: n * scale for c, n in counts["paid"].items()},
                    conversations={c: n * scale for c, n in counts["paid"].items()},
                    receptive_windows=Decimal(windows.get(market) or 0) * scale, utility_in_window=ZERO,
                    utility_rate=None, sent={c: n * scale for c, n in counts["sent"].items()},
                    utility_sent_in_window=counts["in_window"] * scale)
        for market, counts in sorted((m, found.get(m) or _no_counts()) for m in set(found) | set(windows)))


def _no_counts() -> dict:
    """A market's counts before its first row (a market where customers only wrote stays at these)."""
    return {"sent": dict.fromkeys(CATEGORIES, ZERO), "charged": dict.fromkeys(CATEGORIES, ZERO),
            "paid": dict.fromkeys(CATEGORIES, ZERO), "in_window": ZERO}


def package_use(workspace: Workspace, month: date, ahead: MonthForecast | None) -> PackageUse | str | None:
    """None without a package plan; a sentence when the plan cannot be priced for the month."""
    plan = workspace.package_plan
    if plan is None:
        return None
    terms = plan.package_terms_on(month_end(month))
    if terms is None:
        return f"{plan.name} has no package terms in force in {month:%B %Y}."
    try:
        fees = conversion(plan.currency, CURRENCY, month_end(month))
    except NoExchangeRate as exc:
        return f"{plan.name}'s consumption cannot be shown in {CURRENCY}: {exc}."
    package = terms.as_package()
    so_far = price_package(package, (month_usage(workspace, month),), CURRENCY, fee_rate=fees.rate)
    at_end = None
    if ahead is not None and ahead.forecast.elapsed > 0:
        scale = Decimal(ahead.forecast.days) / min(ahead.forecast.elapsed, Decimal(ahead.forecast.days))
        at_end = price_package(package, (month_usage(workspace, month, scale, ahead.forecast.by_category),),
                               CURRENCY, fee_rate=fees.rate)
    return PackageUse(plan.name, so_far, at_end, terms.utility_in_window_consumes_units)
