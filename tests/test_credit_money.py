"""A credit plan also shows money where a credit price exists (issue 15, the salesperson's job).

A credit plan may have dated money prices per credit, one currency each; a quote in that currency on a day
one is in force shows each market's credits and the total in money, on the quote page, the share page, the
PDF, the CSV and the API. Without one it says "credits only: no money price per credit is set": a price is
never converted from another currency or taken from another date.

Figures by hand from the shipped credit table (ratecards/data/credit-ratios-example.csv, the table from
2023-06-01, per conversation): India marketing 2.5, utility 1, service 1; Germany marketing 36.
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
from calculator.engine import EstimateLine, EstimateRequest
from plans.models import CreditMoneyPrice, PricePlan, load_credit_table
from quotes import testing
from quotes.requests import StoredRequest

D = Decimal
NO_PRICE = "credits only: no money price per credit is set"

# India 1,000 marketing, 5,000 utility, 3,000 service; Germany 100 marketing. One template a conversation and
# one reply a service conversation (the defaults), so conversations = messages:
#   India   1,000 x 2.5 + 5,000 x 1 + 3,000 x 1 = 2,500 + 5,000 + 3,000 = 10,500 credits
#   Germany   100 x 36                           =                        3,600 credits
#   all markets                                                          14,100 credits
# At 0.0125 USD a credit: India 10,500 x 0.0125 = 131.25 USD; Germany 3,600 x 0.0125 = 45.00 USD;
# total 14,100 x 0.0125 = 176.25 USD.
MIX = EstimateRequest(lines=(
    EstimateLine(country="IN", marketing=D(1000), utility=D(5000), service=D(3000)),
    EstimateLine(country="DE", marketing=D(100)),
))
QUOTE_DAY = date(2026, 11, 1)


@pytest.fixture
def credit_plan(db) -> PricePlan:
    load_credit_table()
    return PricePlan.objects.get(name="example-credits")


def price(plan: PricePlan, per_credit: str, currency: str = "USD", start=date(2026, 1, 1), end=None) -> CreditMoneyPrice:
    found = CreditMoneyPrice(plan=plan, currency=currency, price_per_credit=D(per_credit), effective_from=start,
                             effective_to=end)
    found.full_clean()
    found.save()
    return found


def quote(seller, plan, currency="USD"):
    return testing.quote(seller, plan=plan, stored=StoredRequest(MIX, QUOTE_DAY, None, currency))


def csv_rows(client, quote) -> list[dict]:
    return list(csv.DictReader(io.StringIO(client.get(f"/q/{quote.share_token}/csv").content.decode())))


def test_a_credit_quote_shows_each_markets_money_and_the_total_at_the_price_per_credit(client, seller, credit_plan):
    price(credit_plan, "0.0125")
    saved = quote(seller, credit_plan)
    credits = saved.result["credits"]
    assert credits["total"] == "14100.00"
    money = credits["money"]
    assert (money["currency"], money["per_credit"], money["total"]) == ("USD", "0.0125", "176.25")
    assert [(m["market"], m["credits"], m["money"]) for m in money["by_market"]] == [
        ("India", "10500.00", "131.25"), ("Germany", "3600.00", "45.00")]
    assert saved.result["totals"]["credits_money"] == "176.25"
    assert saved.total == saved.meta_total  # the quote's total stays Meta's charges
    for url in (f"/quotes/{saved.reference}/", f"/q/{saved.share_token}/"):
        page = client.get(url).content.decode()
        assert "= 176.25 USD at 0.0125 USD per credit" in page
        assert '<td class="num" data-testid="credits-money-market">131.25</td>' in page
        assert '<td class="num" data-testid="credits-money-market">45.00</td>' in page
        assert NO_PRICE not in page.lower()
        # A credit plan's customer pays credits: Meta's charges are there to compare, not "included".
        assert "Meta's charges, for comparison, a month" in page and "Meta's charges included" not in page
        # Each market's money also in words under the table, which a phone shows without scrolling sideways.
        assert "In USD: India 131.25, Germany 45.00; each market's credits at 0.0125 USD per credit" in page


def test_the_pdf_csv_and_api_carry_the_credits_money(client, seller, credit_plan):
    price(credit_plan, "0.0125")
    saved = quote(seller, credit_plan)
    pdf = client.get(f"/q/{saved.share_token}/pdf")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "176.25 USD at 0.0125 USD per credit" in text and "131.25" in text
    rows = [r for r in csv_rows(client, saved) if r["category"] == "credits_in_money"]
    assert [(r["market"], r["credits"], r["provider_price"]) for r in rows] == [
        ("India", "10500.00", "131.25"), ("Germany", "3600.00", "45.00"), ("All markets", "14100.00", "176.25")]
    assert "0.0125 USD per credit" in rows[-1]["note"]
    key = APIKey.create_for(seller, "CRM")[1]
    body = {"customer": "Acme GmbH", "price_plan": "example-credits", "on": "2026-11-01", "currency": "USD",
            "lines": [{"country": "IN", "marketing": 1000, "utility": 5000, "service": 3000},
                      {"country": "DE", "marketing": 100}]}
    answer = client.post("/api/v1/quotes", data=json.dumps(body), content_type="application/json",
                         headers={"Authorization": f"Bearer {key}"}).json()
    assert answer["credits_total"] == "14100.00" and answer["totals"]["credits_money"] == "176.25"
    assert [(m["market"], m["money"]) for m in answer["credits"]["money"]["by_market"]] == [
        ("India", "131.25"), ("Germany", "45.00")]


def test_without_a_price_in_the_quotes_currency_and_date_the_quote_says_credits_only(client, seller, credit_plan):
    price(credit_plan, "0.011", currency="EUR")  # another currency: never converted
    price(credit_plan, "0.0125", end=date(2026, 10, 31))  # ended the day before the quote
    saved = quote(seller, credit_plan)
    credits = saved.result["credits"]
    assert credits["money"] is None and credits["money_text"] == NO_PRICE
    assert "credits_money" not in saved.result["totals"]
    page = client.get(f"/q/{saved.share_token}/").content.decode()
    assert "Credits only: no money price per credit is set" in page and "per credit (the plan" not in page
    rows = [r for r in csv_rows(client, saved) if r["category"] == "credits_in_money"]
    assert [(r["market"], r["provider_price"], r["note"]) for r in rows] == [("All markets", "", NO_PRICE)]


def test_a_price_in_force_on_the_quote_day_in_its_currency_is_the_one_used(seller, credit_plan):
    price(credit_plan, "0.02", start=date(2026, 1, 1), end=date(2026, 10, 31))
    price(credit_plan, "0.01", start=date(2026, 11, 1))
    # 14,100 credits x 0.01 = 141.00 USD (the price from the quote's own day)
    assert quote(seller, credit_plan).result["credits"]["money"]["total"] == "141.00"


def test_overlapping_prices_of_one_currency_are_refused_naming_the_other(credit_plan):
    price(credit_plan, "0.0125", start=date(2026, 1, 1))
    with pytest.raises(ValidationError, match=r"overlap the USD price per credit of 2026-01-01 to open"):
        price(credit_plan, "0.02", start=date(2026, 6, 1), end=date(2026, 12, 31))
    price(credit_plan, "0.011", currency="EUR", start=date(2026, 6, 1))  # another currency may share days


def test_a_price_per_credit_must_be_positive_and_for_a_credit_plan(credit_plan):
    with pytest.raises(ValidationError, match="more than zero"):
        price(credit_plan, "0")
    money = testing.money_plan()
    with pytest.raises(ValidationError, match="credit plans only"):
        price(money, "0.01")


def test_the_admin_edits_prices_per_credit_on_the_credit_plan_with_help(admin_client, credit_plan):
    page = admin_client.get(f"/admin/plans/priceplan/{credit_plan.pk}/change/").content.decode()
    assert "Money prices per credit" in page
    add = admin_client.get("/admin/plans/creditmoneyprice/add/").content.decode()
    assert "Money for one credit, e.g. 0.0125" in add and "a quote in another currency shows credits only" in add
