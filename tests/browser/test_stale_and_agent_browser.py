"""The calculator in Chromium: Meta Business Agent tokens typed in, and the stale-rules notice for a EUR
estimate after 2026-10-01 with its 'Price in USD' link (issue 10, points 5 and 6).

By hand: Germany marketing EUR 0.1131 (eur-rates-2026-07-01.csv) and USD 0.1365 (usd-rates-2026-10-01.csv);
the agent USD 2.00 per million tokens, no EUR rate.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RESULT = "#estimate-result"
# A directory to keep a screenshot of the notice in (to look at it); unset in CI.
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")


def type_into(page, selector: str, text: str) -> None:
    field = page.locator(selector)
    field.click()
    field.press("Control+A")
    field.press_sequentially(text, delay=15)


def test_agent_tokens_and_the_stale_rules_notice_in_the_browser(page):
    page.goto("/?on=2026-11-01&currency=EUR&lines-0-country=DE&lines-0-marketing=1000")
    notice = page.locator("#stale-rules")
    expect(notice).to_contain_text("Meta's rules changed on 1 October 2026")
    expect(notice).to_contain_text("EUR 2026-07-01 is the latest EUR card")
    expect(page.locator(RESULT)).to_have_attribute("data-total", "113.10")  # 1000 x 0.1131
    type_into(page, "#id_meta_business_agent_tokens", "25000000")
    # No EUR rate for the agent: a warning, and the total does not move.
    expect(page.locator(RESULT)).to_contain_text("Meta Business Agent: no EUR rate")
    expect(page.locator(RESULT)).to_have_attribute("data-total", "113.10")
    expect(page).to_have_url(re.compile(r"meta_business_agent_tokens=25000000"))
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "calculator-eur-stale.png"), full_page=True)
    page.get_by_role("link", name="Price in USD").click()
    # 1000 x 0.1365 = 136.50 + 25 million tokens x 2.00 = 50.00 -> 186.50
    expect(page.locator(RESULT)).to_have_attribute("data-total", "186.50")
    expect(page.locator(RESULT)).to_have_attribute("data-currency", "USD")
    expect(page.locator("#stale-rules")).to_have_count(0)
    expect(page.locator(".agent-row")).to_contain_text("$50.00")
    expect(page.locator("#id_meta_business_agent_tokens")).to_have_value("25000000")
    expect(page).to_have_url(re.compile(r"currency=USD"))


def test_the_agent_field_works_without_javascript(browser, site):
    context = browser.new_context(base_url=site, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/?on=2026-11-01&currency=USD&lines-0-country=IN&lines-0-marketing=1000")
        page.fill("#id_meta_business_agent_tokens", "25000000")
        page.get_by_role("button", name="Show the estimate").last.click()
        # 1000 x 0.0118 = 11.80 + 25 x 2.00 = 50.00
        expect(page.locator(RESULT)).to_have_attribute("data-total", "61.80")
    finally:
        context.close()
