"""Hostile input to every form and upload of the site (issue 11): never a server error.

Property-based (hypothesis, derandomized so a run is repeatable): NUL and lone surrogates, numbers
like 1E-999999999 and 1e999999999, very long strings, deeply nested JSON, wrong types and formula text,
sent the way a browser or a script would (query strings, url-encoded and multipart forms, files) to the
calculator (GET, its CSV, the paste box), the quote pages, sign-in (site and admin), the admin's rate
card import and the usage upload. Each answer must be below 500; whether it is a 200 or a 4xx depends on
the value. CI runs this file on SQLite and on PostgreSQL, where NUL and surrogates used to be 500s.

FUZZ_EXAMPLES raises the number of examples per test for a longer hunt.
"""

from __future__ import annotations

import gzip
import json
import os
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quotes import testing
from tests.import_helpers import META_RATES, shipped
from usage.models import Workspace

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

HOSTILE_SAMPLES = [
    "\x00", "a\x00b", "\ud800", "x\udfffy", "\ud83d", "1E-999999999", "1e999999999", "-1E+999999999", "1e20", "1e30",
    "NaN", "-Infinity", "-0", "0x1F", "１２３", "١٢٣", "9" * 400, "x" * 70_000, "=cmd|' /C calc'!A0", "@SUM(1)",
    "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd", "[" * 2000 + "]" * 2000,
    '{"a":' * 500 + "1" + "}" * 500, "true", "null", "[]", "{}", "", " ", "\r\n", "\u202e", "💬" * 50,
]
HOSTILE = st.one_of(st.sampled_from(HOSTILE_SAMPLES), st.text(max_size=40),
                    st.text(alphabet=st.characters(categories=["Cs", "Cc"]), max_size=8),
                    st.integers(min_value=-(10**30), max_value=10**30).map(str),
                    st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{1,8})?[eE][+-]?[0-9]{1,10}", fullmatch=True))


def encoded(pairs: dict[str, str]) -> str:
    """A form or query string as a client sends it; lone surrogates go out as the bytes a broken encoder
    writes (UTF-8 with surrogates passed through), which no decoder accepts as they are."""
    return "&".join(f"{quote(k.encode('utf-8', 'surrogatepass'))}={quote(v.encode('utf-8', 'surrogatepass'))}"
                    for k, v in pairs.items())


def post_form(client, path: str, pairs: dict[str, str], **headers):
    return client.generic("POST", path, encoded(pairs), content_type="application/x-www-form-urlencoded",
                          headers=headers)


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:300])


@pytest.fixture(autouse=True)
def no_rate_limits(settings, client):
    settings.RATE_LIMITS = {scope: (10**9, 60) for scope in settings.RATE_LIMITS}
    client.raise_request_exception = False  # a 500 must be seen as a 500, as a user would
    yield
    cache.clear()  # the counts made here would otherwise limit the next test file's sign-ins


# --- Calculator: page, CSV, paste box ---------------------------------------------------------------------

CALCULATOR_FIELDS = ["on", "currency", "business_country", "auth_international", "business_phone_numbers",
                     "compare_on", "lines-TOTAL_FORMS", "lines-INITIAL_FORMS", "lines-0-country", "lines-0-marketing",
                     "lines-0-utility", "lines-0-service", "lines-0-free_entry_point", "lines-1-authentication",
                     "add_line", "remove_line"]


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(CALCULATOR_FIELDS), HOSTILE, max_size=6), htmx=st.booleans(),
       csv=st.booleans())
# The findings run every time, whatever hypothesis draws:
@example(fields={"lines-TOTAL_FORMS": "1000", "lines-0-country": "IN"}, htmx=False, csv=False)
@example(fields={"lines-0-country": "I\x00N", "lines-0-marketing": "1E-999999999", "on": "\ud800"}, htmx=True,
         csv=True)
def test_the_calculator_and_its_csv_never_fail(client, fields, htmx, csv):
    path = "/estimate.csv" if csv else "/"
    response = client.get(f"{path}?{encoded(fields)}", headers={"HX-Request": "true"} if htmx else {})
    assert_no_server_error(response)


@FUZZ
@given(numbers=st.one_of(HOSTILE, st.lists(HOSTILE, max_size=20).map("\n".join)), category=HOSTILE,
       per_recipient=HOSTILE, extra=st.dictionaries(st.sampled_from(CALCULATOR_FIELDS), HOSTILE, max_size=3))
