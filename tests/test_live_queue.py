"""How live payloads reach the task queue under load: a burst gathered into one task, a task that loads
what was pending when it started, and the two prepared statements of every POST on PostgreSQL."""

from __future__ import annotations

import io
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pricing_site.wsgi import application
from tests.live_helpers import live_workspace, post, sample_payloads, signature
from usage import live
from usage.live_models import WebhookPayload
from usage.models import Message

postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                     reason="prepared statements are PostgreSQL's; SQLite runs the same SQL plainly")


@pytest.fixture
def acme(db):
    return live_workspace()


def queued_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="usage.live.process_payloads", status="READY"))


def test_a_burst_of_posts_queues_one_task_that_runs_after_the_gather_time(client, acme, settings,
                                                                         django_capture_on_commit_callbacks):
    settings.LIVE_WEBHOOK_GATHER_SECONDS = 30
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        for body in sample_payloads()[:5]:
            assert post(client, "acme", body).status_code == 200
    after = timezone.now()
    [task] = queued_tasks()
    assert task.args_kwargs["args"] == [acme.pk]
    assert before + timedelta(seconds=30) <= task.run_after <= after + timedelta(seconds=30)
    assert not DBTaskResult.objects.ready().exists()  # a worker polling now leaves it for later


def test_without_a_gather_time_the_task_is_due_at_once(client, acme, settings, django_capture_on_commit_callbacks):
    settings.LIVE_WEBHOOK_GATHER_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, "acme", sample_payloads()[0]).status_code == 200
    [task] = queued_tasks()
    assert DBTaskResult.objects.ready().filter(pk=task.pk).exists()


def test_a_backend_that_runs_tasks_at_once_processes_the_post_at_once(client, acme, settings,
                                                                      django_capture_on_commit_callbacks):
    # README: DJANGO_TASKS_BACKEND=...ImmediateBackend for scripts; it cannot defer a task (it refused the
    # gathered one before).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.LIVE_WEBHOOK_GATHER_SECONDS = 0.5
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, "acme", sample_payloads()[0]).status_code == 200
    assert not WebhookPayload.objects.filter(processed_at__isnull=True).exists()
    assert Message.objects.filter(workspace=acme).exists()


def test_a_task_loads_full_batches_until_one_is_not_full(acme, settings):
    settings.LIVE_WEBHOOK_BATCH = 2
    bodies = sample_payloads()[:5]
    for body in bodies:
        live.receive(acme.pk, body)
    assert live.process_payloads.call(acme.pk) == 5  # batches of 2, 2 and 1
    assert not WebhookPayload.objects.filter(processed_at__isnull=True).exists()


def test_payloads_arriving_while_a_task_runs_are_left_to_the_next_task_it_made_them_queue(
        acme, settings, django_capture_on_commit_callbacks):
    settings.LIVE_WEBHOOK_BATCH = 2
    settings.LIVE_WEBHOOK_GATHER_SECONDS = 0.5
    first, late = sample_payloads()[:3], sample_payloads()[3]
    for body in first:
        live.receive(acme.pk, body)
    real_batch = live.process_batch
    calls = []

    def batch_then_a_post_arrives(workspace_id: int) -> int:
        loaded = real_batch(workspace_id)
        calls.append(loaded)
        if len(calls) == 2:  # a POST while the last batch commits: its flag read finds the flag cleared
            with django_capture_on_commit_callbacks(execute=True):
                live.receive(workspace_id, late)
        return loaded

    with patch("usage.live.process_batch", side_effect=batch_then_a_post_arrives):
        assert live.process_payloads.call(acme.pk) == 3
    assert calls == [2, 1]  # a full batch, then one that is not: the task stops there
    [pending] = WebhookPayload.objects.filter(processed_at__isnull=True)
    assert bytes(pending.body) == late
    [task] = queued_tasks()  # the late POST queued the next task: nothing is left without one
    assert task.args_kwargs["args"] == [acme.pk]


@postgresql_only
def test_every_post_runs_its_two_statements_prepared(client, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for body in sample_payloads()[:3]:
            assert post(client, "acme", body).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = " ".join(row[0] for row in cursor.fetchall())
    assert 'INSERT INTO "usage_webhookpayload"' in prepared
    assert 'SELECT 1 FROM "usage_livequeuestate"' in prepared
    assert WebhookPayload.objects.filter(workspace=acme).count() == 3


@postgresql_only
def test_a_database_error_on_the_prepared_path_is_djangos_and_stores_nothing(acme):
    with pytest.raises(DatabaseError), transaction.atomic():
        live.receive(2 ** 70, b"{}")  # no bigint: PostgreSQL refuses it
    assert not WebhookPayload.objects.exists()


def _post_to_the_site(body: bytes) -> int:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/webhooks/meta/acme", "QUERY_STRING": "",
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
               "CONTENT_LENGTH": str(len(body)), "HTTP_X_HUB_SIGNATURE_256": signature(body)}
    answer = []
    b"".join(application(environ, lambda status, headers, exc_info=None: answer.append(int(status[:3]))))
    return answer[0]


@postgresql_only
def test_a_connection_lost_under_the_prepared_path_is_a_503_and_the_next_post_prepares_again(
        transactional_db, settings):
    settings.LIVE_WEBHOOK_GATHER_SECONDS = 0
    live_workspace()
    first, second, third = sample_payloads()[:3]
    assert _post_to_the_site(first) == 200
    backend = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    with other.cursor() as cursor:  # as a PostgreSQL restart or a network cut would
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    other.close()
    assert _post_to_the_site(second) == 503
    assert _post_to_the_site(third) == 200
    assert connection.connection.info.backend_pid != backend
    stored = [bytes(body) for body in WebhookPayload.objects.order_by("pk").values_list("body", flat=True)]
    assert stored == [first, third]
    assert not Message.objects.exists()  # nothing processed here: no worker runs in this test
