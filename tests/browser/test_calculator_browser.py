"""The calculator in a real browser: live updates, charts, shared links, paste numbers, no-JS, a11y."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ratecards.snapshots import Catalog
from calculator.engine.estimate import Assumptions, EstimateLine, EstimateRequest
from calculator.engine.money import round_money
from calculator.mixes import MIXES
from calculator.pricing import PricedDate, price_on_dates
from tests.browser.conftest import AXE

pytestmark = pytest.mark.browser

RESULT = "#estimate-result"


def engine_total(*lines: EstimateLine, on: date | None = None, **request) -> str:
    """The engine's total for a mix, rounded as the page shows it (the test's own computation)."""
    on = on or timezone.localdate()
    priced, problems = price_on_dates(Catalog(), EstimateRequest(lines=lines, **request), "USD", [PricedDate("on", on)])
    assert not problems, problems
    return str(round_money(priced[0].total, "USD"))


def type_into(page, selector: str, text: str) -> None:
    field = page.locator(selector)
    field.click()
    field.press("Control+A")
    field.press_sequentially(text, delay=15)


def test_typing_a_mix_updates_the_results_in_place_with_the_engines_total(page):
    page.goto("/")
    page.evaluate("window.notReloaded = true")
    type_into(page, "#id_lines-0-country", "India")
    type_into(page, "#id_lines-0-marketing", "100000")
    type_into(page, "#id_lines-0-utility", "250000")
    type_into(page, "#id_lines-0-authentication", "900000")
    type_into(page, "#id_lines-0-service", "40000")
    expected = engine_total(EstimateLine(country="IN", marketing=Decimal(100000), utility=Decimal(250000),
                                         authentication=Decimal(900000), service=Decimal(40000)))
    expect(page.locator(RESULT)).to_have_attribute("data-total", expected)
    expect(page.locator("#estimate-total")).to_have_text(f"${Decimal(expected):,}")
    expect(page.locator("#lines-0-market")).to_contain_text("India")
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.activeElement.name") == "lines-0-service", "focus stays in the input"
    assert page.locator("#id_lines-0-service").input_value() == "40000"
    expect(page).to_have_url(re.compile(r"lines-0-service=40000"))


def test_both_charts_render_and_follow_updates(page):
    page.goto(f"/?{MIXES[0].query}")
    expect(page.locator("#comparison-chart .main-svg").first).to_be_visible()
    expect(page.locator("#tier-chart .main-svg").first).to_be_visible()
    comparison = page.locator("#comparison-chart")
    comparison.evaluate("chart => { chart.dataset.marker = 'kept'; }")
    before = page.locator(RESULT).get_attribute("data-total")
    type_into(page, "#id_lines-0-marketing", "500000")
    expect(page.locator(RESULT)).not_to_have_attribute("data-total", before)
    expect(page.locator("#comparison-chart .main-svg").first).to_be_visible()
    assert comparison.evaluate("chart => chart.dataset.marker") == "kept", "the chart is updated, not replaced"
    # Plotly drew the figure the server sent: one bar trace per category with messages, plus the totals.
    figure = json.loads(page.locator("#comparison-figure").text_content())
    assert page.locator("#comparison-chart").evaluate("chart => chart.data.length") == len(figure["data"])
    assert page.locator("#comparison-chart .bars .point").count() >= 3


def test_the_url_reproduces_the_estimate_in_a_new_page(page, new_page):
    page.goto("/")
    type_into(page, "#id_lines-0-country", "BR")
    type_into(page, "#id_lines-0-authentication", "2500000")
    page.locator("#id_business_country").fill("BR")
    page.locator("details.assumptions > summary").click()
    type_into(page, "#id_free_entry_point", "10")
    expected = engine_total(EstimateLine(country="BR", authentication=Decimal(2500000)), business_country="BR",
                            assumptions=Assumptions(free_entry_point=Decimal("0.1")))
    expect(page.locator(RESULT)).to_have_attribute("data-total", expected)
    expect(page).to_have_url(re.compile(r"free_entry_point=10\b"))
    shared = page.url
    assert page.locator("[data-copy-link]").evaluate("link => link.href") == shared
    other = new_page()
    other.goto(shared)
    expect(other.locator(RESULT)).to_have_attribute("data-total", expected)
    assert other.locator("#id_lines-0-country").input_value() == "BR"
    assert other.locator("#id_free_entry_point").input_value() == "10"


def test_paste_numbers_builds_lines_by_country_and_lists_invalid_ones(page):
    page.goto("/")
    type_into(page, "#id_lines-0-country", "IN")
    type_into(page, "#id_lines-0-marketing", "10")
    expect(page.locator(RESULT)).to_have_attribute("data-total", engine_total(EstimateLine(country="IN", marketing=Decimal(10))))
    page.locator("#paste-details > summary").click()
    page.locator("#id_numbers").fill("+91 98765 43210\n+919876543211\n+55 11 91234-5678\nnot a number\n+919876543211\n")
    page.locator("#id_category").select_option("utility")
    page.get_by_role("button", name="Add as lines").click()
    expect(page.locator("#paste-report")).to_contain_text("3 recipients")
    expect(page.locator("#paste-report")).to_contain_text("Line 4: not a number")
    assert page.locator("#id_lines-TOTAL_FORMS").input_value() == "2"
    assert page.locator("#id_lines-0-country").input_value() == "IN"
    assert page.locator("#id_lines-0-marketing").input_value() == "10"
    assert page.locator("#id_lines-0-utility").input_value() == "2"
    assert page.locator("#id_lines-1-country").input_value() == "BR"
    assert page.locator("#id_lines-1-utility").input_value() == "1"
    expected = engine_total(EstimateLine(country="IN", marketing=Decimal(10), utility=Decimal(2)),
                            EstimateLine(country="BR", utility=Decimal(1)))
    expect(page.locator(RESULT)).to_have_attribute("data-total", expected)
    query = parse_qs(urlparse(page.url).query)
    assert query["lines-1-country"] == ["BR"], "the URL holds the pasted lines"
    expect(page.locator("#comparison-chart .main-svg").first).to_be_visible()


def test_a_paste_over_the_bound_is_refused_with_its_reason_shown_in_place(browser, site):
    # The answer is a 400 (issue 11): htmx is configured to swap it in, so the user sees why. The
    # browser logs that 400 as a console error, so this test watches the console itself.
    context = browser.new_context(base_url=site)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: m.type == "error" and "status of 400" not in m.text and problems.append(m.text))
    page.goto("/")
    page.locator("#paste-details > summary").click()
    numbers = "\n".join(f"+91 98{i:08d}" for i in range(10_002))
    page.locator("#id_numbers").evaluate("(area, text) => { area.value = text; }", numbers)  # fill() types slowly
    with page.expect_response(lambda r: "/paste-numbers/" in r.url) as answer:
        page.get_by_role("button", name="Add as lines").click()
    assert answer.value.status == 400
    expect(page.locator("#id_numbers_error")).to_contain_text("paste at most 10,000 numbers at a time")
    assert page.locator("#id_lines-TOTAL_FORMS").input_value() == "1"
    assert problems == []
    context.close()


def test_without_javascript_the_form_submits_and_shows_the_same_total(new_page):
    page = new_page(java_script_enabled=False)
    page.goto("/")
    page.locator("#id_lines-0-country").fill("India")
    page.locator("#id_lines-0-utility").fill("250000")
    page.locator("#id_lines-0-marketing").fill("1,000")
    page.locator(".form-submit button").click()
    page.wait_for_load_state()
    expected = engine_total(EstimateLine(country="IN", utility=Decimal(250000), marketing=Decimal(1000)))
    expect(page.locator(RESULT)).to_have_attribute("data-total", expected)
    expect(page.locator("#estimate-total")).to_have_text(f"${Decimal(expected):,}")
    page.locator("[data-add-line]").click()
    page.wait_for_load_state()
    expect(page.locator("#id_lines-1-country")).to_be_visible()
    expect(page.locator(RESULT)).to_have_attribute("data-total", expected)


def test_lines_are_added_and_removed_without_a_reload(page):
    page.goto("/")
    page.evaluate("window.notReloaded = true")
    type_into(page, "#id_lines-0-country", "IN")
    type_into(page, "#id_lines-0-utility", "1000")
    page.locator("[data-add-line]").click()
    expect(page.locator("#id_lines-1-country")).to_be_focused()
    page.locator("#id_lines-1-country").press_sequentially("DE", delay=15)
    type_into(page, "#id_lines-1-marketing", "2000")
    both = engine_total(EstimateLine(country="IN", utility=Decimal(1000)), EstimateLine(country="DE", marketing=Decimal(2000)))
    expect(page.locator(RESULT)).to_have_attribute("data-total", both)
    page.get_by_role("button", name="Remove line 1").click()
    germany = engine_total(EstimateLine(country="DE", marketing=Decimal(2000)))
    expect(page.locator(RESULT)).to_have_attribute("data-total", germany)
    assert page.locator("#id_lines-TOTAL_FORMS").input_value() == "1"
    assert page.locator("#id_lines-0-country").input_value() == "DE"
    assert page.locator("#id_lines-0-marketing").input_value() == "2000"
    expect(page.locator("#lines-0-market")).to_contain_text("Germany")
    expect(page.get_by_role("button", name="Remove line 1")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True


def test_wrong_input_is_shown_beside_the_field_and_the_rest_of_the_results_stay(page):
    page.goto("/")
    type_into(page, "#id_lines-0-country", "IN")
    type_into(page, "#id_lines-0-utility", "1000")
    india = engine_total(EstimateLine(country="IN", utility=Decimal(1000)))
    expect(page.locator(RESULT)).to_have_attribute("data-total", india)
    page.locator("[data-add-line]").click()
    page.locator("#id_lines-1-country").press_sequentially("Narnia", delay=15)
    expect(page.locator("#id_lines-1-country_error")).to_contain_text("not a country we know")
    expect(page.locator("#id_lines-1-country")).to_have_attribute("aria-invalid", "true")
    type_into(page, "#id_lines-0-marketing", "-5")
    expect(page.locator("#id_lines-0-marketing_error")).to_have_text("must be zero or more")
    expect(page.locator(RESULT)).to_contain_text("Line 2 left out until fixed.")
    expect(page.locator(RESULT)).to_contain_text("Line 1: marketing left out until fixed.")
    expect(page.locator(RESULT)).to_have_attribute("data-total", india)
    type_into(page, "#id_lines-0-marketing", "0")
    expect(page.locator("#id_lines-0-marketing_error")).to_have_text("")
    expect(page.locator("#id_lines-0-marketing")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(RESULT)).to_have_attribute("data-total", india)


def test_a_ready_made_mix_fills_the_form_and_the_back_button_returns(page):
    page.goto("/")
    retailer, bank = MIXES[0], MIXES[1]
    page.locator(f"#mix-{retailer.slug}").click()
    retailer_total = engine_total(
        EstimateLine(country="IN", marketing=Decimal(120000), utility=Decimal(450000), authentication=Decimal(30000),
                     service=Decimal(60000)),
        business_country="IN", assumptions=Assumptions(utility_in_service_window=Decimal("0.35")))
    expect(page.locator(RESULT)).to_have_attribute("data-total", retailer_total)
    assert page.locator("#id_lines-0-country").input_value() == "IN"
    assert page.locator("#id_utility_in_service_window").input_value() == "35"
    page.locator(f"#mix-{bank.slug}").click()
    expect(page.locator("#id_lines-1-country")).to_have_value("AR")
    bank_total = page.locator(RESULT).get_attribute("data-total")
    assert bank_total != retailer_total
    page.go_back()
    expect(page.locator(RESULT)).to_have_attribute("data-total", retailer_total)
    expect(page.locator("#id_lines-0-country")).to_have_value("IN")
    page.go_forward()
    expect(page.locator(RESULT)).to_have_attribute("data-total", bank_total)


@pytest.mark.parametrize("path", [f"/?{MIXES[1].query}", "/", "/how-meta-charges/"])
def test_axe_finds_nothing_serious(new_page, path):
    page = new_page(bypass_csp=True)  # axe is injected as an inline script, which the site's CSP refuses
    page.goto(path)
    if "lines-" in path:
        expect(page.locator("#tier-chart .main-svg").first).to_be_visible()
        page.locator("details.assumptions > summary").click()
        page.locator("#paste-details > summary").click()
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
               for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_a_phone_sized_screen_shows_the_total_bar_while_the_results_are_out_of_sight(new_page):
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(f"/?{MIXES[0].query}")
    bar = page.locator("#mobile-total")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text(page.locator("#estimate-total").text_content())
    page.locator("#estimate-result").scroll_into_view_if_needed()
    expect(bar).to_be_hidden()