@example(numbers="9" * 131_073, category="marketing", per_recipient="1", extra={})
@example(numbers="+91\x00", category="\ud800", per_recipient="1e999999999", extra={})
def test_the_paste_box_never_fails(client, numbers, category, per_recipient, extra):
    response = post_form(client, "/paste-numbers/", {"numbers": numbers, "category": category,
                                                     "per_recipient": per_recipient, **extra})
    assert_no_server_error(response)


# --- Sign-in ----------------------------------------------------------------------------------------------

@FUZZ
@given(username=HOSTILE, password=HOSTILE, next_page=HOSTILE, admin=st.booleans())
@example(username="a\x00", password="\ud800", next_page="/\x00", admin=False)
def test_sign_in_never_fails(client, username, password, next_page, admin):
    path = "/admin/login/" if admin else "/accounts/login/"
    response = post_form(client, f"{path}?{encoded({'next': next_page})}",
                         {"username": username, "password": password, "next": next_page})
    assert_no_server_error(response)


# --- Quotes -----------------------------------------------------------------------------------------------

QUOTE_FIELDS = ["customer", "price_plan", "quote_currency", "tax_country", "on", "valid_until", "notes", "notes_for_customer",
                "query", "source", "customer_id", "new_country"]
CUSTOMER_FIELDS = ["name", "country", "currency", "billing_email", "notes", "workspace", "price_plan",
                   "markup_marketing", "markup_utility", "markup_authentication", "markup_service", "fee_per_message",
                   "discount_percent", "monthly_fee"]
CALCULATOR_QUERY = "on=2026-11-01&currency=USD&lines-0-country=IN&lines-0-marketing=1000"


@pytest.fixture
def seller(client):
    user = testing.user("sam", testing.SALES_MANAGERS)
    client.force_login(user)
    testing.money_plan()
    return client, testing.quote(user)


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(QUOTE_FIELDS), HOSTILE, max_size=5),
       query=st.one_of(st.just(CALCULATOR_QUERY), HOSTILE), source=HOSTILE, listing=st.dictionaries(
           st.sampled_from(["q", "status", "sort", "page"]), HOSTILE, max_size=4), status=HOSTILE)
@example(fields={"customer": "\ud800", "price_plan": "\x00"}, query=CALCULATOR_QUERY, source="q_\x00",
         listing={"q": "\x00"}, status="\x00")
@example(fields={"query": CALCULATOR_QUERY.replace("1000", "1E-999999999")}, query=CALCULATOR_QUERY, source="abc",
         listing={"page": "1e999999999"}, status="sent")
def test_the_quote_pages_never_fail(seller, fields, query, source, listing, status):
    client, saved = seller
    raw_query = quote(query.encode("utf-8", "surrogatepass"), safe="=&")
    assert_no_server_error(client.get(f"/quotes/new/?{raw_query}&{encoded({'from': source})}"))
    assert_no_server_error(post_form(client, "/quotes/new/", {"customer": "Acme", "on": "2026-11-01",
                                                              "query": CALCULATOR_QUERY} | fields))
    assert_no_server_error(client.get(f"/quotes/?{encoded(listing)}"))
    assert_no_server_error(post_form(client, f"/quotes/{saved.reference}/status/", {"status": status}))
    assert_no_server_error(client.get(f"/quotes/{quote(source.encode('utf-8', 'surrogatepass'), safe='')}/"))
    assert_no_server_error(client.get(f"/q/{quote(source.encode('utf-8', 'surrogatepass'), safe='')}/"))


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(CUSTOMER_FIELDS), HOSTILE, max_size=6), search=HOSTILE,
       public_id=HOSTILE, htmx=st.booleans())
@example(fields={"name": "\x00", "markup_marketing": "1e999999999", "discount_percent": "NaN"}, search="\ud800",
         public_id="cus_\x00", htmx=False)
def test_the_customer_pages_never_fail(seller, fields, search, public_id, htmx):
    client, _ = seller
    base = {"name": "Acme", "country": "IN", "currency": "USD"}
    headers = {"HX-Request": "true"} if htmx else {}
    assert_no_server_error(post_form(client, "/customers/new/", base | fields, **headers))
    assert_no_server_error(client.get(f"/customers/?{encoded({'q': search})}", headers=headers))
    address = quote(public_id.encode("utf-8", "surrogatepass"), safe="")
    assert_no_server_error(client.get(f"/customers/{address}/"))
    assert_no_server_error(post_form(client, f"/customers/{address}/edit/", base | fields))


# --- Admin: rate card import ------------------------------------------------------------------------------

