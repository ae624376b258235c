"""Loading one file (webhooks or a pricing_analytics response) into a workspace: the command and the upload.

The file is read record by record (`usage.records.read_records`), message states are merged per id in
batches and written by `usage.store.MessageWriter`; memory stays flat whatever the file's size. The whole
load is one transaction: a file that turns out not to be webhooks at all is refused and leaves nothing
behind. Broken records are reported with their line number and skipped; the rest loads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import BinaryIO, Callable

from django.db import transaction

from calculator.engine.limits import MOSTLY_NOT_WEBHOOKS, SNIFF_NOT_WEBHOOKS

from .fields import check_envelope, check_points
from .calls import month_calls, parse_call_events, price_call_months, store_call_events, window_states
from .models import AnalyticsPoint, IngestRun, TemplateCategoryChange, Workspace
from .charges import Pricer
from .store import MessageWriter, scope_of
from .summary import MonthTotals, month_totals
from .tiers import store_switches
from .webhooks import (NOT_WEBHOOKS, BoundedStream, CategoryChange, FileTooLarge, NotWebhooks, RecordError, TierSwitch,
                       analytics_points, merge_state, parse_record)
from .records import open_stream, read_records

BATCH = 50_000  # message states merged in memory before they are written
SNIFF = SNIFF_NOT_WEBHOOKS
MAX_ERRORS_KEPT = 1000


@dataclass
class IngestReport:
    kind: str = IngestRun.Kind.WEBHOOKS
    lines: int = 0
    records: int = 0
    envelopes: int = 0
    changed: int = 0
    skipped: int = 0
    blank: int = 0  # blank lines: not reported one by one, but they count as lines that are not webhooks
    errors: list[dict] = field(default_factory=list)
    months: dict[str, MonthTotals] = field(default_factory=dict)
    analytics_points: int = 0
    seconds: float = 0.0
    run: IngestRun | None = None

    calls: dict = field(default_factory=dict)  # month key: usage.calls.CallsMonth, for months with calls

    def _calls_json(self, key: str) -> dict:
        found = self.calls.get(key)
        return {"calls": found.as_json()} if found is not None and found.any else {}

    def error(self, line: int, message: str) -> None:
        self.skipped += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"line": line, "message": message})

    def as_json(self) -> dict:
        """The command's `--json` output (docs/api.md): months, skipped, errors."""
        return {
            "months": {key: totals.as_json() | self._calls_json(key) for key, totals in self.months.items()},
            "skipped": self.skipped,
            "errors": self.errors,
        }


Progress = Callable[[int, int], None]  # (records so far, line number)


def ingest(handle: BinaryIO, workspace: Workspace, filename: str, user=None,
           progress: Progress | None = None, *, max_lines: int | None = None,
           max_bytes: int | None = None) -> IngestReport:
    """Load a webhook export or a pricing_analytics response. Raises NotWebhooks (nothing stored).

    `max_lines` and `max_bytes` (decompressed) bound what one load may read (the upload page's; the
    command has none): past either, FileTooLarge, and nothing is stored.
    """
    started = time.perf_counter()
    report = IngestReport()
    stream = BoundedStream(open_stream(handle), max_bytes, _too_large_bytes(max_bytes))
    with transaction.atomic():
        lock_workspace(workspace)
        loader = _Loader(workspace, report)
        add = loader.add
        for line, record in read_records(stream):
            add(line, record)
            if max_lines is not None and line > max_lines:
                raise FileTooLarge(_too_many_lines(max_lines))
            if not line & 4095:
                if progress is not None:
                    progress(report.records, line)
                _refuse_what_is_not_webhooks(report)
        report.lines = loader.last_line
        _refuse_what_is_not_webhooks(report)
        if report.envelopes == 0 and report.analytics_points == 0:
            raise NotWebhooks(_refusal(report))
        loader.finish()
        report.months = {f"{m:%Y-%m}": month_totals(workspace, m) for m in sorted(loader.writer.seen)}
        report.calls = {f"{m:%Y-%m}": month_calls(workspace.pk, m) for m in sorted(loader.call_months)}
        report.changed = loader.writer.changed + report.analytics_points
        report.seconds = time.perf_counter() - started
        report.run = IngestRun.objects.create(
            workspace=workspace, user=user, filename=filename[:255], kind=report.kind, seconds=report.seconds,
            lines=report.lines, records=report.records, changed=report.changed, skipped=report.skipped,
            errors=report.errors[:100], months=sorted(report.months),
        )
    if progress is not None:
        progress(report.records, report.lines)
    return report


def ingest_payloads(workspace: Workspace, bodies: list[bytes]) -> IngestReport:
    """Live webhooks (`usage.live`): each body one record, through the same parser, merge and writer as a
    file; the caller's transaction commits them with its "processed" mark. A body that is not an
    envelope is reported in `errors` (its number in `bodies`, from 1) and skipped."""
    report = IngestReport()
    with transaction.atomic():
        lock_workspace(workspace)
        loader = _Loader(workspace, report)
        for number, body in enumerate(bodies, 1):
            loader.add(number, body)
        report.lines = loader.last_line
        loader.finish()
        report.changed = loader.writer.changed
    return report


def lock_workspace(workspace: Workspace) -> None:
    """One load of a workspace at a time (a file, an upload, live payloads): two would reprice the same
    months from different snapshots. A row lock on PostgreSQL (FOR NO KEY UPDATE: rows that merely refer
    to the workspace, like a webhook payload being stored, are not held up); SQLite has one writer anyway."""
    Workspace.objects.select_for_update(no_key=True).filter(pk=workspace.pk).values_list("pk").first()


