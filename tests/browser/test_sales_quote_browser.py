"""Issue 15, the salesperson's job: a quote in EUR for Acme GmbH, from the calculator's first page to the
customer opening the shared link signed out, then found again by name in the list.

Screenshots (1280x900 and 390x844) and the PDF go to $SCREENSHOT_DIR when it is set (to look at them),
else to the test's temporary directory.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from quotes import testing
from quotes.models import Quote

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Meta's EUR card effective 2026-07-01 (ratecards/data/ratecards/eur-rates-2026-07-01.csv), Germany:
# marketing 0.1131, utility 0.0456 EUR a message; 10,000 utility stay in the first tier (to 100,000);
# service replies are free under that card's rules. 2,000 x 0.1131 + 10,000 x 0.0456 = 226.20 + 456.00.
EUR_TOTAL = "682.20 EUR"


@pytest.fixture
def shots(tmp_path) -> Path:
    found = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    found.mkdir(parents=True, exist_ok=True)
    return found


def type_into(page, selector: str, text: str) -> None:
    field = page.locator(selector)
    field.click()
    field.press("Control+A")
    field.press_sequentially(text, delay=10)


def test_a_salesperson_quotes_acme_gmbh_in_eur_shares_it_and_finds_it_again(site, new_page, browser, shots):
    testing.user("sam", testing.SALES)
    seller = new_page(permissions=["clipboard-read", "clipboard-write"])

    # The calculator, signed out: the mix first, then signing in keeps it.
    seller.goto("/")
    type_into(seller, "#id_lines-0-country", "Germany")
    type_into(seller, "#id_lines-0-marketing", "2000")
    type_into(seller, "#id_lines-0-utility", "10000")
    type_into(seller, "#id_lines-0-service", "500")
    expect(seller).to_have_url(re.compile(r"lines-0-service=500"))
    seller.get_by_role("link", name="Sign in", exact=True).click()
    expect(seller.locator("h1")).to_have_text("Sign in")
    seller.screenshot(path=str(shots / "sales-sign-in-1280.png"))
    seller.fill("#id_username", "sam")
    seller.fill("#id_password", "a-long-test-password")
    seller.get_by_role("button", name="Sign in").click()
    expect(seller).to_have_url(re.compile(r"/\?.*lines-0-utility=10000"))
    expect(seller.locator("#id_lines-0-utility")).to_have_value("10000")

    # Save as quote: EUR on Meta's own EUR card, the price shown before saving.
    seller.get_by_role("link", name="Save as quote").click()
    expect(seller.locator("h1")).to_have_text("New quote")
    seller.fill("#id_customer", "Acme GmbH")
    seller.select_option("#id_quote_currency", "EUR")
    expect(seller.get_by_test_id("preview-meta")).to_have_text(EUR_TOTAL)
    expect(seller.get_by_test_id("preview-card")).to_contain_text("EUR 2026-07-01")
    seller.screenshot(path=str(shots / "sales-new-quote-1280.png"), full_page=True)
    assert not Quote.objects.exists()
    seller.get_by_role("button", name="Save the quote").click()

    expect(seller.locator(".messages")).to_contain_text("saved")
    expect(seller.get_by_test_id("meta-total")).to_have_text(EUR_TOTAL)
    quote = Quote.objects.get()
    assert quote.currency == "EUR" and quote.result["card_currency"] == "EUR"
    share_url = seller.get_by_test_id("share-link").get_attribute("href")
    assert share_url.endswith(f"/q/{quote.share_token}/")
    copy = seller.locator("button[data-copy=share-link]")
    expect(copy).to_have_text("Copy link")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert seller.evaluate("navigator.clipboard.readText()") == share_url
    seller.screenshot(path=str(shots / "sales-quote-detail-1280.png"))

    # The customer opens the link signed out, on a laptop and on a phone.
    for name, viewport in (("1280", {"width": 1280, "height": 900}), ("390", PHONE)):
        customer = new_page(viewport=viewport)
        customer.goto(share_url)
        expect(customer.locator("h1")).to_have_text("Quote for Acme GmbH")
        expect(customer.get_by_test_id("meta-total")).to_have_text(EUR_TOTAL)
        expect(customer.locator("body")).not_to_contain_text("Sign out")
        customer.screenshot(path=str(shots / f"sales-share-{name}.png"), full_page=True)
    pdf_response = customer.request.get(customer.get_by_role("link", name="Download PDF").get_attribute("href"))
    assert pdf_response.ok and pdf_response.headers["content-type"] == "application/pdf"
    pdf = pdf_response.body()
    (shots / "sales-quote.pdf").write_bytes(pdf)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Quote for Acme GmbH" in text and EUR_TOTAL in text

    # Next week: found by the customer's name; the name opens the quote.
    seller.goto("/quotes/")
    seller.get_by_role("searchbox").fill("acme")
    seller.get_by_role("searchbox").press("Enter")
    expect(seller).to_have_url(re.compile(r"q=acme"))
    row = seller.locator("#results tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("quote-total")).to_have_text(EUR_TOTAL)
    seller.screenshot(path=str(shots / "sales-list-1280.png"))
    seller.set_viewport_size(PHONE)
    for cell in (row.locator(".status"), row.get_by_test_id("quote-total"), row.get_by_test_id("quote-customer")):
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    seller.screenshot(path=str(shots / "sales-list-390.png"), full_page=True)
    row.get_by_role("link", name="Acme GmbH").click()
    expect(seller).to_have_url(re.compile(f"/quotes/{quote.reference}/$"))
