"""Pulling `pricing_analytics` from the Graph API, against a fake Graph API on loopback (real HTTP,
tests/fake_graph.py, started by these tests on an ephemeral port of 127.0.0.1): paging, cursors, Meta's
error codes, bounded retries with back-off, the reconciliation it feeds, the write-only token."""

from __future__ import annotations

import io
import json
import urllib.parse
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from tests.fake_graph import DAY, OCTOBER, PAGES, TOKEN, WABA, FakeGraph, point
from usage.graph import GraphError, fetch_pricing_analytics
from usage.ingest import ingest
from usage.models import AnalyticsPoint, IngestRun, Workspace
from usage.pull import pull_all, pull_analytics
from usage.reconcile import reconcile

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 4, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def acme():
    return Workspace.objects.create(name="Acme", slug="acme", waba_id=WABA, graph_access_token=TOKEN)


def graph(fake: FakeGraph, **more):
    return override_settings(GRAPH_API_BASE_URL=fake.base, GRAPH_API_VERSION="v25.0", GRAPH_API_BACKOFF_SECONDS=1,
                             GRAPH_API_MAX_ATTEMPTS=more.pop("attempts", 5), **more)


def test_every_page_is_pulled_and_feeds_the_reconciliation(acme):
    # Our side: 2 India utility templates on 1 October at the USD 2026-10-01 list rate 0.0014 = 0.0028.
    ingest(io.BytesIO("\n".join(json.dumps({"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "1"}, "statuses": [{
            "id": f"wamid.U{n}", "status": "delivered", "timestamp": str(OCTOBER + 3600 * n),
            "recipient_id": "919800000001", "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular",
                                                        "category": "utility"}}]}}]}]}) for n in (1, 2)).encode()),
           acme, "ours")
    waits = []
    with FakeGraph() as fake, graph(fake):
        report = pull_analytics(acme, now=NOW, sleep=waits.append)
    assert report.error == "" and (report.pages, report.points) == (3, 4)
    assert waits == []
    # The token went in the header, never in an address.
    assert all(auth == f"Bearer {TOKEN}" and TOKEN not in path for path, auth in fake.requests)
    first = urllib.parse.parse_qs(urllib.parse.urlsplit(fake.requests[0][0]).query)["fields"][0]
    # From the start of the previous month (1 September 2026 00:00 UTC = 1788220800) to now, to the hour.
    assert first.startswith("pricing_analytics.start(1788220800).end(1791104400)")
    reconciliation = reconcile(acme, date(2026, 10, 1))
    lines = {(line.country, line.category, line.type): line for line in reconciliation.lines}
    utility = lines[("IN", "utility", "regular")]
    # Meta: 2 on 1 October + 3 on 2 October = 5, 0.0028 + 0.0042 = 0.0070; ours: 2, 0.0028.
    assert (utility.meta_volume, utility.meta_cost) == (5, Decimal("0.0070"))
    assert (utility.our_volume, utility.our_cost) == (2, Decimal("0.0028"))
    assert lines[("IN", "service", "free_customer_service")].meta_volume == 5
    run = IngestRun.objects.get(workspace=acme, kind="analytics")
    assert (run.kind, run.records, run.errors) == ("analytics", 4, [])


def test_pulling_again_replaces_the_days_meta_revised(acme):
    with FakeGraph() as fake, graph(fake):
        pull_analytics(acme, now=NOW)
    revised = [[point(1, "IN", "UTILITY", 4, "0.0056"), point(1, "IN", "MARKETING", 1, "0.0118")], PAGES[1], PAGES[2]]
    with FakeGraph(revised) as fake, graph(fake):
        pull_analytics(acme, now=NOW)
    assert AnalyticsPoint.objects.filter(workspace=acme).count() == 4
    assert AnalyticsPoint.objects.get(workspace=acme, pricing_category="utility", start=OCTOBER).volume == 4


def test_rate_limits_and_server_errors_are_retried_with_back_off(acme):
    # Before the first page: 80007 (WABA rate limit), 4 (app), 17 (user), 32 (page), 613, 429 with
    # Retry-After: 7, then a 502 with no JSON. Waits: 1, 2, 4, 8, 16 s (doubling from 1 s), then the 7 s Meta
    # asked for, then 60 s (64 capped at MAX_BACKOFF); 8 tries allowed.
    errors = [(400, 80007, None), (403, 4, None), (403, 17, None), (403, 32, None), (400, 613, None), (429, 4, 7),
              (502, None, None)]
    waits = []
    with FakeGraph(errors=errors) as fake, graph(fake, attempts=8):
        report = pull_analytics(acme, now=NOW, sleep=waits.append)
    assert report.error == "" and report.points == 4
    assert waits == [1, 2, 4, 8, 16, 7, 60]
    assert (report.requests, report.retries) == (7 + 3, 7)


