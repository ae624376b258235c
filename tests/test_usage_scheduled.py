"""The daily work on the task queue, run by a real worker process: Meta's pricing analytics pulled from a
fake Graph API on loopback, then the alert digest mailed (the worker prints mail: DJANGO_DEBUG's console
backend), and the next day's run booked."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django_tasks_db.models import DBTaskResult

from tests.fake_graph import TOKEN, WABA, FakeGraph
from tests.worker_process import WorkerProcess
from usage.ingest import ingest
from usage.models import AlertSent, AnalyticsPoint, Workspace
from usage.scheduled import booked, daily_usage, next_run, schedule_daily

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fake_graph():
    with FakeGraph() as fake:
        yield fake


@pytest.fixture
def worker(transactional_db, tmp_path, fake_graph):
    process = WorkerProcess(tmp_path / "worker.log", extra_env={
        "GRAPH_API_BASE_URL": fake_graph.base, "GRAPH_API_VERSION": "v25.0", "GRAPH_API_BACKOFF_SECONDS": "0",
        "DJANGO_DEBUG": "1", "DJANGO_PASSWORD_RESET_MAIL": "1", "DJANGO_SMTP_HOST": ""}).start()
    yield process
    process.stop()


def wait_for_due_tasks(worker, timeout: float = 120) -> None:
    """Until no task that is due (queued to run now, or running) is left; a run booked for later stays."""
    deadline = time.monotonic() + timeout
    while DBTaskResult.objects.ready().exists() or DBTaskResult.objects.running().exists():
        assert worker.alive(), worker.log()
        assert time.monotonic() < deadline, worker.log()
        time.sleep(0.05)


def test_the_next_run_is_booked_once():
    now = datetime(2026, 12, 5, 20, 0, tzinfo=timezone.utc)
    assert next_run(now) == datetime(2026, 12, 6, 6, 0, tzinfo=timezone.utc)  # USAGE_DAILY_TASKS_HOUR = 6
    assert next_run(datetime(2026, 12, 5, 5, 59, tzinfo=timezone.utc)) == datetime(2026, 12, 5, 6, tzinfo=timezone.utc)
    when, new = schedule_daily(now)
    assert (when, new) == (datetime(2026, 12, 6, 6, 0, tzinfo=timezone.utc), True)
    assert schedule_daily(now) == (when, False)
    assert booked() == when
    assert DBTaskResult.objects.filter(task_path=daily_usage.module_path).count() == 1


def test_the_daily_run_pulls_mails_and_books_tomorrow(worker, fake_graph):
    acme = Workspace.objects.create(name="Acme", slug="acme", waba_id=WABA, graph_access_token=TOKEN,
                                    monthly_budget=Decimal("0.01"))
    acme.members.add(User.objects.create_user("ann", email="ann@example.com", password="pw"))
    Workspace.objects.create(name="Plain", slug="plain")  # no WABA id: not pulled
    # An India marketing template a minute ago: 0.0118, over this month's budget of 0.01.
    ingest(io.BytesIO(json.dumps({"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "1"}, "statuses": [{
            "id": "wamid.M1", "status": "delivered", "timestamp": str(int(time.time()) - 60),
            "recipient_id": "919800000001", "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular",
                                                        "category": "marketing"}}]}}]}]}).encode()), acme, "now")
    daily_usage.enqueue()
    wait_for_due_tasks(worker)
    assert not list(DBTaskResult.objects.failed()), worker.failures()
    assert AnalyticsPoint.objects.filter(workspace=acme).count() == 4  # the fake's three pages
    assert len(fake_graph.requests) == 3
    sent = AlertSent.objects.get(workspace=acme)
    assert sent.key.startswith("budget:")
    assert "Subject: Acme: 1 usage alert" in worker.log() and "To: ann@example.com" in worker.log()
    assert booked() is not None and booked() > datetime.now(timezone.utc)  # tomorrow's run
