"""The calculator page: whole page and htmx fragments, errors beside their fields, CSV, paste numbers."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.utils.html import escape

from ratecards.snapshots import Catalog
from calculator.engine.estimate import AssumptionOverrides, Assumptions, EstimateLine, EstimateRequest
from calculator.engine.money import round_money
from calculator.mixes import MIXES
from calculator.pricing import PricedDate, price_on_dates

pytestmark = pytest.mark.django_db

ON = "2026-11-01"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "estimate-result"}


def query(lines: list[dict], **settings) -> str:
    data = {"on": ON, "currency": "USD", **settings, "lines-TOTAL_FORMS": len(lines)}
    for index, line in enumerate(lines):
        data |= {f"lines-{index}-{name}": value for name, value in line.items()}
    return urlencode(data)


def engine_total(request: EstimateRequest, on: str = ON, currency: str = "USD") -> Decimal:
    results, problems = price_on_dates(Catalog(), request, currency, [PricedDate("on", date.fromisoformat(on))])
    assert not problems
    return round_money(results[0].total, currency)


def shown_total(response) -> Decimal:
    match = re.search(r'id="estimate-result"[^>]*data-total="([\d.]+)"', response.content.decode())
    assert match, "no total in #estimate-result"
    return Decimal(match.group(1))


def field_error(response, field_id: str) -> str:
    """The error shown beside a field: the page has a slot for every field, an htmx update only the
    slots with an error (calculator.js empties the others)."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}_error"[^>]*>(.*?)</p>', response.content.decode(), re.S)
    if response.get("Content-Type", "").startswith("text/html") and "<html" in response.content.decode():
        assert match, f"no error slot for {field_id}"
    return html_lib.unescape(match.group(1).strip()) if match else ""


INDIA = {"country": "IN", "marketing": "100000", "utility": "250000", "authentication": "900000", "service": "40000"}


