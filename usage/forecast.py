"""A workspace-month's month-end forecast and its budget, from the stored daily sums.

The rule is the engine's (`calculator.engine.forecast`, docs/pricing-rules.md "Forecasting the month-end
charge"); this module reads what it needs from `DailyUsage` (paid messages and charges per market and
category, free service messages under the allowance, charges per day), the business's tier counts, the
card in force today, and how much of the month has passed in the account's time zone.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from calculator.engine.cards import tier_group
from calculator.engine.forecast import Crossing, Forecast, MonthSoFar, Volume, forecast

from .charges import Pricer
from .models import DailyUsage, MonthSummary, Outcome, Workspace, units_to_money
from .store import month_start_ts, scope_of
from .summary import daily

SECONDS_A_DAY = 86400


@dataclass(frozen=True)
class MonthForecast:
    """What the dashboard and the alerts say about a month's end: the forecast, the budget, the day it
    is crossed."""

    month: date
    forecast: Forecast
    budget: Decimal | None
    crossing: Crossing | None

    @property
    def currency(self) -> str:
        return self.forecast.currency

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.forecast.total > self.budget

    @property
    def crossing_date(self) -> date | None:
        return None if self.crossing is None else self.month.replace(day=self.crossing.day)

    @property
    def allowance_runs_out(self) -> date | None:
        allowance = self.forecast.allowance
        return None if allowance is None or allowance.runs_out_day is None else self.month.replace(
            day=allowance.runs_out_day)

    @property
    def days_so_far(self) -> Decimal:
        return self.forecast.elapsed.quantize(Decimal("0.1"))

    @property
    def budget_share(self) -> int | None:
        """The forecast as a percentage of the budget (for the bar), capped at 100."""
        if not self.budget:
            return None
        return min(int(self.forecast.total * 100 / self.budget), 100)


def elapsed_days(workspace: Workspace, month: date, now: datetime) -> Decimal | None:
    """Days of the month passed at ``now`` in the account's time zone (fractional); None before it began."""
    start = month_start_ts(month, workspace.tz)
    days = calendar.monthrange(month.year, month.month)[1]
    seconds = int(now.timestamp()) - start
    if seconds <= 0:
        return None
    local = now.astimezone(workspace.tz)
    if (local.year, local.month) != (month.year, month.month):
        return Decimal(days)  # the month is over
    into_day = local.hour * 3600 + local.minute * 60 + local.second
    return Decimal(local.day - 1) + Decimal(into_day) / SECONDS_A_DAY


def month_so_far(workspace: Workspace, month: date, elapsed: Decimal) -> MonthSoFar:
    rows = daily(workspace, month)
    paid = (rows.filter(outcome=Outcome.PAID).values("market", "category")
            .annotate(n=Sum("messages"), c=Sum("charge_units")).order_by("market", "category"))
    free_service = dict(rows.filter(outcome=Outcome.ALLOWANCE, category="service").values("market")
                        .annotate(n=Sum("messages")).order_by().values_list("market", "n"))
    volumes = [Volume(row["market"], row["category"], row["n"], units_to_money(row["c"]),
                      free_service.pop(row["market"], 0) if row["category"] == "service" else 0)
               for row in paid if row["category"]]
    volumes += [Volume(market, "service", 0, Decimal(0), n) for market, n in sorted(free_service.items())]
    charges = dict(rows.values("day").annotate(c=Sum("charge_units")).order_by().values_list("day", "c"))
    days = calendar.monthrange(month.year, month.month)[1]
    last = max(charges, default=month).day
    summary = MonthSummary.objects.filter(workspace=workspace, month=month).first()
    return MonthSoFar(
        days=days, elapsed=elapsed, volumes=tuple(volumes),
        daily_charges=tuple(units_to_money(charges.get(month.replace(day=d), 0)) for d in range(1, last + 1)),
        phone_numbers=summary.phone_numbers if summary else 1,
        tier_counts=_business_counts(workspace, month),
    )


def _business_counts(workspace: Workspace, month: date) -> dict[tuple[str, str], int]:
    """Charged messages per market and tier group across the business's accounts (empty without one)."""
    scope = scope_of(workspace.pk)
    if len(scope) == 1:
        return {}
    counts: dict[tuple[str, str], int] = {}
    rows = (DailyUsage.objects.filter(workspace_id__in=scope, month=month, outcome=Outcome.PAID)
            .values("market", "category").annotate(n=Sum("messages")).order_by())
    for row in rows:
        key = (row["market"], tier_group(row["category"]))
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def month_forecast(workspace: Workspace, month: date, now: datetime | None = None,
                   pricer: Pricer | None = None) -> MonthForecast | None:
    """The month's forecast at ``now`` (default: the present); None before the month began or without a
    card to price the rest of it."""
    now = now or timezone.now()
    elapsed = elapsed_days(workspace, month, now)
    if elapsed is None:
        return None
    days = calendar.monthrange(month.year, month.month)[1]
    pricer = pricer or Pricer(tz=workspace.tz)
    on = min(int(now.timestamp()), month_start_ts(month, workspace.tz) + days * SECONDS_A_DAY - 43200)
    card = pricer.day(on).card
    if card is None:
        return None
    found = forecast(card, month_so_far(workspace, month, elapsed))
    budget = workspace.monthly_budget
    return MonthForecast(month, found, budget, found.crossing(budget) if budget is not None else None)
