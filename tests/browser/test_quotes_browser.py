"""A sales user saves the calculator's estimate as a quote; the customer opens its link signed out."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from quotes import testing
from quotes.models import Quote, TaxSetting

pytestmark = pytest.mark.browser


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-test-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_a_quote_saved_from_the_calculator_opens_from_its_link_signed_out(site, new_page):
    testing.user("sam", testing.SALES)
    testing.money_plan()
    seller = new_page()
    sign_in(seller, "sam")

    seller.goto("/?on=2026-11-01&lines-0-country=IN&lines-0-marketing=1000&lines-0-utility=5000&lines-0-service=3000")
    save = seller.get_by_role("link", name=re.compile("Save as quote", re.I))
    if save.count():
        save.first.click()
    else:  # until the calculator links here itself: the same query string, as its "Save as quote" will send
        seller.goto("/quotes/new/?" + urlparse(seller.url).query)
    expect(seller.locator("h1")).to_have_text("New quote")
    seller.fill("#id_customer", "Acme Ltd")
    seller.select_option("#id_price_plan", "Acme standard")
    seller.fill("#id_notes", "internal: walk-away price 140")
    seller.get_by_role("button", name="Save the quote").click()

    expect(seller.locator(".messages")).to_contain_text("saved")
    expect(seller.get_by_test_id("provider-total")).to_have_text("153.12 USD")
    share_url = seller.get_by_test_id("share-link").get_attribute("href")
    quote = Quote.objects.get()
    assert share_url.endswith(f"/q/{quote.share_token}/")

    customer = new_page()  # a fresh browser context: no session
    customer.goto(share_url)
    expect(customer.locator("h1")).to_have_text("Quote for Acme Ltd")
    expect(customer.get_by_test_id("provider-total")).to_have_text("153.12 USD")
    expect(customer.get_by_test_id("meta-total")).to_have_text("21.60 USD")
    expect(customer.locator(".quote-chart")).to_be_visible()
    expect(customer.locator("body")).not_to_contain_text("walk-away")
    with customer.expect_download() as download:
        customer.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == f"quote-{quote.reference}.csv"

    customer.goto("/quotes/")
    expect(customer).to_have_url(re.compile(r"/accounts/login/\?next=/quotes/"))


def test_a_revoked_link_shows_not_found(site, browser):
    seller = testing.user("sam", testing.SALES)
    quote = testing.quote(seller)
    quote.revoke_share()
    context = browser.new_context(base_url=site)  # not new_page: the 404 itself is logged as a console error
    try:
        page = context.new_page()
        response = page.goto(f"/q/{quote.share_token}/")
        assert response.status == 404
        expect(page.locator("body")).not_to_contain_text("Acme")
    finally:
        context.close()


def test_a_german_customers_quote_shows_net_vat_and_gross_on_the_page_and_the_link(site, new_page, tmp_path):
    # India 1,000 / 5,000 / 3,000 with the money plan: net 153.12 USD (tests/test_quotes_taxes.py works it),
    # VAT 19 %: 153.12 x 0.19 = 29.0928 -> 29.09; gross 182.21.
    testing.user("sam", testing.SALES)
    testing.money_plan()
    TaxSetting.objects.create(country="DE", name="VAT", rate=Decimal(19), effective_from=date(2020, 1, 1))
    seller = new_page()
    sign_in(seller, "sam")
    seller.goto("/quotes/new/?on=2026-11-01&currency=USD&lines-0-country=IN&lines-0-marketing=1000"
                "&lines-0-utility=5000&lines-0-service=3000")
    seller.fill("#id_customer", "Kunde GmbH")
    seller.select_option("#id_price_plan", "Acme standard")
    seller.select_option("#id_tax_country", "DE")
    expect(seller.get_by_test_id("preview-gross")).to_have_text("182.21 USD")  # htmx preview on change
    seller.screenshot(path=str(tmp_path / "new-quote.png"), full_page=True)
    seller.get_by_role("button", name="Save the quote").click()
    expect(seller.get_by_test_id("gross-total")).to_have_text("182.21 USD")
    expect(seller.get_by_test_id("summary-tax")).to_contain_text("VAT 19 %")
    expect(seller.get_by_test_id("summary-tax")).to_contain_text("29.09")
    seller.screenshot(path=str(tmp_path / "detail.png"), full_page=True)

    share_url = seller.get_by_test_id("share-link").get_attribute("href")
    phone = new_page(viewport={"width": 390, "height": 844})
    phone.goto(share_url)
    expect(phone.get_by_test_id("summary-gross")).to_contain_text("Total incl. VAT")
    expect(phone.get_by_test_id("summary-gross")).to_contain_text("182.21")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(tmp_path / "share-phone.png"), full_page=True)
