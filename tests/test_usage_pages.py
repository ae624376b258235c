"""The usage pages: what a member sees, what nobody else sees (every page and export), upload, exports."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from usage.ingest import ingest
from usage.models import IngestRun, Message, Workspace

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data" / "webhooks"
SAMPLE = DATA / "sample-webhooks.jsonl"
ANALYTICS = DATA / "sample-pricing-analytics.json"
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def acme():
    space = Workspace.objects.create(name="Acme", slug="acme")
    ingest(SAMPLE.open("rb"), space, "sample-webhooks.jsonl")
    return space


@pytest.fixture
def globex():
    """Another business: one India marketing message on 2026-11-05, nothing like Acme's."""
    space = Workspace.objects.create(name="Globex", slug="globex")
    line = ('{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[{"field":"messages","value":'
            '{"metadata":{"phone_number_id":"777"},"statuses":[{"id":"wamid.GLOBEX-SECRET","status":"delivered",'
            '"timestamp":"1793836800","recipient_id":"919811111111","pricing":{"billable":true,'
            '"pricing_model":"PMP","type":"regular","category":"marketing"}}]}}]}]}')
    ingest(io.BytesIO(line.encode()), space, "globex.jsonl")
    return space


@pytest.fixture
def ann(acme):
    user = User.objects.create_user("ann", password="not-used-here")
    acme.members.add(user)
    return user


@pytest.fixture
def member(client, ann):
    client.force_login(ann)
    return client


def page_urls(slug: str) -> list[str]:
    return [
        reverse("usage-dashboard", args=[slug]),
        reverse("usage-month", args=[slug, NOVEMBER]),
        reverse("usage-what-if", args=[slug, NOVEMBER]),
        reverse("usage-csv", args=[slug, NOVEMBER]),
        reverse("usage-messages-csv", args=[slug, NOVEMBER]),
        reverse("usage-upload", args=[slug]),
    ]


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_the_month_page_shows_all_free_paid_and_the_charge(member):
    response = member.get(reverse("usage-month", args=["acme", NOVEMBER]))
    assert response.status_code == 200
    html = body(response)
    assert '<p class="kpi-value" id="kpi-all">8</p>' in html
    assert '<p class="kpi-value" id="kpi-free">4</p>' in html
    assert '<p class="kpi-value" id="kpi-paid">4</p>' in html
    assert 'data-charge="0.0549">$0.05<' in html
    assert "Rest of Latin America" in html and "Free entry point" in html
    assert 'data-figure="daily-figure"' in html and 'id="daily-figure"' in html
    assert "1 message failed" in html


def test_the_workspace_address_opens_its_latest_month(member):
    response = member.get(reverse("usage-dashboard", args=["acme"]))
    assert response.status_code == 302 and response["Location"] == reverse("usage-month", args=["acme", NOVEMBER])
    assert member.get(reverse("usage-dashboard", args=["acme"]) + "?month=2025-01")["Location"] == \
        reverse("usage-month", args=["acme", date(2025, 1, 1)])


def test_a_member_with_one_workspace_goes_straight_to_it(member):
    assert member.get(reverse("usage-index"))["Location"] == reverse("usage-dashboard", args=["acme"])


@pytest.mark.parametrize("index", range(6))
def test_a_member_of_one_workspace_never_sees_another(member, globex, index):
    url = page_urls("globex")[index]
    response = member.get(url)
    assert response.status_code == 404
    assert "GLOBEX" not in body(response).upper()
    assert member.post(reverse("usage-upload", args=["globex"]), {}).status_code == 404


def test_a_members_pages_and_exports_hold_only_their_workspaces_data(member, globex):
    for url in page_urls("acme")[1:]:
        response = member.get(url, follow=True)
        assert response.status_code == 200, url
        assert "GLOBEX" not in body(response).upper(), url
        assert "919811111111" not in body(response), url
    index = member.get(reverse("usage-index"), follow=True)
    assert "Globex" not in body(index)


