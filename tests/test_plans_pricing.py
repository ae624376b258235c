"""plans.pricing: a provider's price on top of Meta's, and credits, worked out by hand for each fee type."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from calculator.engine import AssumptionOverrides, Assumptions, EstimateLine, EstimateRequest, Rules, estimate
from calculator.engine.money import round_money
from plans.pricing import (
    LEGACY_CREDIT_CATEGORIES,
    MarketUsage,
    TermsSnapshot,
    credit_categories,
    derive_usage,
    price_credits,
    price_plan,
)
from tests.engine_fixtures import PER_MESSAGE_2026, make_card

D = Decimal
ZERO = D(0)
PER_MESSAGE_2025 = Rules(pricing_model="message", utility_free_in_service_window=True, service_charged=False,
                         free_service_allowance=0, free_service_scope=None, volume_tiers=True)
CONVERSATION = Rules(pricing_model="conversation", utility_free_in_service_window=False, service_charged=True,
                     free_service_allowance=1000, free_service_scope="business_account", volume_tiers=False)
INDIA = {"India": {"marketing": "0.0100", "utility": "0.0020", "authentication": "0.0010",
                   "authentication_international": "0.0200", "service": "0.0040"}}


def usage(market="India", meta=None, messages=None, conversations=None, windows="0", in_window="0",
          utility_rate="0.0020") -> MarketUsage:
    return MarketUsage(market=market, meta_cost={k: D(v) for k, v in (meta or {}).items()},
                       messages={k: D(v) for k, v in (messages or {}).items()},
                       conversations={k: D(v) for k, v in (conversations or {}).items()},
                       receptive_windows=D(windows), utility_in_window=D(in_window),
                       utility_rate=None if utility_rate is None else D(utility_rate))


# --- Money plans, one fee type at a time ------------------------------------------------------------------

def test_a_plan_without_fees_charges_exactly_meta():
    priced = price_plan(TermsSnapshot(), (usage(meta={"marketing": "10.00", "utility": "2.50"}),), "USD")
    assert priced.total == priced.meta_total == D("12.50")


def test_the_markup_is_a_percentage_of_metas_cost_per_category():
    terms = TermsSnapshot(markup_percent={"marketing": D(10), "utility": D(20)})
    priced = price_plan(terms, (usage(meta={"marketing": "10.00", "utility": "2.50"}),), "USD")
    assert priced.markets[0].provider["marketing"] == D("11.00")
    assert priced.markets[0].provider["utility"] == D("3.00")
    assert priced.total == D("14.00")


def test_authentication_international_takes_the_authentication_markup():
    terms = TermsSnapshot(markup_percent={"authentication": D(50)})
    priced = price_plan(terms, (usage(meta={"authentication_international": "4.00"}),), "USD")
    assert priced.markets[0].provider["authentication_international"] == D("6.00")


def test_the_message_fee_is_charged_per_message_meta_charges():
    terms = TermsSnapshot(fee_per_message=D("0.005"))
    priced = price_plan(terms, (usage(meta={"marketing": "10"}, messages={"marketing": "1000", "service": "200"}),), "USD")
    assert priced.markets[0].message_fees["marketing"] == D("5.000")
    assert priced.markets[0].message_fees["service"] == D("1.000")
    assert priced.total == D("16")


def test_the_conversation_fee_is_charged_per_conversation():
    terms = TermsSnapshot(fee_per_conversation=D("0.01"))
    priced = price_plan(terms, (usage(conversations={"utility": "300", "marketing": "100"}),), "USD")
    assert priced.total == D("4.00")


def test_the_receptive_window_fee_is_charged_per_user_initiated_window_even_when_meta_charges_nothing():
    terms = TermsSnapshot(fee_per_receptive_window=D("0.02"))
    priced = price_plan(terms, (usage(windows="1500"),), "USD")
    assert priced.meta_total == 0
    assert priced.receptive_windows == D("30.00")
    assert priced.total == D("30.00")


def test_utility_inside_the_window_is_charged_by_the_plan_at_the_utility_rate_with_markup_and_message_fee():
    terms = TermsSnapshot(markup_percent={"utility": D(25)}, fee_per_message=D("0.001"), charge_utility_in_window=True)
    priced = price_plan(terms, (usage(in_window="1000", utility_rate="0.0020"),), "USD")
    # 1,000 x 0.0020 = 2.00, + 25 % = 2.50, + 1,000 x 0.001 = 1.00
    assert priced.markets[0].utility_in_window == D("3.50")
    assert priced.markets[0].provider["utility"] == D("3.50")
    assert priced.total == D("3.50")


def test_utility_inside_the_window_is_free_unless_the_plan_charges_it():
    priced = price_plan(TermsSnapshot(fee_per_message=D("0.001")), (usage(in_window="1000"),), "USD")
    assert priced.total == 0


def test_utility_inside_the_window_without_a_meta_rate_gets_the_message_fee_and_a_warning():
    terms = TermsSnapshot(fee_per_message=D("0.001"), charge_utility_in_window=True)
    priced = price_plan(terms, (usage(in_window="1000", utility_rate=None),), "USD")
    assert priced.total == D("1.000")
    assert "no utility rate" in priced.warnings[0]


def test_the_monthly_platform_fee_is_added_once():
    terms = TermsSnapshot(monthly_fee=D("99"))
    priced = price_plan(terms, (usage(meta={"marketing": "1"}), usage("Brazil", meta={"marketing": "2"})), "USD")
    assert priced.total == D("102")


def test_the_discount_comes_off_the_whole_price_platform_fee_included():
    terms = TermsSnapshot(markup_percent={"marketing": D(10)}, monthly_fee=D("90"), discount_percent=D(10))
    priced = price_plan(terms, (usage(meta={"marketing": "100"}),), "USD")
    assert priced.subtotal == D("200")  # 100 + 10 markup + 90
    assert priced.discount == D("20")
    assert priced.total == D("180")


def test_every_fee_together():
    terms = TermsSnapshot(markup_percent={"marketing": D(10), "utility": D(10), "authentication": D(10), "service": D(10)},
                      fee_per_message=D("0.001"), fee_per_conversation=D("0.002"), fee_per_receptive_window=D("0.01"),
                      charge_utility_in_window=True, monthly_fee=D("50"), discount_percent=D(5))
    market = usage(meta={"marketing": "10", "utility": "2", "service": "1"},
                   messages={"marketing": "1000", "utility": "1000", "service": "250"},
                   conversations={"marketing": "500", "utility": "1000", "service": "250"},
                   windows="300", in_window="500", utility_rate="0.0020")
    priced = price_plan(terms, (market,), "USD")
    usage_total = (D("13") * D("1.1")  # meta + markup
                   + D("2250") * D("0.001") + D("1750") * D("0.002")  # message and conversation fees
                   + D("300") * D("0.01")  # receptive windows
                   + (D("500") * D("0.0020") * D("1.1") + D("500") * D("0.001")))  # utility in the window
    assert priced.usage_total == usage_total
    assert priced.total == (usage_total + 50) * D("0.95")
    assert round_money(priced.total, "USD") == D("70.92")  # (24.65 + 50) x 0.95 = 70.9175


def test_meta_amounts_and_plan_fees_are_converted_at_their_own_rates():
    terms = TermsSnapshot(fee_per_message=D("0.01"), monthly_fee=D("100"))  # in the plan's currency (say GBP)
    priced = price_plan(terms, (usage(meta={"marketing": "10"}, messages={"marketing": "100"}),), "EUR",
                        meta_rate=D("0.9"), fee_rate=D("1.2"))  # USD->EUR 0.9, GBP->EUR 1.2
    assert priced.meta_total == D("9.0")
    assert priced.total == D("9.0") + D("1.2") + D("120")


def test_an_exchange_rate_of_zero_is_refused():
    with pytest.raises(ValueError):
        price_plan(TermsSnapshot(), (), "EUR", meta_rate=D(0))


@pytest.mark.parametrize("terms", [
    {"fee_per_message": D("-0.01")}, {"fee_per_conversation": D("-1")}, {"fee_per_receptive_window": D("-1")},
    {"monthly_fee": D("-1")}, {"discount_percent": D("101")}, {"discount_percent": D("-1")},
    {"markup_percent": {"marketing": D(-5)}}, {"markup_percent": {"sms": D(5)}},
])
def test_impossible_terms_are_refused(terms):
    with pytest.raises(ValueError):
        TermsSnapshot(**terms)


def test_a_total_is_the_rounded_sum_of_unrounded_parts():
    terms = TermsSnapshot(fee_per_message=D("0.0005"))
    markets = (usage("India", messages={"marketing": "1"}), usage("Brazil", messages={"marketing": "1"}))
    priced = price_plan(terms, markets, "USD")
    assert [round_money(m.provider_total, "USD") for m in priced.markets] == [D("0.00"), D("0.00")]
    assert round_money(priced.total, "USD") == D("0.00")  # 0.0010 rounds to 0.00
    priced = price_plan(TermsSnapshot(fee_per_message=D("0.003")), markets, "USD")
    assert round_money(priced.total, "USD") == D("0.01")  # 0.006, not 0.00 + 0.00


# --- Usage derived from an estimate -----------------------------------------------------------------------

def close(value: Decimal, expected) -> bool:
    """Equal to 20 places: the engine divides (3,000 x 1/3 is 999.99...9 in 28 digits)."""
    return abs(value - D(expected)) < D("1e-20")


def request(*lines, **assumptions) -> EstimateRequest:
    return EstimateRequest(lines=lines, assumptions=Assumptions(**{k: D(v) for k, v in assumptions.items()}))


def test_receptive_windows_are_service_messages_over_replies_per_conversation():
    card = make_card(INDIA, PER_MESSAGE_2025)
    asked = request(EstimateLine(market="India", service=D(9000)), service_messages_per_conversation="3")
    (india,) = derive_usage(card, asked, estimate(card, asked))
    assert india.receptive_windows == D(3000)


def test_line_assumptions_override_the_estimates_for_derived_counts():
    card = make_card(INDIA, PER_MESSAGE_2025)
    asked = request(EstimateLine(market="India", service=D(900)),
                    EstimateLine(market="India", service=D(900),
                                 assumptions=AssumptionOverrides(service_messages_per_conversation=D(9))),
                    service_messages_per_conversation="3")
    (india,) = derive_usage(card, asked, estimate(card, asked))
    assert india.receptive_windows == D(300) + D(100)


def test_utility_inside_the_window_is_derived_where_the_card_frees_it():
    card = make_card(INDIA, PER_MESSAGE_2025)
    asked = request(EstimateLine(market="India", utility=D(10000)), utility_in_service_window="0.3",
                    free_entry_point="0.1")
    result = estimate(card, asked)
    (india,) = derive_usage(card, asked, result)
    assert india.utility_in_window == D(10000) * D("0.9") * D("0.3")
    assert india.messages["utility"] == result.by_market[0].charged["utility"] == D(6300)
    assert india.utility_rate == D("0.0020")


def test_no_utility_counts_as_inside_the_window_where_meta_charges_it_anyway():
    card = make_card(INDIA, PER_MESSAGE_2026)
    asked = request(EstimateLine(market="India", utility=D(10000)), utility_in_service_window="0.3")
    (india,) = derive_usage(card, asked, estimate(card, asked))
    assert india.utility_in_window == 0
    assert india.messages["utility"] == D(10000)


def test_on_a_per_message_card_messages_are_metas_and_conversations_are_derived():
    card = make_card(INDIA, PER_MESSAGE_2026)
    asked = request(EstimateLine(market="India", marketing=D(3000), service=D(4000)),
                    templates_per_conversation="1.5", service_messages_per_conversation="2")
    result = estimate(card, asked)
    (india,) = derive_usage(card, asked, result)
    assert india.messages["marketing"] == D(3000)
    assert india.conversations["marketing"] == D(2000)
    # Service: 1,000 of 4,000 messages are the free allowance, so 3/4 of the 2,000 conversations remain.
    assert india.messages["service"] == D(3000)
    assert india.conversations["service"] == D(1500)


def test_on_a_conversation_card_conversations_are_metas_and_messages_are_derived():
    card = make_card(INDIA, CONVERSATION, on=date(2024, 11, 1))
    asked = request(EstimateLine(market="India", marketing=D(3000), authentication=D(500), service=D(6000)),
                    templates_per_conversation="3", service_messages_per_conversation="2")
    result = estimate(card, asked)
    (india,) = derive_usage(card, asked, result)
    assert close(india.conversations["marketing"], 1000)  # the engine's 3,000 x (1/3)
    assert india.messages["marketing"] == D(3000)
    # 3,000 service conversations, 1,000 free for the business account: 2/3 of the 6,000 messages.
    assert close(india.conversations["service"], 2000)
    assert close(india.messages["service"], 4000)
    assert india.receptive_windows == D(3000)


def test_meta_cost_in_usage_is_the_engines_own():
    card = make_card(INDIA, PER_MESSAGE_2026)
    asked = request(EstimateLine(market="India", marketing=D(1000), utility=D(1000)))
    result = estimate(card, asked)
    (india,) = derive_usage(card, asked, result)
    assert dict(india.meta_cost) == dict(result.by_market[0].by_category)


def test_markets_come_in_the_estimates_order():
    rates = INDIA | {"Brazil": {"marketing": "0.0625"}}
    card = make_card(rates, PER_MESSAGE_2026)
    asked = request(EstimateLine(market="India", marketing=D(10)), EstimateLine(market="Brazil", marketing=D(1000)))
    result = estimate(card, asked)
    assert [u.market for u in derive_usage(card, asked, result)] == [m.market for m in result.by_market] == ["Brazil", "India"]


# --- Credits ----------------------------------------------------------------------------------------------

TABLE = {("India", "marketing"): D("2"), ("India", "utility"): D("1"), ("India", "authentication"): None,
         ("India", "service"): D("0.5")}
LEGACY = {("India", "business_initiated"): D("2"), ("India", "user_initiated"): D("1")}


def test_credits_are_conversations_times_credits_per_conversation_by_category():
    priced = price_credits(TABLE, (usage(conversations={"marketing": "100", "utility": "40"}, windows="10"),))
    india = priced.markets[0]
    assert india.credits == {"marketing": D(200), "utility": D(40), "service": D(5)}
    assert priced.total == D(245)
    assert priced.warnings == ()


def test_user_initiated_credits_are_the_receptive_windows():
    priced = price_credits(LEGACY, (usage(conversations={"marketing": "100", "utility": "50"}, windows="30"),))
    assert priced.categories == LEGACY_CREDIT_CATEGORIES
    assert dict(priced.markets[0].credits) == {"business_initiated": D(300), "user_initiated": D(30)}


def test_authentication_international_conversations_count_as_authentication_credits():
    table = TABLE | {("India", "authentication"): D("3")}
    priced = price_credits(table, (usage(conversations={"authentication": "10", "authentication_international": "5"}),))
    assert priced.markets[0].credits["authentication"] == D(45)


def test_a_category_the_plan_does_not_offer_is_left_out_and_said():
    priced = price_credits(TABLE, (usage(conversations={"authentication": "100"}),))
    assert priced.total == 0
    assert priced.markets[0].not_priced == ("authentication",)
    assert "not offered (N/A)" in priced.warnings[0]


def test_a_region_missing_from_the_table_is_left_out_and_said():
    priced = price_credits(TABLE, (usage("Bangladesh", conversations={"marketing": "10"}),))
    assert priced.total == 0
    assert "no row in the credit table" in priced.warnings[0]


def test_nothing_sent_in_a_category_the_plan_does_not_offer_raises_no_warning():
    assert price_credits(TABLE, (usage(conversations={"marketing": "1"}),)).warnings == ()


def test_the_table_says_which_categories_it_uses():
    assert credit_categories(LEGACY) == ("business_initiated", "user_initiated")
    assert credit_categories(TABLE) == ("marketing", "utility", "authentication", "service")


def test_credits_round_to_two_places_from_the_unrounded_total():
    priced = price_credits(TABLE, (usage(conversations={"marketing": "0.3333"}), usage(conversations={"marketing": "0.3333"})))
    assert priced.rounded_total == D("1.33")
