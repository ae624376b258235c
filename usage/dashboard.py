"""What the dashboard shows for a workspace-month: figures, tier progress, alerts and the daily chart.

Everything here reads the daily sums (a few hundred rows for a month of a million messages) and the
cards; nothing loops over message rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from ratecards.snapshots import Catalog
from calculator.engine.cards import tier_group
from calculator.engine.money import round_money
from calculator.engine.vocabulary import category_label, count_text, counted, currency_prefix

from .cards_used import UsedCard, cards_of_month
from .charges import Pricer
from .forecast import MonthForecast, month_forecast
from .prepaid import PackageUse, Prepaid, month_end, package_use, prepaid
from .paid_share import BEFORE, PAID_SHARE_RISE, PaidShareJump, paid_share_jump
from .models import CURRENCY, DailyUsage, IngestRun, MonthSummary, Outcome, TemplateCategoryChange, Workspace
from .reconcile import Reconciliation, reconcile
from .store import month_start_ts, scope_of
from .tiers import Switch, SwitchCheck, checks, meta_switches, our_switches, tier_of
from .summary import (Counts, DayFigures, MonthTotals, allowance_exhausted, by_day, by_market, daily,
                      month_totals, months_with_data)

REASON_LABELS = {"service_window": "Customer service window", "entry_point": "Free entry point",
                 "allowance": "Monthly free service allowance", "no_pricing": "No pricing in the data",
                 "in_conversation": "In a conversation opened before 1 July 2025"}


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


@dataclass
class TierProgress:
    """One market's tiered category this month: where its count stands and what the next tier brings.

    For a workspace in a business, the count is the business's (all its accounts, each in its own month)
    and `own` this workspace's share; savings are this workspace's.
    """

    market: str
    category: str
    count: int
    tier: int  # 0: list rate
    tiers: int
    rate_now: Decimal
    tier_start: int  # messages before the current tier began
    next_start: int | None
    next_rate: Decimal | None
    savings: Decimal  # so far this month: list price minus tiered price
    own: int | None = None  # this workspace's charged messages, when the count is its business's
    meta: Switch | None = None  # Meta's latest switch (its tier webhooks), in the account's time zone
    checks: list[SwitchCheck] = field(default_factory=list)

    @property
    def to_next(self) -> int | None:
        return None if self.next_start is None else max(self.next_start - self.count, 0)

    @property
    def next_saving_per_thousand(self) -> Decimal | None:
        """What every 1,000 messages past the next breakpoint save against the current rate."""
        return None if self.next_rate is None else (self.rate_now - self.next_rate) * 1000

    @property
    def progress(self) -> float:
        """The share of the way from the current tier's start to the next breakpoint (for the bar)."""
        if self.next_start is None:
            return 1.0
        span = self.next_start - 1 - self.tier_start
        return min(max((self.count - self.tier_start) / span, 0.0), 1.0) if span > 0 else 1.0

    @property
    def label(self) -> str:
        return category_label(self.category)

    @property
    def differences(self) -> list[SwitchCheck]:
        return [check for check in self.checks if check.differs]


