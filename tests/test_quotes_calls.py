"""A quote carries calls: API, the calculator's "Save as quote", page, PDF, CSV and reprice.

Hand-worked from the shipped tables: India marketing 0.0118 (USD 2026-10-01); India calls 0.0053 a minute
(reconstructed calling table). 1,000 minutes of 60-second calls = 1,000 calls of 10 pulses = 1,000 billed
minutes x 0.0053 = 5.30; 14 minutes of 56-second calls = 15 calls = 15 billed minutes = 0.0795.
"""

import csv
import io
import json
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from pypdf import PdfReader

from accounts.models import APIKey
from quotes import testing
from quotes.models import Quote

pytestmark = pytest.mark.django_db
BODY = {"customer": "Acme Ltd", "on": "2026-11-01", "currency": "USD",
        "lines": [{"country": "IN", "marketing": 1000}],
        "calls": [{"country": "IN", "business_initiated_minutes": 14, "average_call_seconds": 56,
                   "user_initiated_minutes": 500}]}


@pytest.fixture
def key(sales_user):
    return APIKey.create_for(sales_user, "CRM script")[1]


def post(client, body, key):
    return client.post("/api/v1/quotes", data=json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


def test_the_api_quotes_messages_and_calls(client, key):
    response = post(client, BODY, key)
    assert response.status_code == 201, response.content
    quote = Quote.objects.get()
    # messages 11.80 + calls 0.0795 = 11.8795 -> 11.88
    assert quote.meta_total == Decimal("11.88") and quote.total == Decimal("11.88")
    totals = quote.result["totals"]
    assert totals["messages_meta"] == "11.80" and totals["calls"] == "0.08" and totals["meta"] == "11.88"
    row = quote.result["calls"]["rows"][0]
    assert (row["market"], row["calls"], row["billed_minutes"], row["rate"], row["reliability"]) == (
        "India", 15, 15, "0.0053", "medium")
    assert quote.request["calls"][0]["average_call_seconds"] == "56"
    assert response.json()["total"] == "11.88"


def test_bad_calls_on_a_quote_are_named_and_nothing_is_saved(client, key):
    body = BODY | {"calls": [{"country": "IN", "business_initiated_minutes": 10}]}
    response = post(client, body, key)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "calls[0].average_call_seconds", "message":
                                          "give the average call length in seconds: each call is billed in whole "
                                          "6-second pulses"}]
    assert not Quote.objects.exists()


def test_with_a_price_plan_calls_are_added_at_metas_price(client, key):
    plan = testing.money_plan()
    calls = [{"country": "IN", "business_initiated_minutes": 1000, "average_call_seconds": 60}]
    with_calls = post(client, BODY | {"price_plan": plan.name, "calls": calls}, key).json()
    without = post(client, {k: v for k, v in BODY.items() if k != "calls"} | {"price_plan": plan.name}, key).json()
    # 1,000 billed minutes x 0.0053 = 5.30 exactly, on top of both Meta's total and the plan's price
    assert Decimal(with_calls["totals"]["provider"]) - Decimal(without["totals"]["provider"]) == Decimal("5.30")
    assert Decimal(with_calls["totals"]["meta"]) - Decimal(without["totals"]["meta"]) == Decimal("5.30")
    quote = Quote.objects.order_by("pk").first()  # the first one posted: with calls
    assert quote.result["totals"]["calls"] == "5.30"
    assert any("the price plan's terms cover messages only" in note for note in quote.result["method"])


def test_save_as_quote_from_the_calculator_keeps_the_calls(client, sales_user):
    client.force_login(sales_user)
    query = urlencode({"on": "2026-11-01", "currency": "USD", "lines-TOTAL_FORMS": 1, "lines-0-country": "IN",
                       "lines-0-marketing": "1000", "calls-0-country": "IN", "calls-0-business_minutes": "14",
                       "calls-0-average_seconds": "56"})
    response = client.post("/quotes/new/", {"customer": "Acme Ltd", "on": "2026-11-01", "valid_until": "2027-01-01",
                                            "query": query})
    assert response.status_code == 302, response.content.decode()[:2000]
    quote = Quote.objects.get()
    assert quote.result["totals"]["calls"] == "0.08" and quote.meta_total == Decimal("11.88")


def quote_with_calls(sales_user) -> Quote:
    from calculator.calls_pricing import CallsAsk
    from dataclasses import replace

    stored = replace(testing.india_mix(), calls=(CallsAsk(country="IN", business_initiated_minutes=Decimal(1000),
                                                          average_call_seconds=Decimal(60),
                                                          user_initiated_minutes=Decimal(500)),))
    return testing.quote(sales_user, stored=stored)


def test_the_share_page_pdf_and_csv_carry_the_calls(client, sales_user):
    quote = quote_with_calls(sales_user)
    page = client.get(f"/q/{quote.share_token}/").content.decode()
    assert 'id="quote-calls"' in page and ">5.30<" in page
    # The rate table's reliability is a note on our data, for the team: not on the customer's copy (issue 15).
    assert "calling rate files were not found" not in page and "reliability" not in page.lower()
    assert "(500 minutes a month)" in page
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(client.get(f"/q/{quote.share_token}/pdf").content)).pages)
    assert "WhatsApp calls" in text and "5.30" in text and "calling rate files were not found" not in text
    rows = list(csv.reader(io.StringIO(client.get(f"/q/{quote.share_token}/csv").content.decode())))
    assert [r[5:] for r in rows if r[6] == "calls_minutes"] == [["India", "calls_minutes", "1000", "5.30", "5.30", "",
                                                                    ""]]
    total = next(r for r in rows if r[6] == "total")
    assert Decimal(total[8]) == Decimal(quote.result["totals"]["messages_meta"]) + Decimal("5.30")


def test_reprice_keeps_the_calls(client, sales_user):
    quote = quote_with_calls(sales_user)
    client.force_login(sales_user)
    page = client.get(f"/quotes/{quote.reference}/reprice/").content.decode()
    assert "5.30" in page
    from ratecards.snapshots import Catalog
    from quotes.presenting import reprice_context

    reprice = reprice_context(quote, Catalog(), date(2026, 11, 20))["reprice"]
    assert reprice["meta"]["changed"] is False  # the same cards and calling card: the same total


def test_a_calls_line_with_an_error_is_not_quoted_silently(client, sales_user):
    client.force_login(sales_user)
    query = urlencode({"on": "2026-11-01", "currency": "USD", "lines-TOTAL_FORMS": 1, "lines-0-country": "IN",
                       "lines-0-marketing": "1000", "calls-0-country": "IN", "calls-0-business_minutes": "14"})
    response = client.post("/quotes/new/", {"customer": "Acme Ltd", "on": "2026-11-01", "valid_until": "2027-01-01",
                                            "query": query})
    assert response.status_code == 400
    assert "calls lines need fixing first" in response.content.decode()
    assert not Quote.objects.exists()
