"""A workspace-month in figures, read from the daily sums with SQL GROUP BY (never from message rows).

All = every delivered business message; Paid = charged by Meta (`type: regular`, or billable on
legacy statuses); Free = the rest, by reason. Charges are approximate: Meta's verdict priced with the
card in force on each message's day (see `usage.charges`). Amounts are unrounded Decimals; `round_money`
rounds the figures shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Min, QuerySet, Sum

from calculator.engine.money import round_money

from .models import (COUNTED_OUTCOMES, CURRENCY, FREE_OUTCOMES, DailyUsage, Outcome, Workspace,
                     units_to_money)

CATEGORY_ORDER = ("marketing", "utility", "authentication", "authentication_international", "service",
                  "referral_conversion")
FREE_REASONS = {Outcome.SERVICE_WINDOW: "service_window", Outcome.ENTRY_POINT: "entry_point",
                Outcome.ALLOWANCE: "allowance", Outcome.UNKNOWN: "no_pricing",
                Outcome.CONVERSATION: "in_conversation"}


@dataclass
class Counts:
    """Messages and charges of one slice (a category, a market, a day, the month)."""

    all: int = 0
    paid: int = 0
    charge_units: int = 0
    list_units: int = 0

    @property
    def free(self) -> int:
        return self.all - self.paid

    @property
    def charge(self) -> Decimal:
        return units_to_money(self.charge_units)

    @property
    def list_charge(self) -> Decimal:
        return units_to_money(self.list_units)

    @property
    def tier_savings(self) -> Decimal:
        return self.list_charge - self.charge

    @property
    def paid_share(self) -> float | None:
        return self.paid / self.all if self.all else None

    def add(self, outcome: str, messages: int, charge_units: int, list_units: int) -> None:
        self.all += messages
        if outcome == Outcome.PAID:
            self.paid += messages
        self.charge_units += charge_units
        self.list_units += list_units

    def as_json(self, currency: str = CURRENCY) -> dict:
        return {"all": self.all, "free": self.free, "paid": self.paid,
                "charge": str(round_money(self.charge, currency))}


@dataclass
class MonthTotals(Counts):
    month: date | None = None
    currency: str = CURRENCY
    free_by_reason: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FREE_REASONS.values(), 0))
    by_category: dict[str, Counts] = field(default_factory=dict)
    failed: int = 0
    inbound: int = 0
    unpriced: int = 0

    def as_json(self, currency: str | None = None) -> dict:
        """The command's month (docs/api.md): all, free, paid, charge (rounded) and by_category, plus more."""
        currency = currency or self.currency
        return {
            **super().as_json(currency),
            "by_category": {name: counts.as_json(currency) for name, counts in self.by_category.items()},
            "free_by_reason": self.free_by_reason,
            "failed": self.failed,
            "inbound": self.inbound,
            "unpriced": self.unpriced,
            "currency": currency,
        }


def daily(workspace: Workspace, month: date) -> QuerySet:
    return DailyUsage.objects.filter(workspace=workspace, month=month)


def _sums(rows: QuerySet, *keys: str):
    return rows.values(*keys).annotate(m=Sum("messages"), c=Sum("charge_units"), l=Sum("list_units"),
                                       u=Sum("unpriced")).order_by()


def month_totals(workspace: Workspace, month: date) -> MonthTotals:
    totals = MonthTotals(month=month)
    for row in _sums(daily(workspace, month), "category", "outcome"):
        outcome, messages = row["outcome"], row["m"]
        if outcome == Outcome.FAILED:
            totals.failed += messages
            continue
        if outcome == Outcome.INBOUND:
            totals.inbound += messages
            continue
        totals.add(outcome, messages, row["c"], row["l"])
        totals.unpriced += row["u"]
        if outcome in FREE_OUTCOMES:
            totals.free_by_reason[FREE_REASONS[outcome]] += messages
        totals.by_category.setdefault(row["category"] or "unknown", Counts()).add(outcome, messages, row["c"],
                                                                                  row["l"])
    totals.by_category = dict(sorted(totals.by_category.items(), key=lambda item: category_rank(item[0])))
    return totals


def category_rank(category: str) -> tuple[int, str]:
    return (CATEGORY_ORDER.index(category) if category in CATEGORY_ORDER else len(CATEGORY_ORDER), category)


def by_market(workspace: Workspace, month: date) -> list[tuple[str, Counts]]:
    markets: dict[str, Counts] = {}
    for row in _sums(daily(workspace, month).filter(outcome__in=COUNTED_OUTCOMES), "market", "outcome"):
        markets.setdefault(row["market"], Counts()).add(row["outcome"], row["m"], row["c"], row["l"])
    return sorted(markets.items(), key=lambda item: (-item[1].charge_units, -item[1].all, item[0]))


@dataclass
class DayFigures:
    day: date
    counts: Counts = field(default_factory=Counts)


def by_day(workspace: Workspace, month: date) -> list[DayFigures]:
    days: dict[date, DayFigures] = {}
    for row in _sums(daily(workspace, month).filter(outcome__in=COUNTED_OUTCOMES), "day", "outcome"):
        days.setdefault(row["day"], DayFigures(row["day"])).counts.add(row["outcome"], row["m"], row["c"], row["l"])
    return [days[d] for d in sorted(days)]


def months_with_data(workspace: Workspace) -> list[date]:
    return list(DailyUsage.objects.filter(workspace=workspace).values_list("month", flat=True).distinct()
                .order_by("-month"))


def allowance_exhausted(workspace: Workspace) -> list[tuple[date, date, int]]:
    """(month, first day, paid service messages) of each month where Meta charged service messages.

    Service is charged only once the month's free allowance is used up (cards from 2026-10-01), so a paid
    service message means the allowance ran out that day.
    """
    rows = (DailyUsage.objects.filter(workspace=workspace, category="service", outcome=Outcome.PAID)
            .values("month").annotate(first=Min("day"), n=Sum("messages")).order_by("-month"))
    return [(row["month"], row["first"], row["n"]) for row in rows]