def tier_progress(workspace: Workspace, month: date, pricer: Pricer | None = None) -> list[TierProgress]:
    """Every market and tier group with paid messages this month, on the card in force at its last day.

    Counted across the workspace's business (`scope_of`); Meta's tier switches next to ours.
    """
    pricer = pricer or Pricer(tz=workspace.tz)
    scope = scope_of(workspace.pk)
    paid = DailyUsage.objects.filter(workspace_id__in=scope, month=month, outcome=Outcome.PAID)
    rows = (paid.values("workspace_id", "market", "category")
            .annotate(n=Sum("messages"), c=Sum("charge_units"), l=Sum("list_units")).order_by())
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["market"], tier_group(row["category"])), []).append(row)
    last_day = daily(workspace, month).order_by("-day").values_list("day", flat=True).first()
    if last_day is None:
        return []
    card = pricer.day(month_start_ts(last_day, workspace.tz) + 43200).card
    meta = meta_switches(scope, month)
    ours = our_switches(scope, month) if meta else {}
    found = []
    for (market, group), members in groups.items():
        if card is None:
            break
        biggest = max(members, key=lambda row: row["n"])
        ladder = pricer.ladder(card, market, biggest["category"])
        if ladder is None or not ladder.counted:
            continue
        mine = [row for row in members if row["workspace_id"] == workspace.pk]
        count = sum(row["n"] for row in members)
        index = ladder.tier(count)
        starts = (0,) + tuple(end for end in ladder.ends[:-1])
        following = index + 1 if index + 1 < len(ladder.units) else None
        switches = meta.get((market, group), [])
        latest = switches[-1] if switches else None
        latest_tier = tier_of(ladder, latest.tier_start) if latest else None
        found.append(TierProgress(
            market=market, category=group, count=count, tier=index, tiers=len(ladder.units),
            rate_now=Decimal(ladder.units[index]).scaleb(-4), tier_start=starts[index],
            next_start=None if following is None else starts[following] + 1,
            next_rate=None if following is None else Decimal(ladder.units[following]).scaleb(-4),
            savings=Decimal(sum(row["l"] - row["c"] for row in mine)).scaleb(-4),
            own=sum(row["n"] for row in mine) if len(scope) > 1 else None,
            meta=Switch(latest_tier, workspace.local(latest.tier_update_time), len(ladder.units))
            if latest is not None and latest_tier is not None else None,
            checks=checks(switches, ours.get((market, group), {}), ladder, workspace.tz) if meta else [],
        ))
    return sorted(found, key=lambda t: (-t.progress if t.next_start else 0, -t.count))


@dataclass
class Alert:
    level: str  # "warning" or "info"
    title: str
    text: str


def alerts(workspace: Workspace, month: date, totals: MonthTotals, previous: MonthTotals | None,
           reconciliation: Reconciliation | None, tiers: list[TierProgress] = ()) -> list[Alert]:
    found: list[Alert] = []
    share = totals.paid_share
    if share is not None:
        before = previous.paid_share if previous is not None else None
        text = f"{totals.paid:,} of {totals.all:,} delivered messages were paid ({share:.0%})"
        level = "info"
        if before is not None:
            text += f", against {before:.0%} in {previous.month:%B %Y}"
            if (share - before) * 100 >= PAID_SHARE_RISE:
                level = "warning"
        found.append(Alert(level, "Share of paid messages", text + "."))
    ran_out = allowance_exhausted(workspace)
    this_month = [row for row in ran_out if row[0] == month]
    if this_month:
        _, first_day, paid = this_month[0]
        found.append(Alert("warning", "Free service allowance used up",
                           f"The month's free service messages ran out on {first_day:%-d %B}: "
                           f"{counted(paid, 'service message')} charged after that."))
    others = [row[0] for row in ran_out if row[0] != month]
    if others:
        found.append(Alert("info", "Other months over the allowance",
                           "The free service allowance also ran out in " + ", ".join(f"{m:%B %Y}" for m in others)
                           + "."))
    for change in recategorised(workspace, month):
        found.append(Alert("warning", "Template billed as marketing",
                           f"Meta moved template “{change.name or change.template_id}”"
                           f"{' (' + change.language + ')' if change.language else ''} from "
                           f"{category_label(change.previous_category).lower()} to marketing on {change.at:%-d %B %Y}: "
                           "its messages are billed at marketing rates, not utility."))
    if totals.unpriced:
        found.append(Alert("warning", "Messages without a card",
                           f"{counted(totals.unpriced, 'paid message')} {'falls' if totals.unpriced == 1 else 'fall'} on days no "
                           f"{CURRENCY} rate card covers; {'it counts' if totals.unpriced == 1 else 'they count'} but "
                           f"{'is' if totals.unpriced == 1 else 'are'} not priced."))
    if totals.failed:
        found.append(Alert("info", "Not delivered",
                           f"{counted(totals.failed, 'message')} failed (their last status is “failed”): not counted, "
                           "not charged."))
    differing = [(t, check) for t in tiers for check in t.differences]
    if differing:
        found.append(Alert("warning", "Meta's tier switches differ from ours",
                           "; ".join(f"{t.market} {t.label.lower()} {check.text}" for t, check in differing[:5])
                           + (f" and {len(differing) - 5} more" if len(differing) > 5 else "")
                           + ". See the volume tiers below."))
    if reconciliation is not None and reconciliation.differences:
        found.append(Alert("warning", "Meta's figures differ",
                           f"{counted(reconciliation.differences, 'line')} of Meta's pricing analytics "
                           f"{'differs' if reconciliation.differences == 1 else 'differ'} from ours; "
                           "see the reconciliation below."))
    return found


