"""A task worker killed with SIGKILL in the middle of loading live webhooks loses nothing and counts
nothing twice once a worker starts again (a real worker process, a real kill -9)."""

from __future__ import annotations

import io
import json
import time
from datetime import date

import pytest
from django_tasks_db.models import DBTaskResult

from tests.worker_process import WorkerProcess
from usage import live, synthetic
from usage.ingest import ingest
from usage.live_models import WebhookPayload
from usage.models import Message, Workspace
from usage.summary import month_totals

NOVEMBER = date(2026, 11, 1)
BATCH = 150
PAYLOADS = 3000


def test_sigkill_mid_batch_then_restart_counts_every_message_once(transactional_db, tmp_path):
    lines = [line.encode() for line in synthetic.lines(PAYLOADS, month=NOVEMBER, seed=11)]
    live_space = Workspace.objects.create(name="Live", slug="live")
    control = Workspace.objects.create(name="File", slug="file")
    # What the test knows without the loader: the messages are the distinct ids in the payloads.
    wamids = set()
    for line in lines:
        for change in json.loads(line)["entry"][0]["changes"]:
            value = change["value"]
            wamids.update(s["id"] for s in value.get("statuses", ()))
            wamids.update(m["id"] for m in value.get("messages", ()))

    WebhookPayload.objects.bulk_create([WebhookPayload(workspace=live_space, body=line) for line in lines])
    assert live.schedule(live_space.pk)  # as the last POST would
    worker = WorkerProcess(tmp_path / "worker.log", {"LIVE_WEBHOOK_BATCH": str(BATCH)}).start()
    try:
        # Kill it once some batches are in and more are to come: it is then inside a batch's transaction
        # (loading, or writing the processed marks) nearly all the time.
        deadline = time.monotonic() + 120
        while WebhookPayload.objects.filter(processed_at__isnull=False).count() < 3 * BATCH:
            assert worker.alive() and time.monotonic() < deadline, worker.log()
            time.sleep(0.01)
        worker.kill()
        processed = WebhookPayload.objects.filter(processed_at__isnull=False).count()
        assert 0 < processed < PAYLOADS
        assert processed % BATCH == 0  # batches commit whole: no half batch is marked
        task = DBTaskResult.objects.get()
        assert task.status == "RUNNING"  # nobody marked it: the worker is gone

        worker.start()  # queues the dead worker's task again
        worker.wait()
        assert worker.failures() == []
    finally:
        worker.stop()

    assert not WebhookPayload.objects.filter(processed_at__isnull=True).exists()
    assert Message.objects.filter(workspace=live_space).count() == len(wamids)
    assert "interrupted" in worker.log()
    # The same lines as one file into another workspace: the very same month, message by message.
    ingest(io.BytesIO(b"".join(lines)), control, "same.jsonl")
    assert month_totals(live_space, NOVEMBER).as_json() == month_totals(control, NOVEMBER).as_json()
    fields = ("wamid", "ts", "last_status", "category", "outcome", "tier", "charge_units")
    assert sorted(Message.objects.filter(workspace=live_space).values_list(*fields)) == \
        sorted(Message.objects.filter(workspace=control).values_list(*fields))


def test_payloads_stored_by_a_web_process_that_died_before_queueing_are_processed_when_a_worker_starts(
        transactional_db, tmp_path):
    workspace = Workspace.objects.create(name="Live", slug="live")
    lines = [line.encode() for line in synthetic.lines(40, month=NOVEMBER, seed=5)]
    # Stored, committed, and no task queued: what a web worker killed right after its commit leaves.
    WebhookPayload.objects.bulk_create([WebhookPayload(workspace=workspace, body=line) for line in lines])
    assert not DBTaskResult.objects.exists()
    worker = WorkerProcess(tmp_path / "worker.log").start()
    try:
        deadline = time.monotonic() + 60
        while not DBTaskResult.objects.exists():
            assert worker.alive() and time.monotonic() < deadline, worker.log()
            time.sleep(0.05)
        worker.wait()
    finally:
        worker.stop()
    assert not WebhookPayload.objects.filter(processed_at__isnull=True).exists()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert Message.objects.filter(workspace=workspace).exists()