def test_first_visit_shows_an_empty_form_with_todays_defaults(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("lines-0-country", "lines-0-marketing", "lines-0-utility", "lines-0-authentication", "lines-0-service",
                 "on", "currency", "business_country", "auth_international", "business_phone_numbers",
                 "utility_in_service_window", "free_entry_point", "templates_per_conversation",
                 "service_messages_per_conversation"):
        assert f'name="{name}"' in html, name
    assert 'id="estimate-result"' in html and "data-total" not in html
    assert 'name="lines-TOTAL_FORMS"' in html
    assert 'href="/how-meta-charges/"' in html
    for mix in MIXES:
        assert escape(mix.title) in html


def test_json_script_is_djangos_output_made_faster(client):
    from django.utils.html import json_script as django_json_script

    from calculator.templatetags.calculator_format import fast_json_script as json_script

    value = {"text": "<b>A & B</b> </script>", "n": [1.5, 2], "nested": {"x": "'quoted'"}}
    assert json_script(value, "figure") == django_json_script(value, "figure")
    assert json_script(value) == django_json_script(value)


def test_the_page_runs_no_inline_script(client):
    html = client.get("/?" + query([INDIA])).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert re.search(r'<script src="[^"]*htmx-2\.min\.js" defer', html)
    assert re.search(r'<script src="[^"]*plotly-basic\.min\.js" defer', html)
    assert " on" + "click=" not in html and "hx-on" not in html
    assert 'hx-headers=\'{"X-CSRFToken":' in html


def test_the_full_page_shows_the_engines_total_and_both_charts(client):
    response = client.get("/?" + query([INDIA], business_country="GB", utility_in_service_window="30"))
    expected = engine_total(EstimateRequest(
        lines=(EstimateLine(country="IN", marketing=Decimal(100000), utility=Decimal(250000),
                            authentication=Decimal(900000), service=Decimal(40000)),),
        assumptions=Assumptions(utility_in_service_window=Decimal("0.3")), business_country="GB"))
    assert shown_total(response) == expected
    html = response.content.decode()
    assert f"${expected:,}" in html
    assert 'id="comparison-chart"' in html and 'id="comparison-figure"' in html
    assert 'id="tier-chart"' in html and 'id="tier-figure"' in html
    assert "USD 2026-10-01" in html and "USD 2024-11-01" in html and "USD 2026-07-01" in html
    assert ">India<" in html.replace('<span class="visually-hidden">billed as </span>', "")


def test_the_comparison_shows_each_regime_and_the_difference(client):
    response = client.get("/?" + query([INDIA]))
    page = response.context["page"]
    assert [r.card.name for r in page.regimes] == ["USD 2026-10-01", "USD 2024-11-01", "USD 2026-07-01"]
    assert [r.title for r in page.regimes] == [
        "Per message, service charged", "Per conversation", "Per message, service free, utility free in open chats"]
    current = page.regimes[0].result.total
    for regime in page.regimes[1:]:
        assert regime.change == current - regime.result.total
        assert regime.percent == (regime.change * 100 / regime.result.total).quantize(Decimal("0.1"))
    html = response.content.decode()
    conversation = page.regimes[1]
    sign = "+" if conversation.change > 0 else "−"
    assert f"{sign}${abs(round_money(conversation.change, 'USD')):,}" in html


def test_an_htmx_update_gets_only_the_results_and_the_notes_beside_the_inputs(client):
    response = client.get("/?" + query([INDIA]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<form" not in html
    assert html.lstrip().startswith('<section id="estimate-result"')
    assert not re.search(r'<input[^>]+name="lines-', html), "the inputs being typed in are never swapped"
    assert re.search(r'<span id="lines-0-market" class="market" hx-swap-oob="true">.*India</span>', html)
    assert "_error\" hx-swap-oob" not in html, "no error, no error slot sent"
    assert 'id="currency-field" hx-swap-oob="true"' in html
    assert response["HX-Replace-Url"].startswith("/?on=2026-11-01&currency=USD")
    assert shown_total(response) == shown_total(client.get("/?" + query([INDIA])))


def test_a_ready_made_mix_replaces_the_whole_calculator_and_pushes_its_url(client):
    mix = MIXES[1]
    response = client.get(f"/?{mix.query}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calculator")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="calculator"')
    assert 'name="lines-1-country"' in html and 'value="AR"' in html
    assert response["HX-Push-Url"].startswith("/?on=")
    assert "lines-0-authentication=2500000" in response["HX-Push-Url"]


def test_a_history_restore_gets_the_whole_page(client):
    response = client.get("/?" + query([INDIA]), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(("value", "message"), [
    ("-5", "must be zero or more"),
    ("abc", "'abc' is not a number"),
    ("1e999999", "written with an exponent"),
    ("1000000000001", "must be at most 1,000,000,000,000"),
])
def test_a_wrong_count_is_shown_beside_its_field_and_the_rest_is_still_priced(client, value, message):
    lines = [{"country": "IN", "utility": "1000"}, {"country": "BR", "marketing": value}]
    # Brazil is still priced, without its wrong marketing count: it has no other messages.
    for extra in ({}, HTMX):
        response = client.get("/?" + query(lines), **extra)
        assert response.status_code == 200
        assert message in field_error(response, "id_lines-1-marketing")
        assert field_error(response, "id_lines-0-utility") == ""
        assert shown_total(response) == engine_total(EstimateRequest(lines=(EstimateLine(country="IN", utility=Decimal(1000)),)))
        assert "Line 2: marketing left out until fixed." in response.content.decode()


def test_a_country_is_an_iso_code_or_a_name_and_an_unknown_one_is_an_error(client):
    lines = [{"country": "india", "utility": "1000"}, {"country": "Brazil", "utility": "1000"},
             {"country": "Narnia", "utility": "1000"}, {"country": "", "utility": "5"}]
    response = client.get("/?" + query(lines), **HTMX)
    html = response.content.decode()
    assert re.search(r'id="lines-0-market"[^>]*>.*India</span>', html)
    assert re.search(r'id="lines-1-market"[^>]*>.*Brazil</span>', html)
    assert "'Narnia' is not a country we know" in field_error(response, "id_lines-2-country")
    assert "choose the recipients' country" in field_error(response, "id_lines-3-country")
    assert shown_total(response) == engine_total(EstimateRequest(lines=(
        EstimateLine(country="IN", utility=Decimal(1000)), EstimateLine(country="BR", utility=Decimal(1000)))))
    assert "Line 3 left out until fixed." in html and "Line 4 left out until fixed." in html


def test_a_line_with_one_wrong_count_keeps_its_other_counts(client):
    response = client.get("/?" + query([{"country": "IN", "utility": "1000", "marketing": "lots", "service": "-1"}]))
    assert shown_total(response) == engine_total(EstimateRequest(lines=(EstimateLine(country="IN", utility=Decimal(1000)),)))
    assert "Line 1: marketing and service left out until fixed." in response.content.decode()


def test_the_market_of_a_region_is_shown_beside_the_country(client):
    response = client.get("/?" + query([{"country": "KE", "marketing": "10"}]))
    assert re.search(r'id="lines-0-market"[^>]*>.*Rest of Africa</span>', response.content.decode())


def test_wrong_estimate_wide_fields_are_shown_and_defaults_used_meanwhile(client):
    response = client.get("/?" + query([{"country": "IN", "utility": "1000"}], templates_per_conversation="0.5",
                                       free_entry_point="120", business_phone_numbers="0", business_country="XX"))
    assert "must be 1 or more" in field_error(response, "id_templates_per_conversation")
    assert "percentage from 0 to 100" in field_error(response, "id_free_entry_point")
    assert "must be 1 or more" in field_error(response, "id_business_phone_numbers")
    assert "is not a country we know" in field_error(response, "id_business_country")
    assert shown_total(response) == engine_total(EstimateRequest(lines=(EstimateLine(country="IN", utility=Decimal(1000)),)))


def test_shares_are_percentages_and_a_line_may_override_them(client):
    lines = [{"country": "IN", "utility": "100000", "utility_in_service_window": "50"},
             {"country": "BR", "utility": "100000"}]
    response = client.get("/?" + query(lines, on="2026-05-01", utility_in_service_window="20", free_entry_point="10"))
    expected = engine_total(EstimateRequest(
        lines=(EstimateLine(country="IN", utility=Decimal(100000),
                            assumptions=AssumptionOverrides(utility_in_service_window=Decimal("0.5"))),
               EstimateLine(country="BR", utility=Decimal(100000))),
        assumptions=Assumptions(utility_in_service_window=Decimal("0.2"), free_entry_point=Decimal("0.1"))),
        on="2026-05-01")
    assert shown_total(response) == expected


def test_numbers_may_be_written_with_thousands_separators(client):
    response = client.get("/?" + query([{"country": "IN", "utility": "1,000,000", "marketing": "25 000"}]))
    assert shown_total(response) == engine_total(EstimateRequest(
        lines=(EstimateLine(country="IN", utility=Decimal(1000000), marketing=Decimal(25000)),)))


def test_a_hand_written_link_without_the_management_form_works(client):
    response = client.get("/?lines-0-country=IN&lines-0-utility=1000&lines-2-country=BR&lines-2-marketing=10")
    assert response.status_code == 200
    assert response.context["calc"].formset.total_form_count() == 3
    assert shown_total(response) == engine_total(EstimateRequest(lines=(
        EstimateLine(country="IN", utility=Decimal(1000)), EstimateLine(country="BR", marketing=Decimal(10)))),
        on=date.today().isoformat())


def test_the_currencies_offered_are_those_with_a_card_on_the_date(client):
    def options(on):
        html = client.get("/?" + query([{"country": "IN", "utility": "1"}], on=on)).content.decode()
        select = re.search(r'<select name="currency".*?</select>', html, re.S).group(0)
        return re.findall(r'<option value="(\w+)"', select)

    assert options("2025-01-15") == ["USD"]
    assert options("2026-06-30") == ["INR", "USD"]
    assert options("2026-08-01") == ["COP", "EUR", "INR", "USD"]  # Meta's COP cards from 2026-07-01
    response = client.get("/?" + query([{"country": "IN", "utility": "1000"}], on="2025-01-15", currency="EUR"))
    assert "there is no EUR rate card on that date" in field_error(response, "id_currency")
    assert response.context["page"].result.card.name == "USD 2024-11-01"


def test_inr_is_priced_with_the_inr_card_of_the_date_and_compared_with_the_earlier_rules(client):
    response = client.get("/?" + query([{"country": "IN", "utility": "1000"}], currency="INR"))
    page = response.context["page"]
    assert [r.card.name for r in page.regimes] == ["INR 2026-10-01", "INR 2025-10-01"]
    assert "₹" in response.content.decode()


def test_cop_is_offered_and_priced_with_metas_cop_card(client):
    response = client.get("/?" + query([{"country": "CO", "marketing": "1000"}], currency="COP"))
    page = response.context["page"]
    assert page.result.card.name == "COP 2026-10-01"
    # cop-rates-2026-10-01.csv: "Colombia,COP,46.0227,..." -> 1000 x 46.0227 = 46,022.70 COP
    assert shown_total(response) == Decimal("46022.70")


def test_a_date_without_any_card_is_an_error_and_today_is_priced_meanwhile(client):
    response = client.get("/?" + query([{"country": "IN", "utility": "1000"}], on="2020-01-01"))
    assert "no rate card is in force on 2020-01-01" in field_error(response, "id_on")
    assert "Priced for today" in response.content.decode()
    assert response.context["page"].result is not None


def test_an_unparseable_date_is_an_error(client):
    response = client.get("/?" + query([{"country": "IN", "utility": "1000"}], on="2026-13-45"))
    assert field_error(response, "id_on") != ""


def test_a_conversation_card_date_prices_conversations_and_shows_no_tiers(client):
    response = client.get("/?" + query([{"country": "IN", "utility": "1000"}], on="2025-01-15", templates_per_conversation="2"))
    page = response.context["page"]
    assert page.result.card.name == "USD 2024-11-01"
    assert page.result.charged_by_category["utility"] == 500
    assert page.tier_figure is None
    assert "The card in force has no volume tiers." in response.content.decode()


def test_tiers_show_the_step_reached_and_messages_to_the_next(client):
    response = client.get("/?" + query([{"country": "BR", "authentication": "2500000"}]))
    page = response.context["page"]
    rows = page.tier_rows()
    assert [(row.market, row.status.category) for row in rows] == [("Brazil", "authentication")]
    status = rows[0].status
    assert status.tier_index >= 1 and status.savings > 0
    html = response.content.decode()
    assert f"{int(status.to_next):,} more" in html
    assert f"${round_money(status.savings, 'USD'):,}" in html


def test_csv_export_has_the_same_total_by_both_routes(client):
    q = query([INDIA, {"country": "BR", "authentication": "2000000"}])
    first = client.get("/estimate.csv?" + q)
    second = client.get("/?" + q + "&format=csv")
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"].startswith("text/csv")
    assert "attachment" in first["Content-Disposition"]
    assert first.content == second.content
    rows = list(csv.DictReader(io.StringIO(first.content.decode())))
    totals = {row["card"]: row["amount"] for row in rows if row["market"] == "all" and row["category"] == "total"}
    page = client.get("/?" + q).context["page"]
    assert totals == {r.card.name: str(r.result.rounded_total) for r in page.regimes}
    india = [row for row in rows if row["card"] == "USD 2026-10-01" and row["market"] == "India" and row["category"] == "marketing"]
    assert india and india[0]["charged"] == "100000"


def test_csv_of_nothing_to_price_is_a_400_naming_the_problem(client):
    response = client.get("/estimate.csv?" + query([{"country": "Narnia", "utility": "1"}]))
    assert response.status_code == 400
    assert "lines-0-country" in response.content.decode()


def test_add_and_remove_line_without_javascript_redirect_to_the_changed_estimate(client):
    q = query([{"country": "IN", "utility": "1"}, {"country": "BR", "utility": "2"}, {"country": "DE", "utility": "3"}])
    added = client.get("/?" + q + "&add_line=1")
    assert added.status_code == 302
    assert "lines-TOTAL_FORMS=4" in added["Location"]
    removed = client.get("/?" + q + "&remove_line=1")
    location = QueryDict(removed["Location"].split("?", 1)[1])
    assert location["lines-TOTAL_FORMS"] == "2"
    assert (location["lines-0-country"], location["lines-1-country"]) == ("IN", "DE")
    assert location["lines-1-utility"] == "3" and "lines-2-country" not in location


def test_pasted_numbers_become_lines_by_country_and_invalid_ones_are_listed(client):
    numbers = "\n".join(["+91 98765 43210", "+919876543211", "+55 11 91234-5678", "hello", "+91 98765 43210",
                         "+1 234"])
    data = {"numbers": numbers, "category": "utility", "per_recipient": "3",
            **QueryDict(query([{"country": "IN", "marketing": "10"}, {"country": ""}])).dict()}
    response = client.post("/paste-numbers/", data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calculator")
    assert response.status_code == 200
    pushed = QueryDict(response["HX-Push-Url"].split("?", 1)[1])
    assert pushed["lines-TOTAL_FORMS"] == "2"
    assert (pushed["lines-0-country"], pushed["lines-0-marketing"], pushed["lines-0-utility"]) == ("IN", "10", "6")
    assert (pushed["lines-1-country"], pushed["lines-1-utility"]) == ("BR", "3")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="calculator"')
    assert "3 recipients" in html and "1 repeated number counted once" in html
    assert "Line 4: <code>hello</code>" in html and "Line 6: <code>+1 234</code>" in html
    assert shown_total(response) == engine_total(EstimateRequest(lines=(
        EstimateLine(country="IN", marketing=Decimal(10), utility=Decimal(6)),
        EstimateLine(country="BR", utility=Decimal(3)))))


def test_paste_without_javascript_renders_the_whole_page(client):
    response = client.post("/paste-numbers/", {"numbers": "phone,name\n+5511912345678,Ana\n+5511912345679,Bo\n",
                                                "category": "marketing", "per_recipient": "1"})
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    calc = response.context["calc"]
    assert calc.formset.forms[0]["country"].value() == "BR"
    assert calc.formset.forms[0]["marketing"].value() == "2"


def test_paste_needs_the_csrf_token(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/paste-numbers/", {"numbers": "+5511912345678", "category": "marketing",
                                           "per_recipient": "1"}).status_code == 403


def test_an_empty_paste_is_an_error_beside_the_box(client):
    response = client.post("/paste-numbers/", {"numbers": "", "category": "marketing", "per_recipient": "1"})
    assert "This field is required." in field_error(response, "id_numbers")


def test_the_how_meta_charges_page(client):
    response = client.get("/how-meta-charges/")
    assert response.status_code == 200
    html = response.content.decode()
    for words in ("customer service window", "Volume tiers", "Authentication-international", "free entry point"):
        assert words.lower() in html.lower()


def test_the_calculator_answers_get_only(client):
    assert client.post("/").status_code == 405
    assert client.get("/paste-numbers/").status_code == 405