def budget_alerts(ahead: MonthForecast | None) -> list[Alert]:
    """The month's charge passes its budget: already, or at the forecast pace before the month ends."""
    if ahead is None or ahead.budget is None or ahead.crossing is None:
        return []
    budget, total = shown_money(ahead.budget, ahead.currency), shown_money(ahead.forecast.total, ahead.currency)
    when = f"{ahead.crossing_date:%-d %B}"
    if ahead.crossing.already:
        text = f"The month's charge passed its budget of {budget} on {when}; the month-end forecast is {total}."
    else:
        text = (f"At the pace of the days so far the month's charge passes its budget of {budget} on {when} and "
                f"reaches {total} by the month's end.")
    return [Alert("warning", "Over budget" if ahead.crossing.already else "Forecast over budget", text)]


def paid_share_alert(jump: PaidShareJump) -> Alert:
    return Alert("warning", "Paid share jumped",
                 f"{jump.week_share:.0%} of the {count_text(jump.week_messages)} messages delivered "
                 f"{jump.week[0]:%-d %b} - {jump.week[1]:%-d %b} were paid, against {jump.before_share:.0%} of "
                 f"{count_text(jump.before_messages)} in the {BEFORE} days before ({jump.points:+.0f} points).")


def shown_money(amount: Decimal, currency: str) -> str:
    return f"{currency_prefix(currency)}{round_money(amount, currency):,}"


def recategorised(workspace: Workspace, month: date) -> list[TemplateCategoryChange]:
    """Templates Meta moved from utility (or authentication) to marketing up to the end of the month."""
    end = month_start_ts(next_month(month), workspace.tz)
    return list(TemplateCategoryChange.objects.filter(workspace=workspace, new_category="marketing", ts__lt=end)
                .exclude(previous_category="marketing").order_by("-ts")[:10])


