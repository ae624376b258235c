"""Quotes (page, share page, PDF, CSV) with Meta Business Agent tokens and the stale-rules notice
(issue 10, points 5 and 6).

By hand, from usd-rates-2026-10-01.csv (India: marketing 0.0118, utility = service 0.0014) and
eur-rates-2026-07-01.csv (Germany marketing 0.1131); the agent USD 2.00 per million tokens.
"""

from __future__ import annotations

import csv
import json
import html
import io
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from pypdf import PdfReader

from calculator.engine.estimate import EstimateLine, EstimateRequest
from quotes import testing
from quotes.models import Quote
from quotes.requests import StoredRequest

pytestmark = pytest.mark.django_db
D = Decimal
WITH_AGENT = urlencode({"on": "2026-11-01", "currency": "USD", "lines-0-country": "IN", "lines-0-marketing": "1000",
                        "lines-0-utility": "5000", "lines-0-service": "3000",
                        "meta_business_agent_tokens": "25000000"})


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_a_quote_from_the_calculator_carries_the_agent_tokens_into_every_total(client, seller):
    plan = testing.money_plan()
    response = client.post("/quotes/new/", {"customer": "Acme Ltd", "price_plan": plan.name, "on": "2026-11-01",
                                            "valid_until": "2027-01-01", "query": WITH_AGENT, "notes": "",
                                            "quote_currency": ""})
    assert response.status_code == 302, response.content
    quote = Quote.objects.get()
    assert quote.request["meta_business_agent_tokens"] == "25000000"
    # Meta: messages 11.80 + 7.00 + 2.80 = 21.60 (see test_quotes_pages) + agent 25 x 2.00 = 50.00 -> 71.60
    assert quote.meta_total == D("71.60")
    # The plan prices the messages (153.12, test_quotes_pages); the agent is passed on at Meta's price.
    assert quote.total == D("153.12") + D("50.00")
    assert quote.result["totals"]["meta_messages"] == "21.60"
    agent = quote.result["meta_business_agent"]
    assert (agent["tokens"], agent["meta"], agent["provider"]) == (25_000_000, "50.00", "50.00")

    page = html.unescape(client.get(f"/q/{quote.share_token}/").content.decode())
    assert "Meta Business Agent" in page and "25,000,000 tokens" in page

    text = pdf_text(client.get(f"/q/{quote.share_token}/pdf").content)
    assert "Meta Business Agent" in text and "50.00" in text and "203.12" in text

    rows = csv_rows(client.get(f"/q/{quote.share_token}/csv"))
    row = next(r for r in rows if r["category"] == "meta_business_agent")
    assert (row["market"], row["charged"], row["meta_cost"], row["provider_price"]) == (
        "All markets", "25000000", "50.00", "50.00")
    total = next(r for r in rows if r["category"] == "total")
    assert (total["meta_cost"], total["provider_price"]) == ("71.60", "203.12")


def test_repricing_a_saved_quote_keeps_its_agent_tokens(client, seller):
    request = EstimateRequest(lines=(EstimateLine(country="IN", marketing=D(1000)),),
                              meta_business_agent_tokens=D(5_000_000))
    quote = testing.quote(seller, stored=StoredRequest(request, date(2026, 11, 1), None, "USD"))
    assert quote.meta_total == D("21.80")  # 1000 x 0.0118 = 11.80 + 5 x 2.00 = 10.00
    panel = client.get(f"/quotes/{quote.reference}/reprice/").content.decode()
    assert "21.80" in panel


def test_a_eur_quote_after_the_rule_change_says_its_rules_are_out_of_date_next_to_the_total(client, seller):
    request = EstimateRequest(lines=(EstimateLine(country="DE", marketing=D(1000)),),
                              meta_business_agent_tokens=D(1_000_000))
    quote = testing.quote(seller, stored=StoredRequest(request, date(2026, 11, 1), None, "EUR"))
    assert quote.currency == "EUR"
    assert quote.meta_total == D("113.10")  # Germany 1000 x 0.1131; the agent has no EUR rate: not in it
    assert quote.result["stale_rules"]["newer_rules_from"] == "2026-10-01"

    page = html.unescape(client.get(f"/q/{quote.share_token}/").content.decode())
    notice_at = page.index('data-testid="stale-rules"')
    assert notice_at < page.index("By market and category")  # beside the totals, not in the small print
    # In the customer's words: the card and rules used and what changed, no advice meant for the team.
    assert "This quote uses EUR 2026-07-01, Meta's latest EUR card, with its rules." in page[notice_at:]
    assert "price it in" not in page
    assert "no EUR rate" in page  # the agent row has no invented figure

    text = " ".join(pdf_text(client.get(f"/q/{quote.share_token}/pdf").content).split())
    assert "Meta's rules changed on 2026-10-01; this quote uses older rules." in text

    rows = csv_rows(client.get(f"/q/{quote.share_token}/csv"))
    stale = next(r for r in rows if r["category"] == "stale_rules")
    assert "Meta changed its rules on 2026-10-01" in stale["note"] and "price it in" not in stale["note"]
    agent = next(r for r in rows if r["category"] == "meta_business_agent")
    assert (agent["meta_cost"], agent["provider_price"]) == ("", "")
    assert "no EUR rate" in agent["note"]


def test_a_usd_quote_has_no_stale_notice(client, seller):
    quote = testing.quote(seller)
    assert quote.result["stale_rules"] is None
    assert 'data-testid="stale-rules"' not in client.get(f"/q/{quote.share_token}/").content.decode()


def test_the_quotes_api_takes_agent_tokens(client):
    from accounts.models import APIKey

    seller = testing.user("kim", testing.SALES)
    key = APIKey.create_for(seller, "CRM script")[1]
    body = {"customer": "Acme Ltd", "on": "2026-11-01", "currency": "USD", "meta_business_agent_tokens": 25_000_000,
            "lines": [{"country": "IN", "marketing": 1000}]}
    response = client.post("/api/v1/quotes", data=json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.content
    answer = response.json()
    # 1000 x 0.0118 = 11.80 + 25 million tokens x 2.00 = 50.00
    assert answer["total"] == "61.80"
    assert answer["estimate"]["estimates"][0]["by_category"]["meta_business_agent"] == "50.00"
    assert Quote.objects.get().request["meta_business_agent_tokens"] == "25000000"