def test_retries_are_bounded_and_a_failed_pull_stores_nothing(acme):
    waits = []
    with FakeGraph(errors=[(400, 613, None)] * 3) as fake, graph(fake, attempts=3):
        report = pull_analytics(acme, now=NOW, sleep=waits.append)
    assert report.error == "Graph API error 613: Meta error 613 (after 3 tries)"
    assert len(fake.requests) == 3 and waits == [1, 2]
    assert not AnalyticsPoint.objects.exists()
    assert IngestRun.objects.get(workspace=acme).errors == [{"line": 0, "message": "not pulled: " + report.error}]


def test_an_error_on_a_later_page_stores_none_of_the_pages(acme):
    fake = FakeGraph()
    with fake, graph(fake, attempts=1):
        fake.answer_first = fake.answer

        def second_page_fails(path, authorization):
            if "after=cursor-1" in path:
                return 500, {"error": {"message": "An unexpected error has occurred.", "code": 2}}, {}
            return fake.answer_first(path, authorization)

        fake.answer = second_page_fails
        report = pull_analytics(acme, now=NOW, sleep=lambda s: None)
    assert report.error.startswith("Graph API error 2: An unexpected error")
    assert not AnalyticsPoint.objects.exists()


def test_an_expired_token_is_not_retried_and_never_shown(acme):
    acme.graph_access_token = "EAAG-expired"
    acme.save()
    with FakeGraph() as fake, graph(fake):
        report = pull_analytics(acme, now=NOW, sleep=lambda s: pytest.fail("not a retryable error"))
    assert report.error == "Graph API error 190: Invalid OAuth access token."
    assert len(fake.requests) == 1 and "EAAG-expired" not in report.error


def test_a_next_page_on_another_host_is_asked_of_ours_by_its_cursor(acme):
    with FakeGraph(foreign_next=True) as fake, graph(fake):
        report = pull_analytics(acme, now=NOW)
    assert report.points == 4
    assert all("graph.example.invalid" not in path for path, _ in fake.requests)
    assert [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query).get("after") for p, _ in fake.requests[1:]] == [
        ["cursor-1"], ["cursor-2"]]


def test_the_unreachable_api_is_retried_then_said(acme):
    with override_settings(GRAPH_API_BASE_URL="http://127.0.0.1:9", GRAPH_API_MAX_ATTEMPTS=2,
                           GRAPH_API_BACKOFF_SECONDS=0, GRAPH_API_TIMEOUT=2):
        with pytest.raises(GraphError, match="could not reach the Graph API"):
            fetch_pricing_analytics(WABA, TOKEN, OCTOBER, OCTOBER + DAY, sleep=lambda s: None)


def test_the_command_pulls_every_configured_workspace(acme, capsys):
    Workspace.objects.create(name="No WABA", slug="plain")
    with FakeGraph() as fake, graph(fake):
        call_command("pull_pricing_analytics")
        assert "acme: 4 data points in 3 page(s)" in capsys.readouterr().out
        assert [r.workspace for r in pull_all(now=NOW)] == ["acme"]
    with FakeGraph(errors=[(400, 100, None)]) as fake, graph(fake):
        with pytest.raises(CommandError, match="not pulled"):
            call_command("pull_pricing_analytics", "--workspace", "acme")


def test_the_access_token_is_write_only_in_the_admin(client, acme):
    admin = User.objects.create_superuser("root", password="x")
    client.force_login(admin)
    url = reverse("admin:usage_workspace_change", args=[acme.pk])
    page = client.get(url).content.decode()
    assert 'name="access_token"' in page and TOKEN not in page and "set (hidden)" in page
    form = {"name": "Acme", "slug": "acme", "timezone": "UTC", "waba_id": WABA, "access_token": "",
            "ingest_runs-TOTAL_FORMS": "0", "ingest_runs-INITIAL_FORMS": "0",
            "tier_updates-TOTAL_FORMS": "0", "tier_updates-INITIAL_FORMS": "0",
            "top_ups-TOTAL_FORMS": "0", "top_ups-INITIAL_FORMS": "0"}
    assert client.post(url, form).status_code == 302
    acme.refresh_from_db()
    assert acme.graph_access_token == TOKEN  # left blank: kept
    assert client.post(url, form | {"access_token": "EAAG-new"}).status_code == 302
    acme.refresh_from_db()
    assert acme.graph_access_token == "EAAG-new"
    assert client.post(url, form | {"clear_access_token": "on"}).status_code == 302
    acme.refresh_from_db()
    assert acme.graph_access_token == ""
    bad = client.post(url, form | {"waba_id": "12ab"})
    assert bad.status_code == 200 and "digits" in bad.content.decode()


def test_a_redirect_is_not_followed_so_the_token_goes_nowhere_else(acme):
    fake = FakeGraph()
    with fake, graph(fake):
        fake.answer = lambda path, authorization: (302, {}, {"Location": "http://127.0.0.2:9/collect"})
        report = pull_analytics(acme, now=NOW, sleep=lambda s: pytest.fail("a redirect is not retried"))
    assert report.error == "Graph API answered HTTP 302"
    assert len(fake.requests) == 1
