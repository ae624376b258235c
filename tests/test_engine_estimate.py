"""The monthly estimate (docs/pricing-rules.md, "Estimating a month from a message mix"), on the shipped cards."""

from dataclasses import fields
from datetime import date
from decimal import Decimal

import pytest

from calculator.engine import (
    AssumptionOverrides, Assumptions, CardSnapshot, EstimateLine, EstimateRequest, LineError, Rules, Tier,
    estimate, round_money,
)
from calculator.engine.estimate import ASSUMPTION_FIELDS, COUNT_FIELDS, PER_CONVERSATION_FIELDS, SHARE_FIELDS
from tests.engine_fixtures import load_card, make_card, market_map, rates_of

D = Decimal
CONVERSATION = "usd-2024-11-01-conversation"
PER_MESSAGE_2025 = "usd-2025-07-01"
META_2026_04 = "usd-2026-04-01"
SERVICE_CHARGED = "usd-2026-10-01"


def priced(card_id, *lines, **request):
    return estimate(load_card(card_id), EstimateRequest(lines=tuple(lines), **request))


def market(result, name):
    return next(m for m in result.by_market if m.market == name)


def test_a_per_message_line_is_charged_its_counts_at_the_list_rates():
    rates = rates_of(SERVICE_CHARGED)["India"]
    assert rates["utility"] == D("0.0014") and rates["marketing"] == D("0.0118")
    result = priced(SERVICE_CHARGED, EstimateLine(country="IN", marketing=D(1000), utility=D(2000),
                                                  authentication=D(3000), service=D(5000)),
                    business_country="IN")
    assert result.charged_by_category == {"marketing": 1000, "utility": 2000, "authentication": 3000,
                                          "authentication_international": 0, "service": 4000}
    expected = 1000 * rates["marketing"] + 2000 * rates["utility"] + 3000 * rates["authentication"] \
        + 4000 * rates["service"]
    assert result.total == expected == D("24.40")
    assert result.tier_savings == 0
    assert result.lines[0].market == "India" and result.lines[0].country == "IN"


def test_entry_point_share_is_free_and_counted_as_such():
    result = priced(SERVICE_CHARGED, EstimateLine(country="IN", marketing=D(1000), utility=D(1000),
                                                  assumptions=AssumptionOverrides(free_entry_point=D("0.25"))))
    india = market(result, "India")
    assert india.charged["marketing"] == 750 and india.charged["utility"] == 750
    assert india.free["entry_point"] == 500


def test_utility_in_the_service_window_is_free_only_where_the_card_says_so():
    line = EstimateLine(country="IN", utility=D(1000))
    mix = Assumptions(utility_in_service_window=D("0.4"))
    free_card = priced(PER_MESSAGE_2025, line, assumptions=mix)
    charged_card = priced(SERVICE_CHARGED, line, assumptions=mix)
    assert free_card.charged_by_category["utility"] == 600
    assert market(free_card, "India").free["service_window"] == 400
    assert charged_card.charged_by_category["utility"] == 1000


def test_service_is_free_on_cards_that_do_not_charge_it():
    result = priced(PER_MESSAGE_2025, EstimateLine(country="IN", service=D(5000)))
    assert result.total == 0 and result.charged_by_category["service"] == 0
    assert result.warnings == ()  # the card has no service rate, but nothing is charged at it


def test_conversation_card_counts_conversations_per_templates_and_replies():
    rates = rates_of(CONVERSATION)["India"]
    assert rates["marketing"] == D("0.0107")
    result = priced(CONVERSATION, EstimateLine(country="IN", marketing=D(3000), utility=D(1000), service=D(900)),
                    assumptions=Assumptions(templates_per_conversation=D("1.5"),
                                            service_messages_per_conversation=D(3)))
    assert result.card.pricing_model == "conversation"
    assert result.charged_by_category["marketing"] == 2000
    assert result.charged_by_category["utility"] == D(1000) / D("1.5")
    assert result.charged_by_category["service"] == 0  # service conversations are free from 2024-11-01
    assert result.total == 2000 * rates["marketing"] + D(1000) / D("1.5") * rates["utility"]
    assert market(result, "India").tiers == ()  # no tiers on conversation cards


def test_argentina_utility_tier_starts_at_message_100001():
    ladder = load_card(META_2026_04).tiers[("Argentina", "utility")]
    assert (ladder[1].start, ladder[1].rate) == (100001, D("0.0247"))
    at_bound = priced(META_2026_04, EstimateLine(country="AR", utility=D(100000)))
    one_more = priced(META_2026_04, EstimateLine(country="AR", utility=D(100001)))
    assert at_bound.total == 100000 * D("0.0260") and at_bound.tier_savings == 0
    assert one_more.total - at_bound.total == D("0.0247")
    status = market(one_more, "Argentina").tiers[0]
    assert (status.category, status.tier_index, status.rate_now) == ("utility", 1, D("0.0247"))
    assert (status.next_start, status.to_next, status.next_rate) == (1000001, 900000, D("0.0234"))


