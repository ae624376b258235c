"""The daily work on the task queue: Meta's pricing analytics pulled, then the alert digest.

`daily_usage` runs once a day at `USAGE_DAILY_TASKS_HOUR` (UTC). It first books its own next run (so a
day that fails does not stop the next), then queues one `pull_workspace_analytics` per workspace with a
WABA id and a token, and `send_daily_digest`. `schedule_daily()` (`manage.py schedule_daily_tasks`, run
once per deployment after `migrate`; again changes nothing) books the first run when none is booked.

Each task is safe to run twice (the worker queues again the tasks of a worker that died): a pull's upsert
replaces what it stored, and the digest records what it sent in the transaction that sends it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .alerts import send_digest
from .models import Workspace
from .pull import configured, pull_analytics

WAITING = ("READY",)


def next_run(now: datetime) -> datetime:
    """The next USAGE_DAILY_TASKS_HOUR:00 UTC after ``now``."""
    at = now.astimezone(dt_timezone.utc).replace(hour=settings.USAGE_DAILY_TASKS_HOUR, minute=0, second=0,
                                                 microsecond=0)
    return at if at > now else at + timedelta(days=1)


def booked() -> datetime | None:
    """When the next daily run is booked (None: not booked)."""
    row = (DBTaskResult.objects.filter(task_path=daily_usage.module_path, status__in=WAITING)
           .order_by("run_after").first())
    return row.run_after if row is not None else None


def schedule_daily(now: datetime | None = None) -> tuple[datetime, bool]:
    """(when the next daily run is, whether it was booked just now); books it when none is waiting."""
    if not daily_usage.get_backend().supports_defer:
        raise RuntimeError("the task backend cannot run a task later (DJANGO_TASKS_BACKEND): run "
                           "pull_pricing_analytics and send_alert_digest from cron instead")
    waiting = booked()
    if waiting is not None:
        return waiting, False
    when = next_run(now or timezone.now())
    daily_usage.using(run_after=when).enqueue()
    return when, True


@task
def daily_usage() -> dict:
    when, _ = schedule_daily()
    pulls = [pull_workspace_analytics.enqueue(workspace.pk).id for workspace in configured()]
    send_daily_digest.enqueue()
    return {"next": when.isoformat(), "pulls": len(pulls)}


@task
def pull_workspace_analytics(workspace_id: int) -> str:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return "no such workspace"
    return pull_analytics(workspace).text


@task
def send_daily_digest() -> dict:
    report = send_digest()
    return {"sent": report.sent, "skipped": report.skipped}
