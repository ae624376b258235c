"""A workspace's own webhook endpoint, behind the views: checking, storing, and processing in the background.

A POST with a good signature is stored as it came (`WebhookPayload`) and answered at once; a task of the
task queue (`process_payloads`, run by `manage.py run_worker`) loads the pending payloads of the workspace
in batches through the same parser, merge and writer as a file (`usage.ingest.ingest_payloads`), and marks
them processed in the same transaction. A worker killed mid-batch leaves the batch pending (its
transaction is rolled back) and its task is run again; a payload Meta sends twice merges into nothing new.

One task serves a burst of payloads: `schedule` queues one only when none is queued
(`LiveQueueState.scheduled`), after the payload is committed, due LIVE_WEBHOOK_GATHER_SECONDS later; the
task clears the flag before it reads, so a payload committed before the flag was seen set is read by the
task that cleared it, and one committed after queues the next task.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.tasks import task
from django.utils import timezone

from .calls import parse_call_events
from .fields import check_envelope
from .ingest import ingest_payloads
from .live_models import LiveQueueState, WebhookPayload
from .models import Workspace
from .webhooks import RecordError, parse_record

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Meta's webhooks are a few KB; a bigger body is refused before it is read
SIGNATURE_PREFIX = "sha256="
ENDPOINT_SECONDS = 5.0  # how long a web process keeps a workspace's id and app secret


@dataclass(frozen=True)
class Endpoint:
    """What a POST needs of its workspace: where to store, and the secret that signs."""

    workspace_id: int
    app_secret: str


PAYLOADS = connection.ops.quote_name(WebhookPayload._meta.db_table)
QUEUE_STATES = connection.ops.quote_name(LiveQueueState._meta.db_table)
_endpoints: dict[str, tuple[float, Endpoint]] = {}


def endpoint(slug: str) -> Endpoint | None:
    """The workspace's endpoint, read from the database at most every ENDPOINT_SECONDS per web process:
    under Meta's load a POST then costs one INSERT and one small read. A secret saved in this process
    applies at once (every save clears the cache), in the other web processes within ENDPOINT_SECONDS."""
    now = time.monotonic()
    cached = _endpoints.get(slug)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = Workspace.objects.filter(slug=slug).values_list("pk", "app_secret").first()
    if row is None:
        return None
    found = Endpoint(*row)
    _endpoints[slug] = (now + ENDPOINT_SECONDS, found)
    return found


@receiver(post_save, sender=Workspace)
@receiver(post_delete, sender=Workspace)
def _forget_endpoints(**_kwargs) -> None:
    _endpoints.clear()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`,
    compared in constant time. No secret set: nothing is accepted."""
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(SIGNATURE_PREFIX):].strip().lower())


def verify_token_ok(workspace: Workspace, token: str | None) -> bool:
    known = workspace.webhook_verify_token
    return bool(known) and token is not None and hmac.compare_digest(known.encode(), token.encode())


def problem_with(body: bytes) -> str | None:
    """Why a body is not a WhatsApp Business Account webhook we can store (None: it is one)."""
    try:
        states, changes, analytics, _ignored = parse_record(body)
        if analytics is not None:
            return "this is a pricing_analytics response, not a webhook: upload it on the workspace's Load data page"
        check_envelope(states, changes, body)
        if b'"calls"' in body:
            parse_call_events(body)
    except RecordError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


def accept(slug: str, length: int, read_body, signature: str | None) -> Answer:
    """A POST to `/webhooks/meta/<slug>`, whoever serves it (the view, or `usage.live_wsgi` under load):
    the size bound before the body is read (`read_body()` reads it), the signature, the envelope, then
    the payload stored. Every answer but 200 stores nothing."""
    target = endpoint(slug)
    if target is None:
        return Answer(404, "No such workspace.")
    if length > MAX_BODY:
        return Answer(413, f"The body is larger than {MAX_BODY // 1024} KB, more than any webhook Meta sends. "
                           "Nothing was stored.")
    body = read_body()
    if not signature_ok(target.app_secret, body, signature):
        why = ("no app secret is set for this workspace" if not target.app_secret
               else "X-Hub-Signature-256 is missing" if signature is None
               else "X-Hub-Signature-256 does not match the body and the workspace's app secret")
        return Answer(401, f"Signature refused: {why}. Nothing was stored.")
    problem = problem_with(body)
    if problem:
        return Answer(400, f"Not a WhatsApp webhook: {problem}. Nothing was stored.")
    receive(target.workspace_id, body)
    return Answer(200, "OK")