def _refuse_what_is_not_webhooks(report: IngestReport) -> None:
    """Stop early on a file that cannot be webhooks: no envelope in its first SNIFF lines that are not
    webhooks (blank ones included: a gzip of blank lines is millions of them), or, past
    MOSTLY_NOT_WEBHOOKS such lines, more of them than envelopes."""
    not_webhooks = report.skipped + report.blank
    if report.records == 0 and not_webhooks >= SNIFF:
        raise NotWebhooks(_refusal(report))
    if not_webhooks >= MOSTLY_NOT_WEBHOOKS and not_webhooks > report.envelopes:
        raise NotWebhooks(f"{NOT_WEBHOOKS}: {not_webhooks:,} of its lines are blank or broken, more than its "
                          f"{report.envelopes:,} envelopes")


def _too_many_lines(most: int) -> str:
    return (f"it has more than {most:,} lines, the most one upload loads (a bigger file would not finish "
            "within the server's time for one request)")


def _too_large_bytes(most: int | None) -> str:
    size = f"{most / 2**20:,.0f} MB" if most is not None else ""
    return f"it is more than {size} uncompressed, the most one upload reads"


def _refusal(report: IngestReport) -> str:
    first = report.errors[0] if report.errors else None
    detail = f" (line {first['line']}: {first['message']})" if first else ""
    if not first and report.blank:
        detail = f" ({report.blank:,} blank lines and no envelope)"
    return NOT_WEBHOOKS + detail


class _Loader:
    """Merges message states per id until a batch is full, then writes it."""

    def __init__(self, workspace: Workspace, report: IngestReport):
        self.workspace = workspace
        self.report = report
        self.writer = MessageWriter(workspace.pk, Pricer(tz=workspace.tz))
        self.states: dict[str, list] = {}
        self.changes: list[CategoryChange] = []
        self.switches: list[TierSwitch] = []
        self.last_line = 0
        self.call_events: list = []
        self.call_months: set[date] = set()

    def add(self, line: int, record: bytes | str) -> None:
        """One record: its message states merged into the batch (a broken record is reported, not loaded)."""
        self.last_line = line
        report = self.report
        if type(record) is str:
            report.error(line, record)
            return
        try:
            states, changes, analytics, _ignored = parse_record(record)
            if analytics is not None:
                points = analytics_points(analytics)
                check_points(points)
            else:
                check_envelope(states, changes, record)
                if b'"calls"' in record:  # Calling API webhooks (usage/calls.py)
                    events = parse_call_events(record)
                    self.call_events.extend(events)
                    states = states + window_states(events)
                    report.records += len(events)
                    if len(self.call_events) >= BATCH:
                        self.call_months |= store_call_events(self.workspace, self.call_events)
                        self.call_events = []
        except RecordError as exc:
            if record.strip():
                report.error(line, str(exc))
            else:
                report.blank += 1
            return
        if analytics is not None:
            self._analytics(points)
            return
        report.envelopes += 1
        report.records += len(states)
        merged = self.states
        for state in states:
            known = merged.get(state[0])
            if known is None:
                merged[state[0]] = state
            else:
                merge_state(known, state)
        if changes:
            report.records += len(changes)
            for change in changes:
                (self.switches if type(change) is TierSwitch else self.changes).append(change)
            if len(self.changes) + len(self.switches) >= BATCH:
                self.flush()
        if len(merged) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.states:
            self.writer.write(list(self.states.values()))
            self.states = {}
        if self.changes:
            TemplateCategoryChange.objects.bulk_create(
                [TemplateCategoryChange(workspace=self.workspace, ts=c.ts, template_id=c.template_id, name=c.name,
                                        language=c.language, previous_category=c.previous_category,
                                        new_category=c.new_category) for c in self.changes],
                ignore_conflicts=True,
            )
            self.changes = []
        if self.switches:
            store_switches(self.workspace, self.switches)
            self.switches = []

    def finish(self) -> list[date]:
        self.flush()
        self.call_months |= store_call_events(self.workspace, self.call_events)
        self.call_events = []
        price_call_months(scope_of(self.workspace.pk), self.call_months)  # the business's minute tiers
        return self.writer.finish()

    def _analytics(self, points) -> None:
        report = self.report
        report.kind = IngestRun.Kind.ANALYTICS
        report.records += len(points)
        report.analytics_points += len(points)
        store_analytics(self.workspace, points)


def store_analytics(workspace: Workspace, points) -> list[str]:
    """Keep Meta's data points: one row per period, phone, country, type, category and tier; a point seen
    again (a file loaded twice, a day Meta revised and pulled again) replaces its volume and cost. Answers
    the months (YYYY-MM) they fall in."""
    AnalyticsPoint.objects.bulk_create(
        [AnalyticsPoint(workspace=workspace, month=_month_of(p.start, workspace), start=p.start, end=p.end,
                        phone_number=p.phone_number, country=p.country, pricing_type=p.pricing_type,
                        pricing_category=p.pricing_category, tier=p.tier, volume=p.volume, cost=p.cost)
         for p in points],
        update_conflicts=True,
        unique_fields=["workspace", "start", "end", "phone_number", "country", "pricing_type", "pricing_category",
                       "tier"],
        update_fields=["month", "volume", "cost"],
    )
    return sorted({f"{_month_of(p.start, workspace):%Y-%m}" for p in points})


def _month_of(ts: int, workspace: Workspace) -> date:
    """The account's month of a time (Meta's analytics periods start at the account's midnight)."""
    return workspace.local(ts).date().replace(day=1)