def daily_figure(days: list[DayFigures], month: date, currency: str = CURRENCY) -> dict:
    """Messages per day (paid and free, stacked) and the day's approximate cost on a second axis."""
    x = [d.day.isoformat() for d in days]
    cost = [float(round_money(d.counts.charge, currency)) for d in days]
    font = {"family": "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13, "color": "#1f2933"}
    return {
        "data": [
            {"type": "bar", "name": "Paid", "x": x, "y": [d.counts.paid for d in days],
             "marker": {"color": "#0b6b5e"}, "hovertemplate": "%{y:,} paid<extra></extra>"},
            {"type": "bar", "name": "Free", "x": x, "y": [d.counts.free for d in days],
             "marker": {"color": "#9fd4c9"}, "hovertemplate": "%{y:,} free<extra></extra>"},
            {"type": "scatter", "mode": "lines+markers", "name": f"Cost ({currency})", "x": x, "y": cost,
             "yaxis": "y2", "line": {"color": "#a1291f", "width": 2}, "marker": {"size": 5},
             "hovertemplate": currency_prefix(currency) + "%{y:,.2f}<extra></extra>"},
        ],
        "layout": {
            "font": font, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "height": 320,
            "margin": {"l": 64, "r": 84, "t": 16, "b": 40}, "barmode": "stack", "bargap": 0.25,
            "legend": {"orientation": "h", "y": 1.12, "x": 0},
            "xaxis": {"type": "date", "tickformat": "%-d %b", "range": [
                (month - timedelta(hours=12)).isoformat(), (next_month(month) - timedelta(hours=12)).isoformat()]},
            "yaxis": {"title": {"text": "Messages"}, "rangemode": "tozero", "gridcolor": "#e8ebef",
                      "separatethousands": True},
            "yaxis2": {"title": {"text": f"Cost ({currency})", "standoff": 12}, "overlaying": "y", "side": "right",
                       "rangemode": "tozero",
                       "showgrid": False, "tickprefix": currency_prefix(currency)},
            "hovermode": "x unified",
        },
        "config": {"displayModeBar": False, "responsive": True},
    }


@dataclass
class MonthView:
    workspace: Workspace
    month: date
    months: list[date]
    totals: MonthTotals
    previous: MonthTotals | None
    markets: list[tuple[str, Counts]]
    days: list[DayFigures]
    figure: dict
    tiers: list[TierProgress]
    alerts: list[Alert]
    reconciliation: Reconciliation | None
    summary: MonthSummary | None
    runs: list[IngestRun] = field(default_factory=list)
    cards: list[UsedCard] = field(default_factory=list)  # the cards that priced the month, with their rules
    forecast: MonthForecast | None = None  # the month-end forecast and the budget (None: month not begun)
    prepaid: Prepaid | None = None  # the prepaid balance (None: no top-ups)
    package: PackageUse | str | None = None  # the workspace's package (a sentence when it cannot be priced)

    @property
    def currency(self) -> str:
        return self.totals.currency

    @property
    def stale_cards(self) -> list[UsedCard]:
        return [used for used in self.cards if used.stale is not None]

    @property
    def categories(self) -> list[tuple[str, str, Counts]]:
        return [(name, category_label(name), counts) for name, counts in self.totals.by_category.items()]

    @property
    def free_reasons(self) -> list[tuple[str, int]]:
        return [(REASON_LABELS[key], n) for key, n in self.totals.free_by_reason.items()
                if n or key not in ("no_pricing", "in_conversation")]

    @property
    def newer(self) -> date | None:
        later = [m for m in self.months if m > self.month]
        return min(later) if later else None

    @property
    def older(self) -> date | None:
        earlier = [m for m in self.months if m < self.month]
        return max(earlier) if earlier else None

    @property
    def tiers_from_meta(self) -> bool:
        """Whether Meta's tier webhooks cover this month (the tier panel then shows them)."""
        return any(t.meta is not None or t.checks for t in self.tiers)

    @property
    def business_count(self) -> bool:
        return any(t.own is not None for t in self.tiers)

    @property
    def what_if(self) -> dict | None:
        return self.summary.what_if if self.summary is not None else None


def month_view(workspace: Workspace, month: date, now: datetime | None = None) -> MonthView:
    months = months_with_data(workspace)
    totals = month_totals(workspace, month)
    earlier = previous_month(month)
    previous = month_totals(workspace, earlier) if earlier in months else None
    reconciliation = reconcile(workspace, month)
    days = by_day(workspace, month)
    pricer = Pricer(tz=workspace.tz)
    tiers = tier_progress(workspace, month, pricer)
    ahead = month_forecast(workspace, month, now, pricer)
    today = (now or timezone.now()).astimezone(workspace.tz).date()
    yesterday = today - timedelta(days=1)
    jump = paid_share_jump(workspace, min(yesterday, next_month(month) - timedelta(days=1)))
    return MonthView(
        workspace=workspace, month=month, months=months, totals=totals, previous=previous,
        markets=by_market(workspace, month), days=days, figure=daily_figure(days, month),
        tiers=tiers, alerts=(budget_alerts(ahead) + ([paid_share_alert(jump)] if jump is not None and jump.jumped else [])
                             + alerts(workspace, month, totals, previous, reconciliation, tiers)),
        reconciliation=reconciliation, summary=MonthSummary.objects.filter(workspace=workspace, month=month).first(),
        runs=list(workspace.ingest_runs.all()[:3]), cards=cards_of_month(Catalog(), totals.currency, month),
        forecast=ahead, prepaid=prepaid(workspace, month, min(today, month_end(month)), ahead, months),
        package=package_use(workspace, month, ahead),
    )
