"""Credit tables with a unit (issue 16): per message or per conversation, dated; a quote uses the table in
force on its date in its own unit, says how it converted when the table is per conversation, and lists
what the table does not price instead of counting it as zero.

Figures by hand from the tables below and the shipped 2023 table (ratecards/data/credit-ratios-example.csv,
from 2023-06-01: India marketing 2.5, utility 1, service 1, authentication N/A).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from accounts.models import APIKey
from calculator.engine import Assumptions, EstimateLine, EstimateRequest
from plans.models import CreditRate, PlanUnit, PricePlan, load_credit_table, parse_credit_table
from plans.pricing import CREDIT_PER_MESSAGE, MarketUsage, price_credits
from quotes import testing
from quotes.models import Quote
from quotes.requests import StoredRequest

D = Decimal
ZERO = D(0)


def sent_usage(market="India", in_window=0, **sent) -> MarketUsage:
    return MarketUsage(market=market, meta_cost={}, messages={}, conversations={}, receptive_windows=D(999),
                       utility_in_window=ZERO, utility_rate=None,
                       sent={k: D(v) for k, v in sent.items()}, utility_sent_in_window=D(in_window))


# --- Pure pricing ---------------------------------------------------------------------------------------

def test_a_per_message_table_charges_every_message_sent_by_category():
    table = {("India", "marketing"): D("2.5"), ("India", "utility"): D(1), ("India", "authentication"): None,
             ("India", "service"): D("0.5")}
    usage = sent_usage(in_window=1000, marketing=1000, utility=3000, authentication=200, authentication_international=100,
                       service=500)
    priced = price_credits(table, (usage, sent_usage("Brazil", marketing=10)), CREDIT_PER_MESSAGE)
    india = priced.markets[0]
    # marketing 1,000 x 2.5 = 2,500; utility (3,000 + 1,000 inside a window) x 1 = 4,000; service 500 x 0.5 = 250
    assert dict(india.credits) == {"marketing": D("2500.0"), "utility": D(4000), "service": D("250.0")}
    assert india.conversations["authentication"] == D(300)  # 200 + 100 international: messages, not priced
    assert priced.total == D("6750.0")  # 2,500 + 4,000 + 250; Brazil has no row: nothing invented
    assert [(n.market, n.category, n.count, n.reason) for n in priced.not_priced] == [
        ("India", "authentication", D(300), "not_offered"), ("Brazil", "marketing", D(10), "no_row")]
    assert priced.warnings == (
        "India authentication is not offered (N/A): 300.00 messages are not priced in credits",
        "Brazil marketing has no row in the credit table: 10.00 messages are not priced in credits")


# --- The tables in the database -------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_shipped_2023_table_is_per_conversation():
    load_credit_table()
    rows = CreditRate.objects.filter(plan__name="example-credits")
    assert rows.count() == 192 and set(rows.values_list("unit", flat=True)) == {"conversation"}
    table = PricePlan.objects.get(name="example-credits").credit_table_on(date(2026, 8, 1))
    assert (table.unit, table.effective_from, table.rates[("India", "marketing")]) == (
        "conversation", date(2023, 6, 1), D("2.5"))
    assert PricePlan.objects.get(name="example-credits").credit_table_on(date(2023, 1, 1)) is None


def test_a_csv_with_credits_per_message_is_a_per_message_table():
    rows = parse_credit_table("plan,effective_from,effective_to,region,category,credits_per_message\n"
                              "p,2026-01-01,,India,marketing,2.5\n")
    assert rows[0]["unit"] == "message" and rows[0]["credits"] == D("2.5")
    with pytest.raises(ValidationError, match="credits_per_conversation or credits_per_message"):
        parse_credit_table("plan,effective_from,effective_to,region,category,credits\n")


@pytest.mark.django_db
def test_one_table_has_one_unit():
    plan = PricePlan.objects.create(name="Mixed", unit=PlanUnit.CREDITS)
    CreditRate.objects.create(plan=plan, effective_from=date(2026, 1, 1), region="India", category="marketing",
                              credits=D(2), unit="message")
    other = CreditRate(plan=plan, effective_from=date(2026, 1, 1), region="Brazil", category="marketing", credits=D(3),
                       unit="conversation")
    with pytest.raises(ValidationError, match="one table has one unit"):
        other.full_clean()
    CreditRate(plan=plan, effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31), region="Brazil",
               category="marketing", credits=D(3), unit="conversation").full_clean()  # an earlier table may differ


# --- Quotes end to end ----------------------------------------------------------------------------------

AUGUST = date(2026, 8, 1)  # USD 2026-07-01: per message; utility free inside an open chat, service free
MIX = EstimateRequest(lines=(EstimateLine(country="IN", marketing=D(6000), utility=D(4000), authentication=D(2000),
                                          service=D(3000)),),
                      assumptions=Assumptions(utility_in_service_window=D("0.25"), service_messages_per_conversation=D(3)))


def per_message_plan() -> PricePlan:
    plan = PricePlan.objects.create(name="Per-message credits", unit=PlanUnit.CREDITS)
    for category, credits in (("marketing", "2.5"), ("utility", "1"), ("authentication", None), ("service", "0.5")):
        CreditRate.objects.create(plan=plan, effective_from=date(2026, 1, 1), region="India", category=category,
                                  credits=None if credits is None else D(credits), unit="message")
    return plan


@pytest.fixture
def message_quote(seller) -> Quote:
    return testing.quote(seller, plan=per_message_plan(), stored=StoredRequest(MIX, AUGUST, None, "USD"))


def section(page: str, anchor: str) -> str:
    start = page.index(anchor)
    return page[start:page.index("</section>", start)]


@pytest.mark.django_db
def test_a_per_message_credit_quote_counts_messages_and_never_speaks_of_conversations(client, message_quote):
    credits = message_quote.result["credits"]
    # marketing 6,000 x 2.5 = 15,000; utility 4,000 sent (3,000 outside and 1,000 inside an open chat) x 1
    # = 4,000; service 3,000 free-form replies x 0.5 = 1,500; authentication 2,000: N/A, not priced.
    assert [(c["category"], c["messages"], c["credits"]) for c in credits["categories"]] == [
        ("marketing", 6000, "15000.00"), ("utility", 4000, "4000.00"), ("authentication", 2000, "0.00"),
        ("service", 3000, "1500.00")]
    assert credits["total"] == "20500.00" and message_quote.credits_total == D("20500.00")
    assert credits["not_priced"] == [{
        "market": "India", "category": "authentication", "label": "Authentication", "messages": 2000,
        "reason": "not_offered",
        "text": "India, authentication: 2,000 messages not priced in credits: the table does not offer it (N/A)"}]
    stored_words = json.dumps([credits, message_quote.result["method"], message_quote.result["warnings"],
                               message_quote.result["markets"][0]["credits"]])
    assert "conversation" not in stored_words.lower()
    page = client.get(f"/quotes/{message_quote.reference}/").content.decode()
    credits_html = section(page, 'id="quote-credits"')
    assert "Per-message credits, per message" in credits_html and "20,500.00" in credits_html
    assert "not priced" in credits_html and "2,000 messages not priced in credits" in credits_html
    assert "conversation" not in credits_html.lower()
    method = page[page.index("How the figures were estimated"):]
    method = method[:method.index("</ul>")]  # the method notes (Meta's own cards' rules follow them)
    assert "Credits per message from Per-message credits" in method and "conversation" not in method.lower()


@pytest.mark.django_db
def test_the_per_message_credit_pdf_csv_and_api_carry_the_same_credits(client, seller, message_quote):
    pdf = client.get(f"/q/{message_quote.share_token}/pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "per message" in text and "20,500.00" in text and "2,000 messages not priced" in text
    rows = list(csv.DictReader(io.StringIO(client.get(f"/q/{message_quote.share_token}/csv").content.decode())))
    marketing = next(r for r in rows if r["market"] == "India" and r["category"] == "marketing")
    assert marketing["credits"] == "15000.00"
    missing = next(r for r in rows if r["credits"] == "not priced")
    assert (missing["market"], missing["category"], missing["charged"]) == ("India", "authentication", "2000")
    service = next(r for r in rows if r["market"] == "India" and r["category"] == "service")
    assert (service["charged"], service["credits"]) == ("3000", "1500.00")  # Meta charged none; 3,000 x 0.5
    total = next(r for r in rows if r["category"] == "total")
    assert total["credits"] == "20500.00"
    totals = [r for r in rows if not r["category"].startswith("comparison_")]  # the comparison follows them
    assert totals[-1]["category"] == "tax" and totals[-1]["provider_price"] == "0.00"  # no tax on credits
    key = APIKey.create_for(seller, "CRM")[1]
    body = {"customer": "Acme", "price_plan": "Per-message credits", "on": "2026-08-01", "currency": "USD",
            "assumptions": {"utility_in_service_window": 0.25, "service_messages_per_conversation": 3},
            "lines": [{"country": "IN", "marketing": 6000, "utility": 4000, "authentication": 2000, "service": 3000}]}
    answer = client.post("/api/v1/quotes", data=json.dumps(body), content_type="application/json",
                         headers={"Authorization": f"Bearer {key}"}).json()
    assert answer["credits_total"] == "20500.00" and answer["totals"]["credits"] == "20500.00"
    assert any("2000.00 messages are not priced" in w for w in answer["warnings"])


@pytest.mark.django_db
def test_a_per_conversation_table_on_a_per_message_card_says_so_and_how_it_converted(client, seller):
    load_credit_table()
    quote = testing.quote(seller, plan=PricePlan.objects.get(name="example-credits"),
                          stored=StoredRequest(MIX, AUGUST, None, "USD"))
    credits = quote.result["credits"]
    # Conversations: marketing 6,000 / 1 template each x 2.5 = 15,000; utility charged by Meta 3,000 (a
    # quarter inside open chats is free) x 1 = 3,000; service: 3,000 replies / 3 = 1,000 windows x 1 =
    # 1,000; authentication N/A: 2,000 conversations not priced. Total 19,000.
    assert [(c["category"], c["conversations"], c["credits"]) for c in credits["categories"]] == [
        ("marketing", 6000, "15000.00"), ("utility", 3000, "3000.00"), ("authentication", 2000, "0.00"),
        ("service", 1000, "1000.00")]
    assert credits["total"] == "19000.00" and credits["unit"] == "conversation" and credits["table_from"] == "2023-06-01"
    assert any("is per conversation while Meta's card is per message" in n and "templates ÷ templates per "
               "conversation" in n for n in quote.result["method"])
    page = client.get(f"/quotes/{quote.reference}/").content.decode()
    assert 'data-testid="credit-conversion"' in page and "example-credits, per conversation" in page