def test_india_has_its_own_ladder_of_six_percent_steps():
    result = priced(META_2026_04, EstimateLine(country="IN", utility=D(60_000_000)))
    assert result.total == 25_000_000 * D("0.0014") + 25_000_000 * D("0.0013") + 10_000_000 * D("0.0012")
    assert result.list_total == 60_000_000 * D("0.0014")
    assert result.rounded_tier_savings == D("4500.00")
    status = market(result, "India").tiers[0]
    assert (status.tier_index, status.tier_count, status.next_start) == (2, 6, 100_000_001)
    assert status.to_next == 40_000_001 and status.next_rate == D("0.0011")
    assert status.blended_rate == result.total / 60_000_000


def test_fractional_counts_are_priced_by_their_overlap_with_each_tier():
    result = priced(META_2026_04, EstimateLine(country="AR", utility=D("100000.5")))
    assert result.total == 100000 * D("0.0260") + D("0.5") * D("0.0247")


def test_lines_of_one_market_share_one_tier_count():
    kenya_and_ghana = priced(META_2026_04, EstimateLine(country="KE", utility=D(60000)),
                             EstimateLine(country="GH", utility=D(60000)))
    assert [m.market for m in kenya_and_ghana.by_market] == ["Rest of Africa"]
    assert kenya_and_ghana.total == 100000 * D("0.0040") + 20000 * D("0.0038")
    assert [line.market for line in kenya_and_ghana.lines] == ["Rest of Africa", "Rest of Africa"]


def test_authentication_and_international_share_a_count_and_split_its_graduated_cost():
    card = make_card(
        {"Rest of Africa": {"authentication": "0.10", "authentication_international": "1.00"}},
        tiers={("Rest of Africa", "authentication"): [(0, 2, "0.10"), (3, None, "0.05")],
               ("Rest of Africa", "authentication_international"): [(0, 2, "1.00"), (3, None, "0.50")]},
    )
    lines = (EstimateLine(country="KE", authentication=D(2)), EstimateLine(country="GH", authentication=D(2)))
    result = estimate(card, EstimateRequest(lines=lines, business_country="KE", auth_international=True))
    assert [line.authentication_international for line in result.lines] == [False, True]
    # four messages in one count: half of each table's graduated cost of four
    assert result.by_category["authentication"] == (2 * D("0.10") + 2 * D("0.05")) / 2
    assert result.by_category["authentication_international"] == (2 * D("1.00") + 2 * D("0.50")) / 2
    assert [(t.category, t.count, t.charged) for t in result.by_market[0].tiers] == [
        ("authentication", 4, 2), ("authentication_international", 4, 2)]
    not_eligible = estimate(card, EstimateRequest(lines=lines, business_country="KE"))
    assert not_eligible.total == 2 * D("0.10") + 2 * D("0.05")


def test_a_line_by_market_is_abroad_unless_the_business_is_in_that_market():
    line = EstimateLine(market="India", authentication=D(10))
    at_home = priced(SERVICE_CHARGED, line, business_country="IN", auth_international=True)
    abroad = priced(SERVICE_CHARGED, line, business_country="GB", auth_international=True)
    assert at_home.by_category["authentication_international"] == 0
    assert abroad.by_category["authentication_international"] == 10 * D("0.0304")


def test_free_allowance_is_shared_among_markets_in_proportion_to_their_service():
    lines = (EstimateLine(country="IN", service=D(3000)), EstimateLine(country="BR", service=D(1000)))
    result = priced(SERVICE_CHARGED, *lines, business_phone_numbers=1)
    assert market(result, "India").free["allowance"] == 750
    assert market(result, "Brazil").free["allowance"] == 250
    assert result.charged_by_category["service"] == 3000
    two_numbers = priced(SERVICE_CHARGED, *lines, business_phone_numbers=2)
    assert two_numbers.charged_by_category["service"] == 2000


def test_allowance_per_business_account_ignores_the_number_of_phone_numbers():
    rules = Rules("message", False, True, 1000, "business_account", False)
    card = make_card({"India": {"service": "0.01"}}, rules=rules)
    result = estimate(card, EstimateRequest(lines=(EstimateLine(country="IN", service=D(1500)),),
                                            business_phone_numbers=5))
    assert result.charged_by_category["service"] == 500 and result.total == D("5.00")


def test_by_market_is_ordered_by_descending_total_and_all_categories_are_listed():
    result = priced(SERVICE_CHARGED, EstimateLine(country="IN", marketing=D(10)),
                    EstimateLine(country="DE", marketing=D(10)), EstimateLine(market="Other", marketing=D(10)))
    assert [m.market for m in result.by_market] == ["Germany", "Other", "India"]
    assert set(result.by_category) == {"marketing", "utility", "authentication", "authentication_international",
                                       "service"}


