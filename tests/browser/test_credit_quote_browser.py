"""A seller makes a credit-plan quote through the form for a customer record, sees each market's credits and
money and the total, and the customer opens the share link signed out and downloads the CSV.

Hand-worked figures. The mix: India 1,000 marketing, 5,000 utility, 3,000 service; Germany 100 marketing,
priced on 2026-11-01 in USD. The plan example-credits and its shipped table from 2023-06-01
(ratecards/data/credit-ratios-example.csv, per conversation): India marketing 2.5, utility 1, service 1;
Germany marketing 36. One template a conversation and one reply a service conversation (the defaults), so
conversations = messages:
  India    1,000 x 2.5 + 5,000 x 1 + 3,000 x 1 = 2,500 + 5,000 + 3,000 = 10,500 credits
  Germany    100 x 36                           =                        3,600 credits
  all markets                                                           14,100 credits
The plan's price per credit in USD: 0.0125 from 2026-01-01 (entered below), so
  India 10,500 x 0.0125 = 131.25; Germany 3,600 x 0.0125 = 45.00; total 14,100 x 0.0125 = 176.25 USD.
Meta's charges, for comparison (usd-rates-2026-10-01.csv): India 1,000 x 0.0118 + 5,000 x 0.0014 +
(3,000 - 1,000 free) x 0.0014 = 11.80 + 7.00 + 2.80 = 21.60; Germany 100 x 0.1365 = 13.65; 35.25 USD.
The comparison the form keeps from the calculator's dates: USD 2026-07-01 (meta-usd-rates-2026-07-01.csv,
service free: 11.80 + 7.00 + 13.65 = 32.45 USD) with the same 14,100 credits at the same 0.0125 (in force on
2026-07-01 too) = 176.25 USD; and the conversation-based USD 2024-11-01, before any price per credit: credits
only (the customer's copy of a per-message quote leaves that card out).

Screenshots (1280x900 and 390x844), the PDF and its PNG pages go to $SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from plans.models import CreditMoneyPrice, PricePlan, load_credit_table
from quotes import testing
from quotes.models import Quote
from tests.browser.test_quotes_browser import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
QUERY = ("on=2026-11-01&currency=USD&lines-0-country=IN&lines-0-marketing=1000&lines-0-utility=5000"
         "&lines-0-service=3000&lines-1-country=DE&lines-1-marketing=100")


@pytest.fixture
def shots(tmp_path) -> Path:
    found = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    found.mkdir(parents=True, exist_ok=True)
    return found


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_seller_quotes_credits_and_the_customer_reads_them_on_the_link_and_in_the_csv(site, new_page, shots):
    sam = testing.user("sam", testing.SALES)
    load_credit_table()
    plan = PricePlan.objects.get(name="example-credits")
    CreditMoneyPrice.objects.create(plan=plan, currency="USD", price_per_credit=Decimal("0.0125"),
                                    effective_from=date(2026, 1, 1))
    record = testing.customer(sam, name="Kunde GmbH", plan=plan, country="DE", currency="USD")

    seller = new_page()
    sign_in(seller, "sam")
    seller.goto("/quotes/new/?" + QUERY)
    expect(seller.locator("h1")).to_have_text("New quote")
    seller.select_option("#id_customer_id", record.public_id)
    seller.select_option("#id_price_plan", "example-credits")
    seller.get_by_role("button", name="Save the quote").click()

    # The owner's page: credits and money per market, the total, the comparison, the customer record.
    expect(seller.locator(".messages")).to_contain_text("saved")
    quote = Quote.objects.get()
    expect(seller.get_by_test_id("credits-total")).to_have_text("14,100.00 credits")
    expect(seller.get_by_test_id("credits-money")).to_have_text(
        "= 176.25 USD at 0.0125 USD per credit (the plan's price from 2026-01-01)")
    expect(seller.get_by_test_id("meta-total")).to_have_text("35.25 USD")
    credits_table = seller.locator("#quote-credits table")
    expect(credits_table.locator("tbody tr").nth(0)).to_contain_text("India")
    expect(credits_table.locator("tbody tr").nth(0).locator("td").last).to_have_text("131.25")
    expect(credits_table.locator("tbody tr").nth(1)).to_contain_text("Germany")
    expect(credits_table.locator("tbody tr").nth(1).locator("td").last).to_have_text("45.00")
    expect(credits_table.locator("tr.grand td").last).to_have_text("176.25")
    money_cells = seller.get_by_test_id("comparison-credits-money")
    expect(money_cells).to_have_count(3)  # the owner's page keeps the conversation-based card
    expect(money_cells.nth(0)).to_contain_text("176.25")
    expect(seller.get_by_test_id("comparison-table")).to_contain_text("no price per credit on 2024-11-01")
    link = seller.get_by_test_id("quote-customer-record")
    expect(link).to_have_attribute("href", f"/customers/{record.public_id}/")
    seller.screenshot(path=str(shots / "credit-quote-owner-1280.png"), full_page=True)
    owner_csv = list(csv.DictReader(io.StringIO(seller.request.get(f"/quotes/{quote.reference}/csv").text())))
    assert {row["customer_id"] for row in owner_csv} == {record.public_id}
    seller.set_viewport_size(PHONE)
    seller.screenshot(path=str(shots / "credit-quote-owner-390.png"), full_page=True)
    share_url = seller.get_by_test_id("share-link").get_attribute("href")

    # The customer, signed out, on a laptop and a phone.
    for name, viewport in (("1280", {"width": 1280, "height": 900}), ("390", PHONE)):
        customer = new_page(viewport=viewport)
        customer.goto(share_url)
        expect(customer.locator("h1")).to_have_text("Quote for Kunde GmbH")
        expect(customer.locator("body")).not_to_contain_text("Sign out")
        expect(customer.get_by_test_id("credits-total")).to_have_text("14,100.00 credits")
        expect(customer.get_by_test_id("credits-money-by-market")).to_contain_text("India 131.25, Germany 45.00")
        expect(customer.get_by_test_id("comparison-row")).to_have_count(2)
        expect(customer.get_by_test_id("comparison-credits-money").nth(1)).to_contain_text("176.25")
        assert customer.locator("a[href*='/customers/']").count() == 0
        expect(customer.locator("body")).not_to_contain_text("cus_")
        if name == "390":
            assert fits_the_phone(customer)
        customer.screenshot(path=str(shots / f"credit-quote-share-{name}.png"), full_page=True)

    with customer.expect_download() as download:
        customer.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text()
    assert "cus_" not in text and "customer_id" not in text.splitlines()[0]
    rows = list(csv.DictReader(io.StringIO(text)))
    money = [(r["market"], r["credits"], r["provider_price"]) for r in rows if r["category"] == "credits_in_money"]
    assert money == [("India", "10500.00", "131.25"), ("Germany", "3600.00", "45.00"),
                     ("All markets", "14100.00", "176.25")]
    total = next(r for r in rows if r["category"] == "total")
    assert (total["meta_cost"], total["credits"]) == ("35.25", "14100.00")
    compared = [(r["priced_on"], r["rate_card"], r["meta_cost"], r["credits"], r["provider_price"])
                for r in rows if r["category"] == "comparison_credits"]
    assert compared == [("2026-11-01", "USD 2026-10-01", "35.25", "14100.00", "176.25"),
                        ("2026-07-01", "USD 2026-07-01", "32.45", "14100.00", "176.25")]

    pdf = customer.request.get(customer.get_by_role("link", name="Download PDF").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    (shots / "credit-quote.pdf").write_bytes(pdf.body())