RATES = shipped(META_RATES)
RATE_LINES = RATES.split("\r\n")


@FUZZ
@given(line=st.integers(min_value=0, max_value=len(RATE_LINES) - 1), cell=st.integers(min_value=0, max_value=7),
       value=HOSTILE, raw=st.one_of(st.none(), st.binary(max_size=300)), currency=HOSTILE, effective_from=HOSTILE,
       dry_run=st.booleans())
@example(line=3, cell=0, value="a note with a NUL \x00", raw=None, currency="", effective_from="", dry_run=False)
def test_the_admin_import_never_fails(editor, line, cell, value, raw, currency, effective_from, dry_run):
    lines = list(RATE_LINES)
    cells = lines[line].split(",")
    cells[min(cell, len(cells) - 1)] = value.replace(",", ";")
    lines[line] = ",".join(cells)
    content = raw if raw is not None else "\r\n".join(lines).encode("utf-8", "surrogatepass")
    response = editor.post("/admin/ratecards/ratecard/import/", {
        "rates_file": SimpleUploadedFile("rates.csv", content),
        "currency": currency.encode("utf-8", "replace").decode(), "dry_run": "on" if dry_run else "",
        "effective_from": effective_from.encode("utf-8", "replace").decode()})
    assert_no_server_error(response)


# --- Usage upload -----------------------------------------------------------------------------------------

JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40), HOSTILE,
              st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([1e20, 1e30, -1e300, 2.0**63, 0.5])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=10,
)
STATUS_KEYS = ["id", "status", "timestamp", "recipient_id"]
PRICING_KEYS = ["billable", "pricing_model", "type", "category"]
POINT_KEYS = ["start", "end", "volume", "cost", "country", "phone_number", "pricing_type", "pricing_category", "tier"]
NUMBER_TEXT = st.sampled_from(["1E-999999999", "1e999999999", "1e20", "-1", "1E+30", "0.5", "1793836800"])


def envelope(status: dict, pricing: dict, phone) -> dict:
    base_status = {"id": "wamid.F", "status": "delivered", "timestamp": "1793836800", "recipient_id": "919811111111",
                   "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "marketing"}}
    base_status["pricing"].update(pricing)
    return {"object": "whatsapp_business_account", "entry": [{"id": "9", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": phone}, "statuses": [base_status | status]}}]}]}


@pytest.fixture
def uploader(client):
    Workspace.objects.create(name="Acme", slug="acme")
    client.force_login(testing.user("root", superuser=True))
    return client


@FUZZ
@given(status=st.dictionaries(st.sampled_from(STATUS_KEYS), st.one_of(JSON_VALUE, NUMBER_TEXT), max_size=3),
       pricing=st.dictionaries(st.sampled_from(PRICING_KEYS), JSON_VALUE, max_size=2),
       phone=JSON_VALUE, point=st.dictionaries(st.sampled_from(POINT_KEYS), st.one_of(JSON_VALUE, NUMBER_TEXT),
                                              max_size=4),
       layout=st.sampled_from(["lines", "array", "analytics", "gzip", "garbage"]), garbage=st.binary(max_size=200))
@example(status={"recipient_id": "9" * 40}, pricing={}, phone="777", point={}, layout="lines", garbage=b"")
@example(status={"id": "w\x00"}, pricing={"type": "\ud800"}, phone="1" * 100, point={}, layout="array", garbage=b"")
@example(status={}, pricing={}, phone="777", point={"start": 1e20, "volume": 1e30}, layout="analytics", garbage=b"")
def test_the_usage_upload_never_fails(uploader, status, pricing, phone, point, layout, garbage):
    good = envelope({}, {}, "777")
    hostile = envelope(status, pricing, phone)
    if layout == "analytics":
        base = {"start": 1793836800, "end": 1793923200, "country": "IN", "volume": 1, "cost": 0.1}
        body = json.dumps({"pricing_analytics": {"data": [{"data_points": [base | point]}]}})
    elif layout == "array":
        body = json.dumps([good, hostile], ensure_ascii=False)
    else:
        body = json.dumps(good) + "\n" + json.dumps(hostile, ensure_ascii=False) + "\n"
    data = body.encode("utf-8", "surrogatepass")
    if layout == "gzip":
        data = gzip.compress(data)
    elif layout == "garbage":
        data = garbage
    response = uploader.post("/usage/acme/upload/", {"file": SimpleUploadedFile("export.jsonl", data)})
    assert_no_server_error(response)
