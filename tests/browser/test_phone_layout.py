"""On a phone-sized screen no page scrolls sideways: wide tables scroll inside their own region."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from quotes import testing
from usage.ingest import ingest
from usage.models import Workspace
from tests.browser.test_usage_browser import DATA

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MIX = ("/?on=2026-11-01&lines-TOTAL_FORMS=2&lines-0-country=IN&lines-0-marketing=50000&lines-0-utility=200000"
       "&lines-1-country=BR&lines-1-authentication=80000")
# Elements that pass the right edge of the screen, outside the regions that scroll on purpose.
OVERFLOWING = """() => Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-scroll, .table-wrap'))
    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''))
    .slice(0, 5)"""


def assert_fits(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(OVERFLOWING) == [], path
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path


def test_public_pages_fit_a_phone(new_page):
    quote = testing.quote(testing.user("sam", testing.SALES), plan=testing.money_plan())
    page = new_page(viewport=PHONE)
    for path in (MIX, "/how-meta-charges/", "/api/v1/docs", "/accounts/login/", f"/q/{quote.share_token}/"):
        assert_fits(page, path)


def test_the_usage_month_fits_a_phone(new_page):
    user = testing.user("ann")
    workspace = Workspace.objects.create(name="Acme Retail", slug="acme")
    workspace.members.add(user)
    for name in ("sample-webhooks.jsonl", "sample-pricing-analytics.json"):
        with (DATA / name).open("rb") as data:
            ingest(data, workspace, name)
    page = new_page(viewport=PHONE)
    page.goto("/accounts/login/?next=/usage/")
    page.fill("#id_username", "ann")
    page.fill("#id_password", "a-long-test-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/usage/acme/2026-11/$"))
    expect(page.locator("#what-if-table")).to_be_visible()
    assert_fits(page, "/usage/acme/2026-11/")
