"""calculator.engine.staleness on plain CardInfo values (no database): when a card's rules are behind."""

from datetime import date

from calculator.engine.cards import CardInfo, Rules
from calculator.engine.staleness import stale_rules

FREE_SERVICE = Rules("message", utility_free_in_service_window=True, service_charged=False,
                     free_service_allowance=0, free_service_scope=None, volume_tiers=True)
CHARGED_SERVICE = Rules("message", utility_free_in_service_window=False, service_charged=True,
                        free_service_allowance=1000, free_service_scope="phone_number", volume_tiers=True)


def card(pk: int, currency: str, on: str, rules: Rules) -> CardInfo:
    return CardInfo(pk, f"{currency} {on}", currency, date.fromisoformat(on), rules.pricing_model, rules)


EUR_JULY = card(1, "EUR", "2026-07-01", FREE_SERVICE)
USD_JULY = card(2, "USD", "2026-07-01", FREE_SERVICE)
USD_OCTOBER = card(3, "USD", "2026-10-01", CHARGED_SERVICE)
COP_OCTOBER = card(4, "COP", "2026-10-01", CHARGED_SERVICE)
INR_2025 = card(5, "INR", "2025-10-01", FREE_SERVICE)
CARDS = (EUR_JULY, USD_JULY, USD_OCTOBER, COP_OCTOBER, INR_2025)


def test_a_card_behind_a_later_card_of_another_currency_with_other_rules_is_stale():
    stale = stale_rules(EUR_JULY, date(2026, 11, 1), CARDS)
    assert stale.newer is USD_OCTOBER  # the first date; USD first among cards of that date
    assert stale.newer_from == date(2026, 10, 1)
    assert stale.current_currencies == ("USD", "COP")  # INR's card is behind too, so it is not offered
    assert stale.changes == ("service messages charged after 1,000 free a month per business phone number",
                             "utility charged inside the customer service window")


def test_later_cards_with_the_same_rules_or_not_yet_in_force_do_not_make_a_card_stale():
    assert stale_rules(EUR_JULY, date(2026, 9, 30), CARDS) is None  # USD 2026-10-01 not in force yet
    assert stale_rules(INR_2025, date(2026, 8, 1), CARDS) is None  # July cards have INR's rules
    assert stale_rules(USD_OCTOBER, date(2026, 11, 1), CARDS) is None


def test_the_warning_names_the_card_its_rules_the_change_and_where_to_price_instead():
    text = stale_rules(INR_2025, date(2026, 11, 1), CARDS).warning()
    assert text.startswith("INR 2025-10-01 is the latest INR card, so this estimate uses its rules (billed per "
                           "message; service free; utility free inside the customer service window).")
    assert "Meta's rules changed for every currency on 2026-10-01 (USD 2026-10-01:" in text
    assert text.endswith("price it in USD or COP.")