def test_staff_see_every_workspace(client, acme, globex):
    staff = User.objects.create_user("sam", password="x", is_staff=True)
    client.force_login(staff)
    listing = body(client.get(reverse("usage-index")))
    assert "Acme" in listing and "Globex" in listing
    assert client.get(reverse("usage-month", args=["globex", NOVEMBER])).status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client, acme):
    for url in page_urls("acme"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_the_month_csv_adds_up_to_the_month(member):
    response = member.get(reverse("usage-csv", args=["acme", NOVEMBER]))
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="usage-acme-2026-11.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    counted = [r for r in rows if r["outcome"] not in ("failed", "inbound")]
    assert sum(int(r["messages"]) for r in counted) == 8
    assert sum(int(r["messages"]) for r in counted if r["outcome"] == "paid") == 4
    assert sum(Decimal(r["charge_usd"]) for r in rows) == Decimal("0.0549")


def test_the_messages_csv_lists_every_message_of_the_month_once(member):
    rows = list(csv.DictReader(io.StringIO(body(member.get(reverse("usage-messages-csv", args=["acme", NOVEMBER]))))))
    assert len(rows) == 11  # A1-A4, B1, C1, C2, D1, D2 and the user messages U1, U2 (E1 is January 2025)
    assert len({r["message_id"] for r in rows}) == 11
    a1 = next(r for r in rows if r["message_id"] == "wamid.A1")
    assert (a1["market"], a1["outcome"], a1["charge_usd"]) == ("India", "paid", "0.0118")


def test_uploading_a_webhook_export_loads_it_and_reports_what_it_held(client, ann):
    client.force_login(ann)
    space = Workspace.objects.create(name="Fresh", slug="fresh")
    space.members.add(ann)
    lines = SAMPLE.read_bytes().splitlines()
    lines.insert(3, b"{broken")
    upload = SimpleUploadedFile("export.jsonl", b"\n".join(lines), content_type="application/json")
    response = client.post(reverse("usage-upload", args=["fresh"]), {"file": upload})
    run = IngestRun.objects.get(workspace=space)
    assert response.status_code == 302 and response["Location"].endswith(f"?run={run.pk}")
    page = body(client.get(response["Location"]))
    assert "Loaded export.jsonl" in page and "Line 4:" in page
    assert Message.objects.filter(workspace=space).count() == 12
    again = client.post(reverse("usage-upload", args=["fresh"]),
                        {"file": SimpleUploadedFile("export.jsonl", SAMPLE.read_bytes())})
    assert "nothing changed" in body(client.get(again["Location"]))


@override_settings(USAGE_UPLOAD_MAX_BYTES=1000)
def test_an_upload_over_the_limit_is_refused_and_points_to_the_command(member, acme):
    before = Message.objects.count()
    response = member.post(reverse("usage-upload", args=["acme"]),
                           {"file": SimpleUploadedFile("big.jsonl", SAMPLE.read_bytes())})
    assert response.status_code == 400
    assert "ingest_webhooks" in body(response) and "1000 bytes" in body(response).replace(",", "")
    assert Message.objects.count() == before


def test_uploading_a_file_that_is_not_webhooks_stores_nothing(member, acme):
    runs, messages = IngestRun.objects.count(), Message.objects.count()
    response = member.post(reverse("usage-upload", args=["acme"]),
                           {"file": SimpleUploadedFile("rates.csv", b"Market,Currency\nIndia,USD\n")})
    assert response.status_code == 400
    assert "no WhatsApp webhooks" in body(response) and "Nothing was stored" in body(response)
    assert (IngestRun.objects.count(), Message.objects.count()) == (runs, messages)


def test_the_what_if_panel_comes_as_a_fragment_for_htmx_and_as_the_whole_page_without_it(member):
    url = reverse("usage-what-if", args=["acme", NOVEMBER])
    fragment = body(member.get(url, HTTP_HX_REQUEST="true"))
    assert fragment.lstrip().startswith('<section class="panel" id="what-if"')
    assert "<html" not in fragment and 'data-regime="conversation"' in fragment
    whole = body(member.get(url))
    assert "<html" in whole and 'data-regime="current"' in whole and 'id="kpi-all"' in whole
    # Computed once, then shown with the month page itself.
    assert 'data-regime="per_message_2025"' in body(member.get(reverse("usage-month", args=["acme", NOVEMBER])))


def test_meta_analytics_are_shown_next_to_ours_with_the_differences_highlighted(member, acme):
    ingest(ANALYTICS.open("rb"), acme, "analytics.json")
    html = body(member.get(reverse("usage-month", args=["acme", NOVEMBER])))
    assert 'id="reconciliation"' in html
    # Meta billed 30,000 Indian marketing messages for $354.00; the webhooks hold one, priced at $0.01.
    row = html[html.index("<td>IN</td><td>marketing</td>"):]
    row = row[:row.index("</tr>")]
    assert "30,000" in row and "$354.00" in row and "−29,999" in row and "−$353.99" in row
    assert html.count('<tr class="differs">') == 9


def test_a_month_without_data_is_not_found(member):
    assert member.get(reverse("usage-month", args=["acme", date(2024, 2, 1)])).status_code == 404


def test_staff_manage_workspaces_and_their_members_in_the_admin(client, acme, ann):
    admin = User.objects.create_superuser("root", password="x")
    client.force_login(admin)
    listing = client.get("/admin/usage/workspace/")
    assert listing.status_code == 200 and "Acme" in body(listing)
    response = client.post("/admin/usage/workspace/add/", {
        "name": "Initech", "slug": "initech", "business_country": "GB", "timezone": "UTC", "members": [ann.pk],
        "ingest_runs-TOTAL_FORMS": "0", "ingest_runs-INITIAL_FORMS": "0",
        "tier_updates-TOTAL_FORMS": "0", "tier_updates-INITIAL_FORMS": "0",
        # A prepaid top-up entered with the workspace (issue 16): it remembers who entered it.
        "top_ups-TOTAL_FORMS": "1", "top_ups-INITIAL_FORMS": "0", "top_ups-0-on": "2026-11-01",
        "top_ups-0-amount": "100.00", "top_ups-0-currency": "USD", "top_ups-0-note": "invoice 7"})
    assert response.status_code == 302, body(response)[:2000]
    assert list(Workspace.objects.get(slug="initech").members.all()) == [ann]
    top_up = Workspace.objects.get(slug="initech").top_ups.get()
    assert (top_up.amount, top_up.note, top_up.entered_by) == (Decimal("100.00"), "invoice 7", admin)
    change = client.get(f"/admin/usage/workspace/{acme.pk}/change/")
    assert change.status_code == 200 and "sample-webhooks.jsonl" in body(change)


@override_settings(USAGE_UPLOAD_MAX_BYTES=1000)
def test_a_request_far_over_the_limit_is_refused_on_its_size_alone(member, acme):
    from usage import synthetic

    big = "".join(synthetic.lines(300)).encode()
    assert len(big) > 1000 + 64 * 1024
    before = Message.objects.count()
    response = member.post(reverse("usage-upload", args=["acme"]), {"file": SimpleUploadedFile("big.jsonl", big)})
    assert response.status_code == 400 and "larger than 1,000 bytes" in body(response)
    assert Message.objects.count() == before
