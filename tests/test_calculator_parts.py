"""The calculator's parts: country names, number fields, paste parsing, regime choice, chart figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import plotly.graph_objects as go
import pytest
from django.http import QueryDict

from ratecards.snapshots import Catalog
from calculator.charts import tier_figure
from calculator.engine.estimate import EstimateLine, EstimateRequest, estimate
from calculator.engine.limits import OverBudget
from calculator.engine.money import round_money
from calculator.forms import canonical_query, country_code, country_names, read_calculator, with_management
from calculator.mixes import MIXES
from calculator.page import build_page
from calculator.paste import PasteResult, merge_lines, read_numbers
from calculator.regimes import comparison_listings, describe_rules, regime_title
from calculator.templatetags.calculator_format import count, money, percent, signed_money
from tests.engine_fixtures import load_card, market_map


@pytest.mark.parametrize(("text", "code"), [
    ("IN", "IN"), ("in", "IN"), (" India ", "IN"), ("india", "IN"), ("United Kingdom", "GB"), ("UK", "GB"),
    ("Côte d’Ivoire", "CI"), ("cote divoire", "CI"), ("United States", "US"), ("USA", "US"),
    ("Brazil (BR)", "BR"), ("Kosovo", "XK"), ("Narnia", None), ("", None), ("ZZ", None),
])
def test_a_country_is_found_by_code_or_name(text, code):
    assert country_code(text) == code


def test_every_region_has_a_name():
    names = country_names()
    assert len(names) >= 240
    assert all(name and name != code for code, name in names.items())
    assert names["IN"] == "India" and names["BR"] == "Brazil"


def form_of(data: dict[str, str], today=date(2026, 11, 22)):
    return read_calculator(_query(data), today, lambda on: ["EUR", "INR", "USD"] if on >= date(2026, 7, 1) else ["USD"])


def _query(data: dict[str, str]) -> QueryDict:
    query = QueryDict(mutable=True)
    query.update(data)
    return query


def test_counts_accept_separators_and_shares_are_percentages():
    calc = form_of({"lines-0-country": "IN", "lines-0-utility": "1,250,000", "lines-0-marketing": "2 500",
                    "utility_in_service_window": "30%", "free_entry_point": "2.5",
                    "lines-0-utility_in_service_window": "100"})
    line = calc.request.lines[0]
    assert (line.utility, line.marketing) == (Decimal(1250000), Decimal(2500))
    assert calc.request.assumptions.utility_in_service_window == Decimal("0.3")
    assert calc.request.assumptions.free_entry_point == Decimal("0.025")
    assert line.assumptions.utility_in_service_window == Decimal(1)
    assert line.assumptions.free_entry_point is None


def test_a_first_visit_is_unbound_with_todays_date_and_dollars():
    calc = read_calculator(None, date(2026, 11, 22), lambda on: ["EUR", "INR", "USD"])
    assert not calc.form.is_bound
    assert calc.form["on"].value() == date(2026, 11, 22) and calc.form["currency"].value() == "USD"
    assert calc.request is None and calc.formset.total_form_count() == 1


def test_blank_lines_are_ignored_and_a_wrong_count_is_left_out():
    calc = form_of({"lines-TOTAL_FORMS": "3", "lines-0-country": "IN", "lines-0-utility": "5",
                    "lines-2-country": "BR", "lines-2-service": "-1"})
    assert [(line.country, line.service) for line in calc.request.lines] == [("IN", 0), ("BR", 0)]
    assert calc.notices == ["Line 3: service left out until fixed."]
    assert not calc.formset.forms[1].errors


def test_the_management_form_is_inferred_and_bounded():
    data = with_management(_query({"lines-4-country": "IN"}))
    assert (data["lines-TOTAL_FORMS"], data["lines-INITIAL_FORMS"]) == ("5", "0")
    assert with_management(_query({"lines-TOTAL_FORMS": "50"}))["lines-TOTAL_FORMS"] == "50"
    # more lines than a page may have is refused (a 400 naming the bound), not silently cut
    for asked in ({"lines-TOTAL_FORMS": "99999"}, {"lines-50-country": "IN"}, {"lines-TOTAL_FORMS": "9" * 5000}):
        with pytest.raises(OverBudget, match="at most 50 lines"):
            with_management(_query(asked))


def test_the_canonical_query_keeps_only_the_forms_fields_in_order():
    query = canonical_query(_query({"utm_source": "x", "lines-0-utility": "5", "on": "2026-11-01",
                                    "lines-0-country": "IN", "format": "csv", "lines-0-marketing": ""}))
    assert query == "on=2026-11-01&lines-TOTAL_FORMS=1&lines-0-country=IN&lines-0-utility=5"


def test_the_ready_made_mixes_are_valid_estimates():
    for mix in MIXES:
        calc = form_of(dict(QueryDict(mix.query).items()))
        assert not calc.has_errors, (mix.slug, calc.form.errors, [f.errors for f in calc.formset.forms])
        assert len(calc.request.lines) == len(mix.lines)


def test_pasted_numbers_are_counted_once_by_country():
    text = "\n".join(["+91 98765 43210", "0091 98765 43210", "+55 (11) 91234-5678", "", "12", "+1 809 555 0100",
                      "+44 20 7946 0958"])
    result = read_numbers(text, market_map(date(2026, 11, 22)))
    assert dict(result.by_country) == {"IN": 1, "BR": 1, "DO": 1, "GB": 1}
    assert result.markets["DO"] == "Rest of Latin America"
    assert result.duplicates == 1
    assert [(bad.line, bad.text) for bad in result.invalid] == [(5, "12")]


def test_a_csv_paste_uses_the_phone_column():
    text = "name,Mobile number,city\nAna,+55 11 91234-5678,São Paulo\nBo,+91 98765 43210,Pune\nCy,,Lima\n"
    result = read_numbers(text, market_map(date(2026, 11, 22)))
    assert dict(result.by_country) == {"BR": 1, "IN": 1}
    assert [bad.line for bad in result.invalid] == [4]


def test_a_csv_paste_without_a_header_finds_the_number_in_each_row():
    result = read_numbers("Ana,+5511912345678\nBo,+919876543210\n", market_map(date(2026, 11, 22)))
    assert dict(result.by_country) == {"BR": 1, "IN": 1}


def test_merging_adds_to_the_same_country_and_appends_the_others():
    data = _query({"on": "2026-11-01", "lines-TOTAL_FORMS": "3", "lines-0-country": "India", "lines-0-utility": "10",
                   "lines-1-country": "", "lines-2-country": "DE", "lines-2-marketing": "7"})
    pasted = PasteResult()
    pasted.by_country.update({"IN": 4, "BR": 2})
    merged = merge_lines(data, pasted, "utility", Decimal("2.5"))
    assert merged["lines-TOTAL_FORMS"] == "3"
    assert (merged["lines-0-country"], merged["lines-0-utility"]) == ("India", "20")
    assert (merged["lines-1-country"], merged["lines-1-marketing"]) == ("DE", "7")
    assert (merged["lines-2-country"], merged["lines-2-utility"]) == ("BR", "5")
    assert merged["on"] == "2026-11-01"


@pytest.mark.django_db
def test_comparisons_are_the_latest_card_of_each_other_rule_set():
    catalog = Catalog()
    names = lambda on: [f"{l.currency} {l.effective_from}" for l in comparison_listings(catalog, "USD", on)]  # noqa: E731
    names_inr = lambda on: [f"{l.currency} {l.effective_from}" for l in comparison_listings(catalog, "INR", on)]  # noqa: E731
    # USD 2026-07-01 (Meta's own file) is the latest card of the rules before 2026-10-01.
    assert names(date(2026, 11, 22)) == ["USD 2024-11-01", "USD 2026-07-01"]
    assert names(date(2025, 8, 1)) == ["USD 2024-11-01", "USD 2026-10-01"]
    assert names(date(2025, 1, 15)) == ["USD 2026-07-01", "USD 2026-10-01"]
    # INR 2026-10-01 (service charged) compares with INR 2025-10-01, the only card of the earlier rules.
    assert names_inr(date(2026, 11, 22)) == ["INR 2025-10-01"]
    assert comparison_listings(catalog, "INR", date(2024, 1, 1)) == []


def test_rules_are_described_in_plain_words():
    conversation, july, october = (load_card(c).rules for c in
                                   ("usd-2024-11-01-conversation", "usd-2025-07-01", "usd-2026-10-01"))
    assert regime_title(conversation) == "Per conversation"
    assert regime_title(july) == "Per message, service free, utility free in open chats"
    assert regime_title(october) == "Per message, service charged"
    assert any("1,000 free messages a month per business phone number" in line for line in describe_rules(october))
    assert any("Utility templates are free within 24 hours" in line for line in describe_rules(july))
    assert not any("Volume tiers" in line for line in describe_rules(conversation))


def test_display_filters_round_once_half_up():
    assert money(Decimal("1234.565"), "USD") == "$1,234.57"
    assert money(Decimal("-0.004"), "EUR") == "€0.00"
    assert money(Decimal("12"), "INR") == "₹12.00"
    assert signed_money(Decimal("-4.005"), "USD") == "−$4.01"
    assert signed_money(Decimal("0.001"), "USD") == "$0.00"
    assert count(Decimal("203923.91")) == "203,924" and count(Decimal("12.50")) == "12.5"
    assert percent(Decimal("-6.7")) == "−6.7%" and percent(None) == "—"


@pytest.mark.django_db
@pytest.mark.parametrize("mix", MIXES, ids=[m.slug for m in MIXES])
def test_the_figures_are_valid_plotly_and_show_the_rounded_amounts(mix):
    """The figures skip graph_objects validation in the request (for speed): validate them here."""
    page = build_page(QueryDict(mix.query), Catalog())
    for figure in (page.comparison_figure, page.tier_figure):
        if figure is None:
            continue
        go.Figure(data=figure["data"], layout=figure["layout"])  # raises on any property Plotly does not know
        assert set(figure) == {"data", "layout", "config", "description", "narrow"}
    bars = [trace for trace in page.comparison_figure["data"] if trace["type"] == "bar"]
    regimes = sorted(page.regimes, key=lambda r: r.card.effective_from)
    for trace in bars:
        category = {"Marketing": "marketing", "Utility": "utility", "Authentication": "authentication",
                    "Service": "service", "Authentication-international": "authentication_international"}[trace["name"]]
        assert trace["y"] == [float(round_money(r.result.by_category[category], "USD")) for r in regimes]
    assert all(isinstance(y, float) for trace in bars for y in trace["y"])


@pytest.mark.django_db
def test_the_tier_figure_has_a_staircase_your_volume_and_the_blended_rate_per_panel():
    page = build_page(QueryDict(MIXES[1].query), Catalog())
    figure = page.tier_figure
    staircases = [t for t in figure["data"] if t.get("line", {}).get("shape") == "hv"]
    markers = [t for t in figure["data"] if t["mode"] == "markers"]
    blended = [t for t in figure["data"] if t.get("name") == "Blended rate"]
    assert len(staircases) == len(markers) == len(blended) == 3  # BR authentication, BR utility, AR authentication
    assert markers[0]["x"] == [2500000.0]
    texts = [a["text"] for a in figure["layout"]["annotations"]]
    assert texts[0].startswith("<b>Brazil · Authentication</b><br>blended $0.00") and "saves $" in texts[0]


def test_a_figure_without_tiered_volume_is_none():
    card = load_card("usd-2026-10-01")
    result = estimate(card, EstimateRequest(lines=(EstimateLine(country="DE", marketing=Decimal(100)),)))
    assert tier_figure(result, card) is None
