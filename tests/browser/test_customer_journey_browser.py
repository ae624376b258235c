"""Issue 15, "A customer in Spain estimates a month", played in Chromium at 1280x900 and 390x844: the
Spanish mix typed as a Spaniard types it ("España", "200.000"), a typo fixed from its suggestion, and the
chat-window what-if answered in words; then the same without JavaScript.

Figures by hand, USD card of 2026-10-01 (utility charged inside the chat window), month of 2026-11-01:
  Spain marketing 200,000 x 0.0707 = 14,140.00; Spain utility 50,000 x 0.0200 = 1,000.00 (list rate up to
  100,000) -> 15,140.00; India authentication 100,000 x 0.0014 = 140.00 (list rate up to 750,000) -> 15,280.00.
  50 % of Spain's utility inside the chat window: nothing now; under the USD 2026-07-01 card (utility free
  in the window, the rules of the cards from 2025-07-01 to 2026-09-30) 25,000 x 0.0200 = 500.00 saved.
Screenshots go to $SCREENSHOT_DIR when it is set (to look at them).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RESULT = "#estimate-result"
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WHAT_IF = ("Utility inside the chat window is charged from 1 Oct 2026: your 50 % changes nothing now; under the "
           "July 2025–September 2026 rules it would save $500.00.")


def type_into(page, selector: str, text: str) -> None:
    field = page.locator(selector)
    field.click()
    field.press("Control+A")
    field.press_sequentially(text, delay=15)


def shot(page, name: str, **options) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), **options)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_customer_in_spain_estimates_a_month(new_page, size):
    page = new_page(viewport=PHONE if size == "phone" else DESKTOP)
    page.goto("/")
    page.locator("#id_on").fill("2026-11-01")
    type_into(page, "#id_lines-0-country", "España")
    type_into(page, "#id_lines-0-marketing", "200.000")
    type_into(page, "#id_lines-0-utility", "50.000")
    expect(page.locator(RESULT)).to_have_attribute("data-total", "15140.00")
    expect(page.locator("#id_lines-0-marketing_echo")).to_have_text("= 200,000 messages")
    expect(page.locator("#id_lines-0-utility_echo")).to_have_text("= 50,000 messages")
    expect(page.locator("#lines-0-market")).to_contain_text("Spain")

    # A second country with a typo: marked, suggested, and the Spanish estimate stays in view
    page.get_by_role("button", name="+ Add a country").click()
    type_into(page, "#id_lines-1-country", "Inida")
    type_into(page, "#id_lines-1-authentication", "100000")
    expect(page.locator("#id_lines-1-country_error")).to_have_text(
        "'Inida' is not a country we know: did you mean India (IN)?")
    expect(page.locator("#id_lines-1-country")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(RESULT)).to_have_attribute("data-total", "15140.00")
    shot(page, f"customer-typo-{size}", full_page=True)
    fix = page.get_by_role("link", name="Did you mean India?")
    expect(fix).to_have_attribute("href", re.compile("lines-1-authentication=100000"))  # the update has arrived
    fix.click()
    expect(page.locator(RESULT)).to_have_attribute("data-total", "15280.00")
    expect(page.locator("#id_lines-1-country")).to_have_value("IN")
    expect(page.locator("#id_lines-0-country")).to_have_value("España")

    # The what-if: 50 % of utility inside the chat window leaves the total, and says why
    page.locator("details.assumptions > summary").click()
    type_into(page, "#id_utility_in_service_window", "50")
    expect(page.locator("#id_utility_in_service_window_effect")).to_have_text(WHAT_IF)
    expect(page.locator(RESULT)).to_have_attribute("data-total", "15280.00")
    expect(page.locator("#effects")).to_contain_text(WHAT_IF)
    expect(page.locator("#estimate-total")).to_have_text("$15,280.00")
    shot(page, f"customer-what-if-{size}", full_page=True)

    # Tables wider than the screen say so, and the old rules' columns can be reached
    table = page.locator(".table-wrap").first
    if size == "phone":
        hint = page.locator(".scroll-hint.shown").first
        expect(hint).to_contain_text("Scroll sideways for more columns")
        table.scroll_into_view_if_needed()
        shot(page, "customer-tables-phone")
        table.evaluate("wrap => { wrap.scrollLeft = wrap.scrollWidth; }")
        old_rules = table.locator("thead th", has_text="2026-07-01")
        expect(old_rules).to_be_in_viewport()
        # USD 2026-07-01: 14,140.00 + half of Spain's utility 500.00 + India 140.00 = 14,780.00
        expect(table.locator("tfoot td").last).to_have_text("$14,780.00")
        expect(table.locator("tbody th", has_text="Marketing")).to_be_in_viewport()  # row names stay
        shot(page, "customer-tables-phone-scrolled")
    else:
        table.scroll_into_view_if_needed()
        expect(table.locator("thead th", has_text="2026-07-01")).to_be_in_viewport()


def test_the_customers_month_without_javascript(new_page):
    page = new_page(java_script_enabled=False)
    page.goto("/")
    page.locator("#id_on").fill("2026-11-01")
    page.locator("#id_lines-0-country").fill("España")
    page.locator("#id_lines-0-marketing").fill("200.000")
    page.locator("#id_lines-0-utility").fill("50.000")
    page.get_by_role("button", name="+ Add a country").click()
    page.locator("#id_lines-1-country").fill("Inida")
    page.locator("#id_lines-1-authentication").fill("100000")
    page.locator("details.assumptions > summary").click()
    page.locator("#id_utility_in_service_window").fill("50")
    page.locator(".form-submit").get_by_role("button", name="Show the estimate").click()
    expect(page.locator(RESULT)).to_have_attribute("data-total", "15140.00")
    expect(page.locator("#id_lines-0-marketing_echo")).to_have_text("= 200,000 messages")
    expect(page.locator("#id_lines-1-country_error")).to_contain_text("did you mean India (IN)?")
    page.get_by_role("link", name="Did you mean India?").click()
    expect(page.locator(RESULT)).to_have_attribute("data-total", "15280.00")
    expect(page.locator("#id_utility_in_service_window_effect")).to_have_text(WHAT_IF)

    # The paste box, as the country split of the month's marketing, keeps the estimate typed above
    page.locator("#paste-details > summary").click()
    page.locator("#id_numbers").fill("612 345 678\n+52 1 55 1234 5678\nhola\n")
    page.locator("#id_use_1").check()
    page.locator("#id_monthly_total").fill("10k")
    page.get_by_role("button", name="Add as lines").click()
    # The business's country is not given: "612 345 678" has no country code and is refused with the way
    # out; Mexico gets all 10,000: 10,000 x 0.0397 = 397.00 -> 15,280.00 + 397.00 = 15,677.00
    report = page.locator("#paste-report")
    expect(report).to_contain_text("Your estimate is now $15,677.00 a month.")
    expect(report).to_contain_text("no country code: write it as +34 612 345 678")
    expect(page.locator(RESULT)).to_have_attribute("data-total", "15677.00")
    expect(page.locator("#id_lines-2-country")).to_have_value("MX")
