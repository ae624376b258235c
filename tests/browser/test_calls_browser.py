"""The calculator's calls section in a real browser: typing prices calls live, the tier chart is drawn."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
BASE = "/?on=2026-11-01&currency=USD&lines-TOTAL_FORMS=1&lines-0-country=IN&lines-0-marketing=1000"


def type_into(page, selector: str, text: str) -> None:
    field = page.locator(selector)
    field.click()
    field.press("Control+A")
    field.press_sequentially(text, delay=15)


def test_typing_calls_adds_them_to_the_total_and_draws_their_tier_chart(page):
    page.goto(BASE)
    expect(page.locator("#estimate-total")).to_have_text("$11.80")
    type_into(page, "#id_calls-0-country", "IN")
    type_into(page, "#id_calls-0-average_seconds", "56")
    type_into(page, "#id_calls-0-business_minutes", "14")
    # 14 minutes of 56-second calls = 15 calls, each 10 pulses = 1 minute x 0.0053 = 0.0795; 11.80 + 0.0795 = 11.88
    expect(page.locator("#estimate-total")).to_have_text("$11.88")
    expect(page.locator("#calls-total-sub")).to_contain_text("calls $0.08")
    expect(page.locator("#calls-tier-chart")).to_have_attribute("data-drawn", re.compile(r"\d+"))
    expect(page).to_have_url(re.compile(r"calls-0-business_minutes=14"))


def test_another_calls_country_can_be_added(page):
    page.goto(BASE)
    type_into(page, "#id_calls-0-country", "IN")
    type_into(page, "#id_calls-0-average_seconds", "60")
    type_into(page, "#id_calls-0-business_minutes", "1000")
    expect(page.locator("#estimate-total")).to_have_text("$17.10")  # 11.80 + 1,000 x 0.0053
    page.locator("#add-calls-line").click()
    type_into(page, "#id_calls-1-country", "KE")
    type_into(page, "#id_calls-1-average_seconds", "60")
    type_into(page, "#id_calls-1-business_minutes", "100")
    # Kenya is Rest of Africa: 100 x 0.0103 = 1.03; 17.10 + 1.03 = 18.13
    expect(page.locator("#estimate-total")).to_have_text("$18.13")
    assert page.locator("#id_calls-0-business_minutes").input_value() == "1000"


def test_without_javascript_the_calls_section_works(new_page):
    page = new_page(java_script_enabled=False)
    page.goto(BASE)
    page.fill("#id_calls-0-country", "IN")
    page.fill("#id_calls-0-average_seconds", "56")
    page.fill("#id_calls-0-business_minutes", "14")
    page.locator("#add-calls-line").click()
    expect(page.locator("#estimate-total")).to_have_text("$11.88")
    expect(page.locator("#id_calls-1-country")).to_be_visible()
