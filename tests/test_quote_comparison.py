"""The quote's comparison (the same messages on other cards and dates) carries what the quote's total
carries: Meta's charges, our charges, the net, the tax and the total incl. tax for a money plan; credits
and their money for a credit plan. And the customer record: linked on the owner's page and in the owner's
CSV, never in the customer's copies.

Hand-worked figures, one money quote (India, 1,000 marketing; the money plan of quotes/testing.py: 10 %
marketing markup, 0.001 USD a message Meta charges, 99 USD a month, 5 % off; no service, so no chats the
customer starts), priced on 2026-11-01 and compared on 2025-07-01:
  USD 2026-10-01 (usd-rates-2026-10-01.csv, India marketing 0.0118):
    Meta 1,000 x 0.0118 = 11.80; plan (11.80 x 1.1 + 1,000 x 0.001 + 99) x 0.95 = (12.98 + 1.00 + 99) x 0.95
    = 112.98 x 0.95 = 107.331 -> net 107.33; our charges 107.33 - 11.80 = 95.53
  USD 2025-07-01 (usd-rates-2025-07-01.csv, India marketing 0.0107):
    Meta 1,000 x 0.0107 = 10.70; plan (11.77 + 1.00 + 99) x 0.95 = 111.77 x 0.95 = 106.1815 -> net 106.18;
    our charges 106.18 - 10.70 = 95.48
Germany's VAT here: 16 % to 2025-12-31, 19 % from 2026-01-01 (dated settings). Each row is taxed at the
setting in force on its own date:
  2026-11-01: 107.33 x 19 / 100 = 20.3927 -> 20.39; total 107.33 + 20.39 = 127.72
  2025-07-01: 106.18 x 16 / 100 = 16.9888 -> 16.99; total 106.18 + 16.99 = 123.17

One credit quote (tests/test_credit_money.py's mix: India 1,000 marketing, 5,000 utility, 3,000 service;
Germany 100 marketing; the shipped per-conversation table from 2023-06-01: India marketing 2.5, utility 1,
service 1, Germany marketing 36; conversations = messages on every card, one template a conversation and one
reply a service conversation): 2,500 + 5,000 + 3,000 + 3,600 = 14,100 credits on each row. Prices per credit
in USD: 0.01 from 2025-01-01 to 2025-12-31, 0.0125 from 2026-01-01; none before 2025:
  2026-11-01: 14,100 x 0.0125 = 176.25 USD; Meta (usd-rates-2026-10-01.csv) India 11.80 + 7.00 + (3,000 - 1,000
              free) x 0.0014 = 21.60, Germany 100 x 0.1365 = 13.65: 35.25
  2025-07-01: 14,100 x 0.01 = 141.00 USD; Meta (usd-rates-2025-07-01.csv, service free) 10.70 + 7.00 + 13.65
              = 31.35
  2024-11-01: no price per credit on that date: credits only
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from accounts.models import APIKey
from calculator.engine.estimate import EstimateLine, EstimateRequest
from plans.models import CreditMoneyPrice, PricePlan, load_credit_table
from quotes import testing
from quotes.models import TaxSetting
from quotes.requests import StoredRequest

D = Decimal
pytestmark = pytest.mark.django_db
QUOTE_DAY = date(2026, 11, 1)
MARKETING = EstimateRequest(lines=(EstimateLine(country="IN", marketing=D(1000)),))
CREDIT_MIX = EstimateRequest(lines=(
    EstimateLine(country="IN", marketing=D(1000), utility=D(5000), service=D(3000)),
    EstimateLine(country="DE", marketing=D(100)),
))


def german_vat() -> None:
    for rate, start, end in (("16", date(2020, 7, 1), date(2025, 12, 31)), ("19", date(2026, 1, 1), None)):
        setting = TaxSetting(country="DE", name="VAT", rate=D(rate), effective_from=start, effective_to=end)
        setting.full_clean()
        setting.save()


def money_quote(seller_user, tax_country="DE"):
    stored = StoredRequest(MARKETING, QUOTE_DAY, [date(2025, 7, 1)], "USD")
    return testing.quote(seller_user, plan=testing.money_plan(), stored=stored, tax_country=tax_country)


@pytest.fixture
def credit_plan() -> PricePlan:
    load_credit_table()
    plan = PricePlan.objects.get(name="example-credits")
    for per_credit, start, end in (("0.01", date(2025, 1, 1), date(2025, 12, 31)), ("0.0125", date(2026, 1, 1), None)):
        price = CreditMoneyPrice(plan=plan, currency="USD", price_per_credit=D(per_credit), effective_from=start,
                                 effective_to=end)
        price.full_clean()
        price.save()
    return plan


def credit_quote(seller_user, plan):
    stored = StoredRequest(CREDIT_MIX, QUOTE_DAY, [date(2025, 7, 1), date(2024, 11, 1)], "USD")
    return testing.quote(seller_user, plan=plan, stored=stored, tax_country="DE")


def csv_dicts(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def figures(row: dict) -> tuple:
    return (row["on"], row["meta_total"], row["own_charges"], row["net"], row["tax"], row["tax_label"], row["gross"])


def test_each_comparison_row_carries_meta_our_charges_net_and_the_tax_in_force_on_its_date(sales_user):
    german_vat()
    quote = money_quote(sales_user)
    assert [figures(row) for row in quote.result["comparison"]] == [
        ("2026-11-01", "11.80", "95.53", "107.33", "20.39", "VAT 19 %", "127.72"),
        ("2025-07-01", "10.70", "95.48", "106.18", "16.99", "VAT 16 %", "123.17"),
    ]
    # The quote's own row is the quote's total: the same net, tax and gross.
    totals = quote.result["totals"]
    assert (totals["provider"], totals["tax"], totals["gross"]) == ("107.33", "20.39", "127.72")
    assert [(row["tax_name"], row["tax_rate"]) for row in quote.result["comparison"]] == [("VAT", "19"), ("VAT", "16")]


def test_without_a_country_for_tax_each_row_says_no_tax_and_its_total_is_the_net(sales_user):
    german_vat()
    quote = money_quote(sales_user, tax_country="")
    assert [figures(row) for row in quote.result["comparison"]] == [
        ("2026-11-01", "11.80", "95.53", "107.33", "0.00", "No tax applied", "107.33"),
        ("2025-07-01", "10.70", "95.48", "106.18", "0.00", "No tax applied", "106.18"),
    ]
    assert "tax_name" not in quote.result["comparison"][1]


def test_the_page_share_page_pdf_and_csv_show_each_rows_net_tax_and_total(client, seller, sales_user):
    german_vat()
    quote = money_quote(sales_user)
    for url in (f"/quotes/{quote.reference}/", f"/q/{quote.share_token}/"):
        page = client.get(url).content.decode()
        assert page.count('data-testid="comparison-row"') == 2, url
        for text in ('data-testid="comparison-tax">20.39<span class="cell-note">VAT 19 %',
                     'data-testid="comparison-tax">16.99<span class="cell-note">VAT 16 %',
                     'data-testid="comparison-gross">127.72<', 'data-testid="comparison-gross">123.17<', "95.48",
                     "106.18", "DE's setting in force on each row's date"):
            assert text in page, (url, text)
    pdf = client.get(f"/q/{quote.share_token}/pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "16.99 VAT 16 %" in text and "123.17" in text and "20.39 VAT 19 %" in text
    rows = [r for r in csv_dicts(client.get(f"/q/{quote.share_token}/csv")) if r["category"].startswith("comparison_")]
    assert [(r["priced_on"], r["rate_card"], r["category"], r["provider_price"], r["note"]) for r in rows] == [
        ("2026-11-01", "USD 2026-10-01", "comparison_meta_charges", "11.80", "Meta's charges"),
        ("2026-11-01", "USD 2026-10-01", "comparison_own_charges", "95.53", "Our charges"),
        ("2026-11-01", "USD 2026-10-01", "comparison_net", "107.33", "Net"),
        ("2026-11-01", "USD 2026-10-01", "comparison_tax", "20.39", "VAT 19 %"),
        ("2026-11-01", "USD 2026-10-01", "comparison_gross", "127.72", "Total incl. VAT"),
        ("2025-07-01", "USD 2025-07-01", "comparison_meta_charges", "10.70", "Meta's charges"),
        ("2025-07-01", "USD 2025-07-01", "comparison_own_charges", "95.48", "Our charges"),
        ("2025-07-01", "USD 2025-07-01", "comparison_net", "106.18", "Net"),
        ("2025-07-01", "USD 2025-07-01", "comparison_tax", "16.99", "VAT 16 %"),
        ("2025-07-01", "USD 2025-07-01", "comparison_gross", "123.17", "Total incl. VAT"),
    ]


def test_the_api_answers_the_comparison_with_the_same_figures(client, seller, sales_user):
    german_vat()
    testing.money_plan()
    key = APIKey.create_for(sales_user, "CRM")[1]
    body = {"customer": "Kunde GmbH", "price_plan": "Acme standard", "tax_country": "DE", "on": "2026-11-01",
            "compare_on": ["2025-07-01"], "currency": "USD", "lines": [{"country": "IN", "marketing": 1000}]}
    response = client.post("/api/v1/quotes", json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.content
    answer = response.json()
    assert [figures(row) for row in answer["comparison"]] == [
        ("2026-11-01", "11.80", "95.53", "107.33", "20.39", "VAT 19 %", "127.72"),
        ("2025-07-01", "10.70", "95.48", "106.18", "16.99", "VAT 16 %", "123.17"),
    ]
    # The fields that were there stay as they were.
    assert (answer["totals"]["gross"], answer["total"], answer["comparison"][1]["provider_total"]) == (
        "127.72", "107.33", "106.18")


def test_a_credit_comparison_row_has_its_credits_and_their_money_at_the_price_in_force_on_its_date(
        sales_user, credit_plan):
    quote = credit_quote(sales_user, credit_plan)
    rows = quote.result["comparison"]
    assert [(r["on"], r["meta_total"], r["credits_total"], (r["credits_money"] or {}).get("total"),
             (r["credits_money"] or {}).get("per_credit")) for r in rows] == [
        ("2026-11-01", "35.25", "14100.00", "176.25", "0.0125"),
        ("2025-07-01", "31.35", "14100.00", "141.00", "0.01"),
        ("2024-11-01", "31.35", "14100.00", None, None),
    ]
    # Like the quote's totals: a credit row carries no tax (credits are not money) and no net of its own.
    assert {(r["tax"], r.get("net")) for r in rows} == {("0.00", None)}
    assert rows[0]["tax_label"].startswith("No tax applied: credits are not money")


def test_the_credit_comparison_on_the_pages_and_in_the_csv(client, seller, sales_user, credit_plan):
    quote = credit_quote(sales_user, credit_plan)
    owner = client.get(f"/quotes/{quote.reference}/").content.decode()
    assert 'data-testid="comparison-credits-money">176.25<span class="cell-note">at 0.0125 a credit' in owner
    assert 'data-testid="comparison-credits-money">141.00<span class="cell-note">at 0.01 a credit' in owner
    assert 'data-testid="comparison-credits-money">–<span class="cell-note">no price per credit on 2024-11-01' in owner
    # The customer's copy of a per-message quote leaves the conversation-based card out.
    share = client.get(f"/q/{quote.share_token}/").content.decode()
    assert share.count('data-testid="comparison-row"') == 2 and "141.00" in share
    rows = [r for r in csv_dicts(client.get(f"/q/{quote.share_token}/csv")) if r["category"] == "comparison_credits"]
    assert [(r["priced_on"], r["meta_cost"], r["credits"], r["provider_price"], r["note"]) for r in rows] == [
        ("2026-11-01", "35.25", "14100.00", "176.25", "at 0.0125 USD per credit (the plan's price from 2026-01-01)"),
        ("2025-07-01", "31.35", "14100.00", "141.00", "at 0.01 USD per credit (the plan's price from 2025-01-01)"),
    ]


# --- The customer record: the owner's copies link it, the customer's never show it ----------------------

def test_the_owners_page_links_the_customer_record_and_the_owners_csv_carries_its_id(client, seller, sales_user):
    record = testing.customer(sales_user, name="Kunde GmbH", country="DE")
    quote = testing.quote(sales_user, customer="Kunde GmbH", customer_record=record)
    page = client.get(f"/quotes/{quote.reference}/").content.decode()
    assert f'href="/customers/{record.public_id}/" data-testid="quote-customer-record">Kunde GmbH</a>' in page
    rows = csv_dicts(client.get(f"/quotes/{quote.reference}/csv"))
    assert rows and {r["customer_id"] for r in rows} == {record.public_id}


def test_a_quote_by_name_has_an_empty_customer_id_in_the_owners_csv(client, seller, sales_user):
    quote = testing.quote(sales_user, customer="Walk-in Ltd")
    rows = csv_dicts(client.get(f"/quotes/{quote.reference}/csv"))
    assert rows and {r["customer_id"] for r in rows} == {""}


def test_the_customers_copies_show_no_internal_id_or_link(client, seller, sales_user):
    record = testing.customer(sales_user, name="Kunde GmbH", country="DE")
    quote = testing.quote(sales_user, customer="Kunde GmbH", customer_record=record)
    client.logout()
    share = client.get(f"/q/{quote.share_token}/").content.decode()
    csv_text = client.get(f"/q/{quote.share_token}/csv").content.decode()
    pdf = client.get(f"/q/{quote.share_token}/pdf").content
    pdf_text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for copy in (share, csv_text, pdf_text):
        assert "Kunde GmbH" in copy
        assert record.public_id not in copy and "cus_" not in copy and "/customers/" not in copy
        assert "card_id" not in copy
    assert "customer_id" not in csv_text.splitlines()[0]


def test_a_quote_saved_before_the_comparison_had_tax_still_shows_its_rows(client, seller, sales_user):
    german_vat()
    quote = money_quote(sales_user)
    old_keys = ("on", "card", "card_id", "pricing_model", "title", "meta_total", "provider_total", "credits_total",
                "tier_savings")
    quote.result["comparison"] = [{k: row[k] for k in old_keys} for row in quote.result["comparison"]]
    type(quote).objects.filter(pk=quote.pk).update(result=quote.result)  # as stored then (saved quotes are frozen)
    page = client.get(f"/q/{quote.share_token}/")
    assert page.status_code == 200 and page.content.decode().count('data-testid="comparison-row"') == 2
    rows = [r for r in csv_dicts(client.get(f"/q/{quote.share_token}/csv")) if r["category"].startswith("comparison_")]
    assert [(r["priced_on"], r["category"], r["provider_price"]) for r in rows] == [
        ("2026-11-01", "comparison_meta_charges", "11.80"), ("2026-11-01", "comparison_net", "107.33"),
        ("2025-07-01", "comparison_meta_charges", "10.70"), ("2025-07-01", "comparison_net", "106.18")]