def test_a_category_without_a_rate_is_priced_zero_with_a_warning():
    card = make_card({"India": {"marketing": None, "utility": "0.01"}})
    result = estimate(card, EstimateRequest(lines=(EstimateLine(country="IN", marketing=D(500), utility=D(100)),)))
    assert result.total == D("1.00")
    assert result.warnings == ("test card has no marketing rate for India: 500 marketing messages priced at 0",)


def test_marketing_to_north_america_is_warned_about_unless_the_line_is_canada():
    us = priced(SERVICE_CHARGED, EstimateLine(country="US", marketing=D(10)))
    canada = priced(SERVICE_CHARGED, EstimateLine(country="CA", marketing=D(10)))
    assert any("US phone numbers since 2025-04-01" in warning for warning in us.warnings)
    assert canada.warnings == ()


def test_international_authentication_without_a_rate_is_warned_about():
    # usd-rates-2026-10-01.csv: "Hong Kong,USD,0.0732,0.0260,0.0260,n/a,0.0260"
    result = priced(SERVICE_CHARGED, EstimateLine(country="HK", authentication=D(100)),
                    business_country="GB", auth_international=True)
    assert result.by_category["authentication"] == 100 * D("0.0260")
    assert result.warnings == ("USD 2026-10-01 has no authentication-international rate for Hong Kong: "
                               "its authentication is priced at the authentication rate",)


def test_a_date_before_the_card_is_warned_about():
    card = load_card(CONVERSATION)
    result = estimate(card, EstimateRequest(lines=(EstimateLine(country="IN", marketing=D(1)),)),
                      on=date(2024, 1, 15))
    assert result.on == date(2024, 1, 15)
    assert result.warnings == ("no USD card before 2024-11-01; priced with the earliest",)


def test_the_date_chooses_the_market_mapping_passed_with_it():
    card = load_card(SERVICE_CHARGED)
    line = EstimateLine(country="MA", marketing=D(100))
    before = estimate(card, EstimateRequest(lines=(line,)), market_map=market_map(date(2026, 9, 30)))
    after = estimate(card, EstimateRequest(lines=(line,)))
    assert before.lines[0].market == "Rest of Africa" and after.lines[0].market == "Morocco"


@pytest.mark.parametrize(("line", "field"), [
    (EstimateLine(market="Atlantis", marketing=D(1)), "market"),
    (EstimateLine(country="XX", marketing=D(1)), "country"),
    (EstimateLine(phone="+1 555", marketing=D(1)), "phone"),
    (EstimateLine(marketing=D(1)), "market"),
])
def test_a_line_that_names_no_market_is_a_line_error(line, field):
    with pytest.raises(LineError) as raised:
        priced(SERVICE_CHARGED, EstimateLine(country="IN"), line)
    assert (raised.value.index, raised.value.field) == (1, field)
    assert str(raised.value).startswith(f"lines[1].{field}: ")


def test_shown_figures_are_rounded_half_up_from_unrounded_totals():
    card = make_card({"India": {"marketing": "0.0045"}})
    result = estimate(card, EstimateRequest(lines=(EstimateLine(country="IN", marketing=D(3)),)))
    assert result.total == D("0.0135") and result.rounded_total == D("0.01")
    assert round_money(D("0.005"), "USD") == D("0.01") and round_money(D("0.0049"), "EUR") == D("0.00")
    parts = make_card({"India": {"marketing": "0.004", "utility": "0.004", "authentication": "0.004"}})
    three_parts = estimate(parts, EstimateRequest(lines=(EstimateLine(country="IN", marketing=D(1), utility=D(1),
                                                                      authentication=D(1)),)))
    assert sum(three_parts.rounded_by_category.values()) == 0
    assert three_parts.rounded_total == D("0.01")  # the rounded sum of unrounded parts


def test_a_card_rejects_tiers_with_gaps():
    rules = load_card(SERVICE_CHARGED).rules
    with pytest.raises(ValueError, match="does not follow"):
        CardSnapshot(1, "bad", "USD", date(2026, 1, 1), rules, {"India": {"utility": D("0.01")}},
                     {("India", "utility"): (Tier(0, 10, D("0.01")), Tier(12, None, D("0.009")))},
                     load_card(SERVICE_CHARGED).market_map)


def test_the_field_names_the_form_api_and_quotes_use_are_the_dataclasses_own():
    assert ASSUMPTION_FIELDS == tuple(f.name for f in fields(Assumptions))
    assert ASSUMPTION_FIELDS == tuple(f.name for f in fields(AssumptionOverrides))
    assert set(SHARE_FIELDS) | set(PER_CONVERSATION_FIELDS) == set(ASSUMPTION_FIELDS)
    assert set(COUNT_FIELDS) == {f.name for f in fields(EstimateLine)} - {"market", "country", "phone", "assumptions"}
