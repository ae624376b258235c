"""The impact report of a rate card (a draft or a published one) on what customers were told and billed.

- Every open quote (draft or sent) whose estimate is in the card's currency: its message mix priced on
  the new card (the engine's estimate, on the card's date or the quote's if later) next to the Meta total
  it was saved with, with the change in money and percent.
- Every workspace's last full month (the month before `today`) replayed event by event on the new card
  (the what-if's replay, `usage.whatif`) next to the same month replayed on the card in force then.
- Totals per currency, for quotes and for workspaces.

Meta's charges only: a provider's plan on top is not repriced (its terms are the provider's, not Meta's).
Bounded: at most MAX_QUOTES quotes (the newest) and MAX_WORKSPACES workspaces; a month with more than
MAX_MONTH_EVENTS events is listed without a replay (the usage page's what-if replays it on its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from calculator.engine.cards import CardSnapshot
from calculator.engine.estimate import LineError, estimate
from calculator.engine.money import ZERO, round_money
from calculator.engine.timeline import EventError, ReplayRequest
from calculator.pricing import market_map_for
from quotes.models import Quote, QuoteStatus
from quotes.requests import request_from_json
from ratecards.models import RateCard
from ratecards.snapshots import Catalog, NoCard, build_snapshot
from usage.models import CURRENCY as USAGE_CURRENCY
from usage.models import MonthSummary, Workspace
from usage.whatif import month_events, replay_month

MAX_QUOTES = 2_000  # about 1 ms a line in the engine, at most 50 lines a quote
MAX_WORKSPACES = 200
MAX_MONTH_EVENTS = 200_000  # two replays of such a month take about a second
PERCENT = Decimal("0.1")
OPEN = (QuoteStatus.DRAFT, QuoteStatus.SENT)


def percent(change: Decimal, base: Decimal) -> Decimal | None:
    return None if base == 0 else (change / base * 100).quantize(PERCENT)


@dataclass(frozen=True)
class QuoteImpact:
    quote: Quote
    currency: str
    saved: Decimal  # Meta's total the quote was saved with (as shown on it)
    new: Decimal | None  # Meta's total of the same mix on the new card (None: could not be priced)
    problem: str = ""

    @property
    def change(self) -> Decimal | None:
        return None if self.new is None else self.new - self.saved

    @property
    def percent(self) -> Decimal | None:
        return None if self.change is None else percent(self.change, self.saved)


@dataclass(frozen=True)
class WorkspaceImpact:
    workspace: Workspace
    month: date
    currency: str
    card_name: str  # the card in force that month
    before: Decimal | None  # the month replayed on that card
    new: Decimal | None  # the month replayed on the new card
    events: int
    problem: str = ""

    @property
    def change(self) -> Decimal | None:
        return None if self.new is None or self.before is None else self.new - self.before

    @property
    def percent(self) -> Decimal | None:
        return None if self.change is None else percent(self.change, self.before)


@dataclass
class Total:
    currency: str
    before: Decimal = ZERO
    new: Decimal = ZERO
    count: int = 0

    @property
    def change(self) -> Decimal:
        return self.new - self.before

    @property
    def percent(self) -> Decimal | None:
        return percent(self.change, self.before)


@dataclass
class ImpactReport:
    card: RateCard
    month: date
    quotes: list[QuoteImpact] = field(default_factory=list)
    workspaces: list[WorkspaceImpact] = field(default_factory=list)
    quotes_left_out: int = 0
    workspaces_left_out: int = 0

    def totals(self, lines) -> list[Total]:
        found: dict[str, Total] = {}
        for line in lines:
            if line.change is None:
                continue
            total = found.setdefault(line.currency, Total(line.currency))
            total.before += line.saved if isinstance(line, QuoteImpact) else line.before
            total.new += line.new
            total.count += 1
        return [found[currency] for currency in sorted(found)]

    @property
    def quote_totals(self) -> list[Total]:
        return self.totals(self.quotes)

    @property
    def workspace_totals(self) -> list[Total]:
        return self.totals(self.workspaces)


def last_full_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def card_snapshot(catalog: Catalog, card: RateCard) -> CardSnapshot:
    """The card as the engine prices it, read now (a draft may have changed since any cached copy)."""
    return build_snapshot(card, catalog.market_map(card.effective_from))


def reprice_quote(catalog: Catalog, snapshot: CardSnapshot, quote: Quote) -> QuoteImpact:
    stored = request_from_json(quote.request)
    saved = Decimal(quote.result["estimate"]["estimates"][0]["total"])
    on = max(stored.on, snapshot.effective_from)
    try:
        result = estimate(snapshot, stored.request, on=on, market_map=market_map_for(catalog, snapshot, on),
                          agent_rates=catalog.agent_rates(), names_from=catalog.market_map(stored.on))
    except LineError as exc:
        return QuoteImpact(quote, stored.currency, saved, None, f"line {exc.index + 1}: {exc.message}")
    return QuoteImpact(quote, stored.currency, saved, round_money(result.total, stored.currency))


def open_quotes(currency: str):
    quotes = Quote.objects.filter(status__in=OPEN, request__currency=currency).select_related("owner")
    return quotes.order_by("owner__username", "customer", "-created_at")


def replay_workspace(catalog: Catalog, snapshot: CardSnapshot, workspace: Workspace, month: date) -> WorkspaceImpact:
    def impact(card_name="", before=None, new=None, events=0, problem=""):
        return WorkspaceImpact(workspace, month, USAGE_CURRENCY, card_name, before, new, events, problem)

    try:
        own = catalog.card_in_force(USAGE_CURRENCY, month)
    except NoCard as exc:
        return impact(problem=str(exc))
    timeline = month_events(workspace, month)
    if not timeline.events:
        return impact(own.name, problem=f"no messages in {month:%B %Y}")
    if len(timeline.events) > MAX_MONTH_EVENTS:
        return impact(own.name, events=len(timeline.events), problem=(
            f"{len(timeline.events):,} events: more than {MAX_MONTH_EVENTS:,}, too many to replay in this report "
            "(the month's what-if page replays it)"))
    if timeline.inbound == 0:
        return impact(own.name, events=len(timeline.events), problem=(
            "no inbound messages that month, so service windows cannot be rebuilt"))
    summary = MonthSummary.objects.filter(workspace=workspace, month=month).first()
    request = ReplayRequest(timeline.events, business_country=workspace.business_country or None,
                            auth_international=workspace.auth_international,
                            business_phone_numbers=summary.phone_numbers if summary else 1, timezone=workspace.tz)
    try:
        before = replay_month(catalog, own, request).total
        new = replay_month(catalog, snapshot, request).total
    except EventError as exc:
        return impact(own.name, events=len(timeline.events), problem=exc.message)
    return impact(own.name, round_money(before, USAGE_CURRENCY), round_money(new, USAGE_CURRENCY),
                  len(timeline.events))


def concerns_anyone(card: RateCard) -> bool:
    """Whether the card's report can have a line: an open quote in its currency, or (USD) a workspace."""
    return open_quotes(card.currency).exists() or (card.currency == USAGE_CURRENCY and Workspace.objects.exists())


def impact_report(card: RateCard, today: date) -> ImpactReport:
    catalog = Catalog()
    snapshot = card_snapshot(catalog, card)
    report = ImpactReport(card, last_full_month(today))
    quotes = open_quotes(card.currency)
    report.quotes_left_out = max(0, quotes.count() - MAX_QUOTES)
    kept = sorted(quotes.order_by("-created_at")[:MAX_QUOTES], key=lambda q: (q.owner.username, q.customer, q.pk))
    report.quotes = [reprice_quote(catalog, snapshot, quote) for quote in kept]
    if card.currency == USAGE_CURRENCY:
        workspaces = Workspace.objects.order_by("name")
        report.workspaces_left_out = max(0, workspaces.count() - MAX_WORKSPACES)
        report.workspaces = [replay_workspace(catalog, snapshot, workspace, report.month)
                             for workspace in workspaces[:MAX_WORKSPACES]]
    return report