def receive(workspace_id: int, body: bytes) -> None:
    """Store a checked payload; once committed, make sure a task will process it.

    One INSERT in autocommit: it is committed (and, with PostgreSQL's synchronous_commit, on disk)
    when it returns, before the view answers 200."""
    _run_per_post(f"INSERT INTO {PAYLOADS} (workspace_id, received_at, body, processed_at, problem) "
                  "VALUES (%s, %s, %s, NULL, '')", [workspace_id, timezone.now(), body])
    transaction.on_commit(lambda: schedule(workspace_id))


def schedule(workspace_id: int) -> bool:
    """Queue a `process_payloads` task for the workspace unless one is queued already. True: queued.

    The usual case under load is a read and nothing else: the flag is set, so a task is queued and has
    not yet cleared it, and it reads the pending payloads after clearing it, so after this payload's commit."""
    if _run_per_post(f"SELECT 1 FROM {QUEUE_STATES} WHERE workspace_id = %s AND scheduled", [workspace_id]):
        return False
    with transaction.atomic():
        if not LiveQueueState.objects.filter(workspace_id=workspace_id, scheduled=False).update(scheduled=True):
            _, created = LiveQueueState.objects.get_or_create(workspace_id=workspace_id, defaults={"scheduled": True})
            if not created:
                return False
        # A backend that runs a task at once (ImmediateBackend, for scripts) cannot defer one: nothing to gather.
        gather = settings.LIVE_WEBHOOK_GATHER_SECONDS
        deferred = gather > 0 and process_payloads.get_backend().supports_defer
        run_after = timezone.now() + timedelta(seconds=gather) if deferred else None
        process_payloads.using(run_after=run_after).enqueue(workspace_id)
    return True


def _run_per_post(sql: str, params: list) -> tuple | None:
    """One of the two statements every POST runs (the ORM costs more than they do), and its first row.

    On PostgreSQL a prepared statement with binary parameters: the server neither parses nor plans it
    again, nor decodes a hex body, which halved PostgreSQL's CPU a POST (0.20 ms to 0.12 ms with the flag's
    read; README, "Live webhooks"). Django's own cursors bind on the client and never prepare; this raw
    cursor of the same connection and transaction does (settings: prepare_threshold). Errors are Django's
    (`wrap_database_errors`), as for any query; Django's query log does not see these two."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description else None
    connection.close_if_health_check_failed()  # what Django's cursor() does first (a no-op on live_wsgi's path)
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True, binary=True)
        return cursor.fetchone() if cursor.description else None


def schedule_pending() -> int:
    """At a worker's start: a task for every workspace with pending payloads (one may have been stored by
    a web process that died before it queued the task). Returns how many tasks were queued."""
    workspaces = sorted(set(WebhookPayload.objects.filter(processed_at__isnull=True)
                            .values_list("workspace_id", flat=True)))
    # A set flag means a task is queued or running (they commit together; a dead worker's running task
    # has just been queued again): `schedule` adds one only where the flag is clear.
    return sum(schedule(workspace_id) for workspace_id in workspaces)


def pending(workspace: Workspace) -> int:
    return WebhookPayload.objects.filter(workspace=workspace, processed_at__isnull=True).count()


@task
def process_payloads(workspace_id: int) -> int:
    """Load the payloads pending when it starts, a batch per transaction. Returns how many.

    It stops at the first batch that is not full rather than chasing payloads that arrive meanwhile: from
    the moment it cleared the flag, each of those queued the next task, which gathers them for
    LIVE_WEBHOOK_GATHER_SECONDS and loads them as one batch (under load, a task per few POSTs cost the
    worker and PostgreSQL more than the POSTs themselves)."""
    LiveQueueState.objects.filter(workspace_id=workspace_id).update(scheduled=False)
    done = 0
    while True:
        loaded = process_batch(workspace_id)
        done += loaded
        if loaded < settings.LIVE_WEBHOOK_BATCH:
            return done


def process_batch(workspace_id: int, most: int | None = None) -> int:
    """One batch (at most LIVE_WEBHOOK_BATCH payloads, fewer when fewer are pending): loaded and marked
    processed in one transaction, so it counts once or not at all."""
    most = most or settings.LIVE_WEBHOOK_BATCH
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update(no_key=True).filter(pk=workspace_id).first()
        if workspace is None:
            return 0
        batch = list(WebhookPayload.objects.filter(workspace_id=workspace_id, processed_at__isnull=True)
                     .order_by("pk").values_list("pk", "body")[:most])
        if not batch:
            return 0
        report = ingest_payloads(workspace, [bytes(body) for _, body in batch])
        now = timezone.now()
        WebhookPayload.objects.filter(pk__in=[pk for pk, _ in batch]).update(processed_at=now)
        for error in report.errors:
            pk = batch[error["line"] - 1][0]
            WebhookPayload.objects.filter(pk=pk).update(problem=error["message"][:300])
            logger.warning("Webhook payload %s of workspace %s not loaded: %s", pk, workspace.slug, error["message"])
    return len(batch)
