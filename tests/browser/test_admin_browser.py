"""Issue 15, the admin's job played in Chromium: import Meta's new card, compare it, try it in the
calculator, publish it, move a country to another market from a date, and see both in the calculator.
Screenshots at 1280x900 and 390x844 go to $SCREENSHOT_DIR (default /tmp/shots) to be looked at."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from ratecards.models import CardStatus, MarketMapping, RateCard
from tests.import_helpers import next_usd_card

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/shots"))
PASSWORD = "a-long-test-password"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shoot(page, name: str, reload: bool = False) -> None:
    """The page at both sizes, then back to the desktop. `reload`: lay the page out again at phone size
    (the calculator's charts take their width when drawn); only for a page that is a GET."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"admin-{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    if reload:
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    page.screenshot(path=str(SHOTS / f"admin-{name}-390.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    if reload:
        page.reload()


def data_total(page) -> Decimal:
    return Decimal(page.locator("#estimate-result").get_attribute("data-total"))


def test_an_admin_loads_metas_new_card_from_the_first_page_to_the_calculator(site, new_page, tmp_path):
    editor = User.objects.create_user("rita", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Rate editors"))
    rates, tiers = next_usd_card()
    (tmp_path / "usd-rates-2027-01-01.csv").write_text(rates, encoding="utf-8", newline="")
    (tmp_path / "usd-volume-tiers-2027-01-01.csv").write_text(tiers, encoding="utf-8", newline="")

    page = new_page()
    page.goto("/admin/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()

    # Import: a dry run first, then import the same files without choosing them again.
    page.get_by_role("link", name="Rate cards", exact=True).first.click()
    page.get_by_role("link", name="Import Meta's files").click()
    page.set_input_files("#id_rates_file", str(tmp_path / "usd-rates-2027-01-01.csv"))
    page.set_input_files("#id_tiers_file", str(tmp_path / "usd-volume-tiers-2027-01-01.csv"))
    expect(page.locator("#id_dry_run")).to_be_checked()
    page.get_by_role("button", name="Check and import").click()
    expect(page.locator("#import-report")).to_contain_text("USD 2027-01-01 would be created (draft)")
    expect(page.locator("#kept-files")).to_contain_text("usd-rates-2027-01-01.csv")
    assert not RateCard.objects.filter(effective_from="2027-01-01").exists()
    shoot(page, "1-import-dry-run")
    page.get_by_role("button", name="Import as a draft").click()

    # The draft's page: what changes against the card it takes over from.
    draft = RateCard.objects.get(currency="USD", effective_from="2027-01-01")
    assert draft.status == CardStatus.DRAFT
    expect(page.locator("#draft-workspace")).to_contain_text("it takes over from USD 2026-10-01 on 1 January 2027")
    india = page.locator("#compare-table tr", has_text="India")
    expect(india).to_contain_text("0.0118")
    expect(india).to_contain_text("0.0107")
    expect(india).to_contain_text("-9.3 %")  # (0.0107 - 0.0118) / 0.0118
    shoot(page, "2-draft-workspace")

    # The compare page opens on the newest draft against the card before it.
    page.goto("/admin/ratecards/ratecard/")
    page.get_by_role("link", name="Compare two cards").click()
    expect(page.locator("#id_new option:checked")).to_have_text(f"USD 2027-01-01 (DRAFT #{draft.pk})")
    expect(page.locator("#id_old option:checked")).to_contain_text("USD 2026-10-01 (published")
    expect(page.locator("#compare-summary")).to_contain_text("1 rate changed")
    shoot(page, "3-compare")
    page.get_by_role("link", name="Open the draft to check, try and publish it").click()

    # Try it in the calculator: staff only, labelled as a draft. The sample is 10,000 marketing and 10,000
    # utility messages each to India, Brazil and Germany, all at list rates (below every first tier):
    # 10,000 x (0.0107 + 0.0014 + 0.0625 + 0.0068 + 0.1365 + 0.0550) = 10,000 x 0.2729 = 2,729.00
    page.get_by_role("link", name="Try this draft in the calculator").click()
    expect(page.locator("#draft-banner")).to_contain_text(f"Draft card USD 2027-01-01 (#{draft.pk})")
    expect(page.locator("#draft-top")).to_contain_text("draft card USD 2027-01-01")  # first thing on a phone too
    assert data_total(page) == Decimal("2729.00")
    shoot(page, "4-try-draft-in-calculator", reload=True)
    page.locator("#draft-banner").get_by_role("link", name="Back to the draft").click()

    # Publish, after a confirmation that says it is for good.
    page.get_by_role("link", name="Publish…").click()
    expect(page.locator("#publish-confirm")).to_contain_text("can never change")
    shoot(page, "5-publish-confirm")
    page.get_by_role("button", name=re.compile("Yes, publish")).click()
    expect(page.locator(".messagelist")).to_contain_text("USD 2027-01-01 published")
    draft.refresh_from_db()
    assert draft.status == CardStatus.PUBLISHED

    # Move Ghana from Rest of Africa to Other from the new card's first day: one action, with a preview.
    page.goto("/admin/ratecards/marketmapping/")
    page.get_by_role("link", name="Move a country to another market").click()
    page.select_option("#id_country", "GH")
    page.select_option("#id_market", label="Other")
    page.fill("#id_on", "2027-01-01")
    page.get_by_role("button", name="Show what changes").click()
    expect(page.locator("#move-preview")).to_contain_text("End +233 → Rest of Africa on 2026-12-31")
    expect(page.locator("#move-preview")).to_contain_text("Start +233 → Other on 2027-01-01")
    shoot(page, "6-move-country")
    page.get_by_role("button", name="Move Ghana").click()
    expect(page.locator(".messagelist")).to_contain_text("Ghana is billed as Other from 2027-01-01")
    assert MarketMapping.objects.get(iso2="GH", effective_from="2027-01-01").market.name == "Other"

    # The calculator, as anyone sees it: the new card's India rate and Ghana billed as Other.
    # 1,000 India marketing x 0.0107 + 1,000 Ghana marketing x Other's 0.0604 = 10.70 + 60.40 = 71.10
    public = new_page()
    public.goto("/?on=2027-01-01&currency=USD&lines-TOTAL_FORMS=2&lines-0-country=IN&lines-0-marketing=1000"
                "&lines-1-country=GH&lines-1-marketing=1000")
    expect(public.locator(".draft-banner")).to_have_count(0)
    assert data_total(public) == Decimal("71.10")
    expect(public.locator("#estimate-form")).to_contain_text("Other")
    # The day before, Ghana was still Rest of Africa, priced by USD 2026-10-01:
    # 1,000 x 0.0118 + 1,000 x 0.0225 = 11.80 + 22.50 = 34.30
    public.goto("/?on=2026-12-31&currency=USD&lines-TOTAL_FORMS=2&lines-0-country=IN&lines-0-marketing=1000"
                "&lines-1-country=GH&lines-1-marketing=1000")
    assert data_total(public) == Decimal("34.30")
    public.goto("/?on=2027-01-01&currency=USD&lines-TOTAL_FORMS=2&lines-0-country=IN&lines-0-marketing=1000"
                "&lines-1-country=GH&lines-1-marketing=1000")
    shoot(public, "7-calculator-after", reload=True)
