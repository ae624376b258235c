"""Text no column can hold is refused where it enters, with a 400 naming the field (issue 11, point 6).

On PostgreSQL a NUL in any query parameter reaching the database was a 500 (SQLite stores it quietly);
a lone surrogate (JSON "\\ud800") cannot be encoded by either database driver. Upload fields longer
than their column, and analytics numbers beyond BIGINT, failed the whole load with a 500 on both.
Every case runs on both databases (CI runs this file on SQLite and PostgreSQL).
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from quotes import testing
from tests.test_quotes_pages import CALCULATOR_QUERY
from usage.models import AnalyticsPoint, IngestRun, Message, TemplateCategoryChange, Workspace

pytestmark = pytest.mark.django_db

NUL = "contains a NUL character"
SURROGATE = "contains a lone surrogate"
QUOTE_API_BODY = {"customer": "Acme", "on": "2026-11-01", "lines": [{"country": "IN", "marketing": 1000}]}


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def staff(client):
    client.force_login(testing.user("root", superuser=True))
    return client


# --- Pages and forms: the middleware names the field -----------------------------------------------------

PAGE_CASES = {
    "share link with a NUL (anonymous)": ("/q/abc%00def/", None, "the address"),
    "share PDF with a NUL": ("/q/abc%00def/pdf", None, "the address"),
    "calculator query string": ("/?lines-TOTAL_FORMS=1&lines-0-country=I%00N&lines-0-marketing=1", None,
                                "'lines-0-country'"),
    "calculator CSV": ("/estimate.csv?on=2026-11-01%00", None, "'on'"),
    "paste box": ("/paste-numbers/", {"numbers": "+91 98\x0012", "category": "marketing"}, "'numbers'"),
    "sign-in": ("/accounts/login/", {"username": "ann\x00", "password": "x"}, "'username'"),
    "admin sign-in": ("/admin/login/", {"username": "ann", "password": "x\x00"}, "'password'"),
    "password reset": ("/accounts/password_reset/", {"email": "a\x00@example.com"}, "'email'"),
}


@pytest.mark.parametrize("case", list(PAGE_CASES))
def test_a_nul_anywhere_in_a_public_request_is_a_400_naming_it(client, case):
    path, form, named = PAGE_CASES[case]
    response = client.post(path, form) if form is not None else client.get(path)
    assert response.status_code == 400
    assert response.content.decode() == f"Bad request: {'the field ' if named.startswith(chr(39)) else ''}" \
                                        f"{named} {NUL} (\\u0000), which no field accepts.\n"


SELLER_CASES = {
    "duplicate from (GET)": lambda c: c.get("/quotes/new/?from=q_%00"),
    "duplicate source (form)": lambda c: c.post("/quotes/new/", {"customer": "A", "on": "2026-11-01",
                                                                 "query": CALCULATOR_QUERY, "source": "q\x00"}),
    "customer (form)": lambda c: c.post("/quotes/new/", {"customer": "A\x00", "on": "2026-11-01",
                                                         "query": CALCULATOR_QUERY}),
    "price plan (urlencoded form)": lambda c: c.post(
        "/quotes/new/", "customer=A&on=2026-11-01&price_plan=a%00", content_type="application/x-www-form-urlencoded"),
    "quote list search": lambda c: c.get("/quotes/?q=acme%00"),
    "quote page address": lambda c: c.get("/quotes/q_%00/"),
}


@pytest.mark.parametrize("case", list(SELLER_CASES))
def test_a_nul_in_a_quote_page_or_form_is_a_400(client, seller, case):
    response = SELLER_CASES[case](client)
    assert response.status_code == 400
    assert NUL in response.content.decode()


# --- JSON: the body's field is named in the API's own error format ---------------------------------------

API_CASES = {
    "estimate, surrogate in a country": ("/api/v1/estimate", b'{"lines": [{"country": "\\ud800", "marketing": 1}]}',
                                         "lines[0].country", SURROGATE),
    "estimate, NUL in a field name": ("/api/v1/estimate", b'{"lines": [{"coun\\u0000try": "IN"}]}', "lines[0]",
                                      "a field name " + NUL),
    "replay, surrogate in a user": ("/api/v1/replay", b'{"events": [{"at": "2026-11-01T00:00:00Z", "user": "\\udfff",'
                                    b' "kind": "template", "category": "marketing"}]}', "events[0].user", SURROGATE),
    "quote, surrogate in the customer": ("/api/v1/quotes", json.dumps(QUOTE_API_BODY | {"customer": "A\ud800"},
                                         ensure_ascii=True).encode(), "customer", SURROGATE),
    "quote, NUL in the notes": ("/api/v1/quotes", json.dumps(QUOTE_API_BODY | {"notes": "hi\x00"}).encode(),
                                "notes", NUL),
    "quote, NUL in the plan's name": ("/api/v1/quotes", json.dumps(QUOTE_API_BODY | {"price_plan": "\x00"}).encode(),
                                      "price_plan", NUL),
}


@pytest.mark.parametrize("case", list(API_CASES))
def test_unstorable_text_in_a_json_body_is_a_400_naming_the_field(client, seller, case):
    path, body, field, reason = API_CASES[case]
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == field and error["message"].startswith(reason)


def test_a_customer_longer_than_its_column_is_refused_by_the_api_with_the_columns_length(client, seller):
    response = client.post("/api/v1/quotes", QUOTE_API_BODY | {"customer": "x" * 201}, content_type="application/json")
    assert response.status_code == 400
    assert {"field": "customer", "message": "at most 200 characters"} in response.json()["errors"]


# --- Usage upload: a broken line is reported and skipped, the rest loads -----------------------------------

STATUS_LINE = ('{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[{"field":"messages","value":'
               '{"metadata":{"phone_number_id":"777"},"statuses":[{"id":"%s","status":"delivered",'
               '"timestamp":"1793836800","recipient_id":%s,"pricing":{"billable":true,'
               '"pricing_model":"PMP","type":"regular","category":"marketing"}}]}}]}]}')
GOOD = STATUS_LINE % ("wamid.GOOD", '"919811111111"')
BROKEN_LINES = {
    "40-digit recipient_id": (STATUS_LINE % ("wamid.BAD", '"' + "9" * 40 + '"'),
                              "recipient_id (or from) is 40 characters long"),
    "40-digit recipient_id as a number": (STATUS_LINE % ("wamid.BAD", "9" * 40),
                                          "recipient_id (or from) is 40 characters long"),
    "message id of 300 characters": (STATUS_LINE % ("w" * 300, '"91"'), "message id is 300 characters long"),
    "NUL in recipient_id": (STATUS_LINE % ("wamid.BAD", '"91\\u0000"'), "recipient_id (or from) " + NUL),
    "template update with a NUL name": (
        '{"object":"whatsapp_business_account","entry":[{"id":"9","time":1793836800,"changes":[{"field":'
        '"template_category_update","value":{"message_template_id":"1","message_template_name":"a\\u0000",'
        '"new_category":"MARKETING"}}]}]}', "template_category_update name " + NUL),
    "tier webhook with a bound past BIGINT": (
        '{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[{"field":"account_update","value":'
        '{"event":"VOLUME_BASED_PRICING_TIER_UPDATE","volume_tier_info":{"tier_update_time":1793836800,'
        '"pricing_category":"UTILITY","tier":"' + "9" * 30 + ':","effective_month":"2026-11","region":"India"}}}]}]}',
        "VOLUME_BASED_PRICING_TIER_UPDATE tier_start " + "9" * 30 + " is out of range"),
}


@pytest.fixture
def acme():
    return Workspace.objects.create(name="Acme", slug="acme")


def upload(client, content: str, name: str = "export.jsonl"):
    return client.post("/usage/acme/upload/", {"file": SimpleUploadedFile(name, content.encode())})


@pytest.mark.parametrize("case", list(BROKEN_LINES))
def test_a_line_with_a_value_its_column_cannot_hold_is_reported_and_skipped(staff, acme, case):
    broken, reason = BROKEN_LINES[case]
    response = upload(staff, f"{GOOD}\n{broken}\n{GOOD.replace('wamid.GOOD', 'wamid.GOOD2')}\n")
    assert response.status_code == 302
    run = IngestRun.objects.get()
    assert run.skipped == 1
    [error] = run.errors
    assert error["line"] == 2 and reason in error["message"]
    assert sorted(Message.objects.values_list("wamid", flat=True)) == ["wamid.GOOD", "wamid.GOOD2"]
    assert not TemplateCategoryChange.objects.exists()


def analytics(**point) -> str:
    base = {"start": 1793836800, "end": 1793923200, "country": "IN", "pricing_type": "REGULAR",
            "pricing_category": "MARKETING", "volume": 10, "cost": 0.118}
    return json.dumps({"pricing_analytics": {"data": [{"data_points": [base | point]}]}})


OUT_OF_RANGE = {
    "start 1e20": ({"start": 1e20}, "start 1E+20 is out of range"),
    "volume 1e30": ({"volume": 1e30}, "volume 1E+30 is out of range"),
    "volume 1E-999999999 is not expanded": ({"volume": "1E+999999999"}, "volume 1E+999999999 is out of range"),
    "cost 1e30": ({"cost": 1e30}, "cost 1E+30 is out of range"),
    "NUL in a phone number": ({"phone_number": "1\x00"}, "phone_number " + NUL),
    "tier too long": ({"tier": "t" * 41}, "tier is 41 characters long"),
}


@pytest.mark.parametrize("case", list(OUT_OF_RANGE))
def test_an_analytics_point_out_of_range_refuses_the_file_with_the_reason(staff, acme, case):
    point, reason = OUT_OF_RANGE[case]
    response = upload(staff, analytics(**point), "analytics.json")
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not AnalyticsPoint.objects.exists() and not IngestRun.objects.exists()


def test_the_same_analytics_point_in_range_loads(staff, acme):
    # The control for the refusals above: only the changed value made them fail.
    assert upload(staff, analytics(volume=2**62), "analytics.json").status_code == 302
    assert AnalyticsPoint.objects.get().volume == 2**62
