"""Pulling a workspace's `pricing_analytics` from the Graph API into the reconciliation.

The pages (`usage.graph`) are read by the same parser as an uploaded analytics file
(`usage.webhooks.parse_analytics_document`, `analytics_points`) and stored by the same upsert
(`usage.ingest.store_analytics`): a day Meta revises is replaced, never counted twice. The period is the
account's previous month and this month so far (Meta revises recent days). Every pull, failed or not, is
an `IngestRun` (kind analytics) on the workspace's load page; a failed pull stores nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from django.db import transaction
from django.utils import timezone

from .dashboard import previous_month
from .graph import GraphError, Pull, fetch_pricing_analytics
from .ingest import store_analytics
from .models import IngestRun, Workspace
from .store import month_start_ts
from .webhooks import RecordError, analytics_points, parse_analytics_document

log = logging.getLogger(__name__)


@dataclass
class PullReport:
    workspace: str
    points: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    error: str = ""
    months: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        if self.error:
            return f"{self.workspace}: not pulled: {self.error}"
        return (f"{self.workspace}: {self.points:,} data points in {self.pages} page(s), {self.requests} request(s), "
                f"{self.retries} retried; months {', '.join(self.months) or 'none'}")


def period(workspace: Workspace, now: datetime) -> tuple[int, int]:
    """From the start of the account's previous month to now (to the hour), Unix seconds."""
    month = now.astimezone(workspace.tz).date().replace(day=1)
    return month_start_ts(previous_month(month), workspace.tz), int(now.timestamp()) // 3600 * 3600


def configured() -> list[Workspace]:
    return list(Workspace.objects.exclude(waba_id="").exclude(graph_access_token="").order_by("slug"))


def pull_analytics(workspace: Workspace, now: datetime | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> PullReport:
    """Pull and store the workspace's pricing analytics; a GraphError says why nothing was stored."""
    report = PullReport(workspace.slug)
    now = now or timezone.now()
    start, end = period(workspace, now)
    filename = f"Graph API pricing_analytics {workspace.local(start):%Y-%m-%d} to {workspace.local(end):%Y-%m-%d %H:%M}"
    began = time.perf_counter()
    pull = Pull()
    try:
        if not workspace.waba_id or not workspace.graph_access_token:
            raise GraphError("the workspace has no WABA id or no access token (set them in the admin)")
        pull = fetch_pricing_analytics(workspace.waba_id, workspace.graph_access_token, start, end, sleep)
        try:
            points = [p for raw in pull.pages for p in analytics_points(parse_analytics_document(raw))]
        except RecordError as exc:
            raise GraphError(f"the Graph API's answer is not a pricing_analytics response: {exc}") from None
        with transaction.atomic():
            months = store_analytics(workspace, points)
            IngestRun.objects.create(workspace=workspace, filename=filename, kind=IngestRun.Kind.ANALYTICS,
                                     seconds=time.perf_counter() - began, lines=len(pull.pages), records=len(points),
                                     changed=len(points), months=months)
        report.points, report.months = len(points), tuple(months)
    except GraphError as exc:
        report.error = str(exc)
        log.warning("pricing_analytics pull of %s failed: %s", workspace.slug, exc)
        IngestRun.objects.create(workspace=workspace, filename=filename, kind=IngestRun.Kind.ANALYTICS,
                                 seconds=time.perf_counter() - began, lines=len(pull.pages),
                                 errors=[{"line": 0, "message": f"not pulled: {exc}"}])
    report.pages, report.requests, report.retries = len(pull.pages), pull.requests, pull.retries
    return report


def pull_all(now: datetime | None = None, sleep: Callable[[float], None] = time.sleep) -> list[PullReport]:
    """Every workspace with a WABA id and a token, one after the other (one failing stops no other)."""
    return [pull_analytics(workspace, now, sleep) for workspace in configured()]
