"""The usage dashboard in a real browser: sign in, upload the sample, read the month, the chart, the
what-if loaded by htmx and Meta's figures; screenshots of the sample and of a bigger generated month."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.browser.conftest import AXE
from usage import synthetic
from usage.ingest import ingest
from usage.models import Workspace

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parent.parent / "data" / "webhooks"
SHOTS = Path("/tmp/shots")
PASSWORD = "a-long-test-password"


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def member(site):
    user = User.objects.create_user("ann", password=PASSWORD)
    workspace = Workspace.objects.create(name="Acme Retail", slug="acme")
    workspace.members.add(user)
    return workspace


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"usage-{name}.png"), full_page=True)


def test_uploading_the_sample_and_reading_the_month(member, new_page):
    page = new_page()
    sign_in(page, "ann")
    page.goto("/usage/acme/upload/")
    page.set_input_files("input[type=file]", str(DATA / "sample-webhooks.jsonl"))
    page.get_by_role("button", name="Load").click()
    expect(page.locator("#load-result")).to_contain_text("Loaded sample-webhooks.jsonl")
    page.set_input_files("input[type=file]", str(DATA / "sample-pricing-analytics.json"))
    page.get_by_role("button", name="Load").click()
    expect(page.locator("#load-result")).to_contain_text("5 pricing_analytics data points stored")

    page.goto("/usage/acme/")
    expect(page).to_have_url(re.compile(r"/usage/acme/2026-11/$"))
    expect(page.locator("#kpi-all")).to_have_text("8")
    expect(page.locator("#kpi-free")).to_have_text("4")
    expect(page.locator("#kpi-paid")).to_have_text("4")
    expect(page.locator("#kpi-charge")).to_have_text("$0.05")
    expect(page.locator("[data-figure=daily-figure] .main-svg").first).to_be_visible()
    # The what-if arrives by htmx, replayed under three sets of rules.
    expect(page.locator("#what-if-table tr[data-regime]")).to_have_count(4)
    expect(page.locator("#what-if-table tr[data-regime=current]")).to_contain_text("USD 2026-10-01")
    expect(page.locator("#reconciliation tr.differs")).to_have_count(9)
    screenshot(page, "dashboard-sample")

    page.select_option("#month-select", "2025-01")
    expect(page).to_have_url(re.compile(r"/usage/acme/2025-01/$"))
    expect(page.locator("#kpi-paid")).to_have_text("1")


def test_a_bigger_month_reads_well_and_axe_finds_nothing_serious(member, new_page, task_worker):
    """A month this big replays in the task worker: the what-if panel polls until it is there."""
    for month, lines, seed in ((date(2026, 10, 1), 40_000, 3), (date(2026, 11, 1), 60_000, 4)):
        export = "".join(synthetic.lines(lines, month=month, seed=seed)).replace('"wamid.', f'"wamid.{seed}.')
        ingest(io.BytesIO(export.encode()), member, f"{month:%B}.jsonl")
    ingest((DATA / "sample-pricing-analytics.json").open("rb"), member, "analytics.json")
    page = new_page(bypass_csp=True)  # axe is injected as an inline script, which the site's CSP refuses
    sign_in(page, "ann")
    page.goto("/usage/acme/2026-11/")
    expect(page.locator("[data-figure=daily-figure] .main-svg").first).to_be_visible()
    expect(page.locator("#what-if-table tr[data-regime]")).to_have_count(4, timeout=60_000)
    assert int(page.locator("#kpi-all").text_content().replace(",", "")) > 15_000
    screenshot(page, "dashboard-big")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
               for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_the_dashboard_works_without_javascript(member, new_page):
    ingest((DATA / "sample-webhooks.jsonl").open("rb"), member, "sample")
    page = new_page(java_script_enabled=False)
    sign_in(page, "ann")
    page.goto("/usage/acme/2026-11/")
    expect(page.locator("#kpi-all")).to_have_text("8")
    page.get_by_role("link", name="compare pricing rules").click()
    expect(page.locator("#what-if-table tr[data-regime=conversation]")).to_contain_text("USD 2024-11-01")
    page.select_option("#month-select", "2025-01")
    page.get_by_role("button", name="Go").click()
    expect(page).to_have_url(re.compile(r"/usage/acme/2025-01/$"))


def test_the_tier_panel_shows_the_business_count_and_metas_switch(site, small_tiers, new_page, tmp_path):
    """Two accounts of one business (Kolkata and Los Angeles); Meta's tier webhooks loaded by upload.
    `small_tiers`: India utility at list rate to message 2, tier 2 for 3-4, tier 3 for 5-100."""
    from tests.test_usage_meta_counting import tier_webhook, utility
    from usage.models import Business

    group = Business.objects.create(name="Acme Group")
    user = User.objects.create_user("ann", password=PASSWORD)
    india = Workspace.objects.create(name="Acme India", slug="acme-in", timezone="Asia/Kolkata", business=group)
    india.members.add(user)
    us = Workspace.objects.create(name="Acme US", slug="acme-us", timezone="America/Los_Angeles", business=group)
    # US account: #1 and #2 in January, and #5 on 20 January 12:00Z (17:30 in Kolkata): tier 3.
    # India: 14 Jan 03:40Z (09:10 IST) is the business's #3, tier 2; 20 Jan 10:00Z is #4.
    ingest(io.BytesIO("\n".join([utility("u1", "2027-01-03T18:00:00"), utility("u2", "2027-01-09T18:00:00"),
                                 utility("u5", "2027-01-20T12:00:00")]).encode()), us, "us.jsonl")
    export = tmp_path / "india.jsonl"
    export.write_text("\n".join([
        utility("i1", "2027-01-14T03:40:00"), utility("i2", "2027-01-20T10:00:00"),
        tier_webhook("3:4", "2027-01-14T03:45:00"), tier_webhook("3:4", "2027-01-14T03:42:00"),  # Meta: 09:12 IST
        tier_webhook("5:100", "2027-01-16T06:00:00"),  # Meta: tier 3 on 16 Jan 11:30 IST; ours 20 Jan 17:30
    ]))
    page = new_page()
    sign_in(page, "ann")
    page.goto("/usage/acme-in/upload/")
    page.set_input_files("input[type=file]", str(export))
    page.get_by_role("button", name="Load").click()
    expect(page.locator("#load-result")).to_contain_text("Loaded india.jsonl")

    page.goto("/usage/acme-in/2027-01/")
    expect(page.locator(".eyebrow")).to_contain_text("Acme Group")
    expect(page.locator(".eyebrow")).to_contain_text("Asia/Kolkata time")
    row = page.locator("#tiers tbody tr").first
    expect(row).to_contain_text("5 (2 here)")  # the business's five messages, two of them India's
    # The one tier wording: the card's India utility ladder has four steps; tier 3 is step 3 of 4.
    expect(row).to_contain_text("Meta: step 3 of 4 from 16 Jan 11:30")
    expect(row).to_contain_text("step 3 of 4: Meta 16 Jan 11:30, ours 20 Jan 17:30")
    expect(row).not_to_contain_text("step 2 of 4: Meta")  # 09:12 against our 09:10: the same switch
    expect(page.locator(".alert", has_text="Meta's tier switches differ from ours")).to_be_visible()
    page.locator("#tiers").scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#tiers").locator("xpath=ancestor::section").screenshot(path=str(SHOTS / "usage-tier-panel.png"))
    screenshot(page, "business-tiers")
