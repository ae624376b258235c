"""Big uploads and what-if replays of big months run in a real task worker; the pages poll until done.

Expected figures: the sample file's November (tests/test_live_webhooks.py): All 8, Paid 4, charge 0.05.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.live_helpers import SAMPLE
from usage import synthetic
from usage.ingest import ingest
from usage.models import IngestRun, Job, Message, MonthSummary, Workspace
from usage.summary import month_totals

NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def acme(transactional_db, django_user_model, client):
    workspace = Workspace.objects.create(name="Acme", slug="acme")
    user = django_user_model.objects.create_user("ann", password="x")
    workspace.members.add(user)
    client.force_login(user)
    return workspace


def test_a_big_upload_loads_in_the_worker_and_the_page_shows_its_progress(client, acme, task_worker, settings):
    settings.USAGE_UPLOAD_BACKGROUND_BYTES = 1000  # the sample (about 7 KB) counts as big
    url = reverse("usage-upload", args=["acme"])
    task_worker.stop()  # nothing loads it yet
    response = client.post(url, {"file": SimpleUploadedFile("sample.jsonl", SAMPLE.read_bytes())})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{url}?job={job.pk}"
    # Answered before anything was loaded; the page polls (htmx) and offers a refresh link without it.
    page = client.get(f"{url}?job={job.pk}").content.decode()
    assert "in the background" in page and "Queued for the task worker" in page
    assert f'href="?job={job.pk}"' in page and 'hx-trigger="load delay:2s"' in page
    assert not Message.objects.exists()
    task_worker.start()
    task_worker.wait()
    assert task_worker.failures() == []
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.run is not None and bytes(job.data) == b""
    fragment = client.get(f"{url}?job={job.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section class="panel result" id="upload-job"')
    assert "Loaded sample.jsonl" in fragment and "hx-get" not in fragment and "<html" not in fragment
    totals = month_totals(acme, NOVEMBER)
    assert (totals.all, totals.paid, str(totals.charge)) == (8, 4, "0.0549")
    assert IngestRun.objects.get().user.username == "ann"


def test_a_big_upload_that_is_not_webhooks_fails_in_the_worker_and_stores_nothing(client, acme, task_worker,
                                                                                   settings):
    settings.USAGE_UPLOAD_BACKGROUND_BYTES = 10
    url = reverse("usage-upload", args=["acme"])
    client.post(url, {"file": SimpleUploadedFile("rates.csv", b"Market,Currency\nIndia,USD\n" * 10)})
    task_worker.wait()
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and "no WhatsApp webhooks" in job.message
    page = client.get(f"{url}?job={job.pk}").content.decode()
    assert "rates.csv was not loaded" in page and "Nothing was stored" in page
    assert not Message.objects.exists() and not IngestRun.objects.exists()


def test_a_small_upload_still_loads_at_once(client, acme):
    url = reverse("usage-upload", args=["acme"])
    response = client.post(url, {"file": SimpleUploadedFile("sample.jsonl", SAMPLE.read_bytes())})
    assert "?run=" in response["Location"] and not Job.objects.exists()
    assert month_totals(acme, NOVEMBER).all == 8


def test_the_what_if_of_a_big_month_runs_in_the_worker_and_the_panel_polls(client, acme, task_worker, settings):
    ingest(io.BytesIO("".join(synthetic.lines(3000, month=NOVEMBER, seed=3)).encode()), acme, "month.jsonl")
    settings.USAGE_WHATIF_BACKGROUND_MESSAGES = 100  # this month counts as big
    url = reverse("usage-what-if", args=["acme", NOVEMBER])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="what-if-pending"' in fragment and 'hx-trigger="load delay:2s"' in fragment
    assert f'href="{url}#what-if"' in fragment  # without JavaScript: refresh
    client.get(url, HTTP_HX_REQUEST="true")  # polling again queues nothing more
    assert Job.objects.filter(kind=Job.Kind.WHAT_IF).count() == 1
    task_worker.wait()
    assert task_worker.failures() == []
    assert Job.objects.get().status == Job.Status.DONE
    stored = MonthSummary.objects.get(workspace=acme, month=NOVEMBER).what_if
    assert stored is not None and stored["available"]
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-regime="current"' in fragment and "hx-get" not in fragment.split(">", 1)[0]
    whole = client.get(reverse("usage-month", args=["acme", NOVEMBER])).content.decode()
    assert 'data-regime="conversation"' in whole  # kept: the month page shows it at once
