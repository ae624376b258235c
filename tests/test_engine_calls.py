"""Calling API minutes (calculator/engine/calls.py) on the shipped reconstructed USD table.

Every expected figure is worked out by hand from ratecards/data/calling/usd-calling-rates-2025-08-01.csv
(India 0.0053 a minute, no ladder; Rest of Africa 0.0103 / 0.0084 / 0.0074 / 0.0062 / 0.0047 / 0.0042).
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from calculator.engine.calls import (
    RECONSTRUCTED_NOTE, Call, CallingCard, CallLedger, CallsLine, CallsRequest, billed_minutes,
    estimate_calls, pulses, tier_index,
)
from ratecards.calling_table import CallingTableRefused, parse_calling_table, table_csv

D = Decimal
TABLE = Path(__file__).resolve().parent.parent / "ratecards" / "data" / "calling" / "usd-calling-rates-2025-08-01.csv"
ON = date(2026, 11, 1)


@pytest.fixture(scope="module")
def card() -> CallingCard:
    table = parse_calling_table(TABLE.read_bytes())
    return CallingCard(1, "USD calling 2025-08-01", table.currency, date(2025, 8, 1),
                       {rate.market: rate for rate in table.rates})


def priced(card, *lines, business_country=None, on=ON):
    return estimate_calls(card, CallsRequest(tuple(lines), business_country), on)


def test_the_shipped_table_reads_as_its_rows(card):
    assert card.currency == "USD"
    assert card.rates["India"].per_minute == D("0.0053") and card.rates["India"].ladder == ()
    assert card.rates["Rest of Africa"].ladder == (D("0.0103"), D("0.0084"), D("0.0074"), D("0.0062"),
                                                  D("0.0047"), D("0.0042"))
    assert card.rates["Egypt"].per_minute is None and card.rates["Kazakhstan"].per_minute is None
    assert card.rates["Rest of Africa"].reliability == "high"
    assert card.rates["Indonesia"].reliability == "medium-low"
    # the layout written back reads as the same rates
    again = parse_calling_table(table_csv("USD", list(card.rates.values())).encode())
    assert {r.market: r for r in again.rates} == dict(card.rates)


def test_a_56_second_call_is_ten_pulses_one_minute():
    # Meta's example: 56 / 6 = 9.33 pulses, billed as 10 pulses = 60 seconds = 1 minute
    assert pulses(56) == 10 and billed_minutes(56) == 1
    assert pulses(60) == 10 and pulses(61) == 11 and pulses(1) == 1 and pulses(0) == 0
    assert billed_minutes(61) == D("1.1")  # 11 pulses x 6 s = 66 s


def test_one_56_second_call_to_india_costs_one_minute(card):
    ledger = CallLedger(card_for=lambda call: card)
    result = ledger.price(Call("India", "2026-11", D(56)))
    # 10 pulses = 60 s = 1 minute x 0.0053
    assert (result.pulses, result.minutes, result.tier, result.amount) == (10, 1, 0, D("0.0053"))


def test_a_month_of_56_second_calls_to_india(card):
    # 14 talk minutes at 56 s a call: 14 x 60 / 56 = 15 calls, each billed 1 minute: 15 x 0.0053 = 0.0795
    result = priced(card, CallsLine("India", "IN", D(14), D(56), D(500)))
    india = result.by_market[0]
    assert india.calls == 15 and india.billed_minutes == 15
    assert india.cost == D("0.0795") and result.total == D("0.0795")
    assert india.user_initiated_minutes == 500  # free: shown, never priced
    assert india.reliability == "medium"
    assert any("tiers are unknown" in w for w in result.warnings)  # no ladder: flat rate, said plainly
    assert RECONSTRUCTED_NOTE in result.warnings


def test_a_call_crossing_a_tier_is_priced_entirely_at_the_new_rate(card):
    ledger = CallLedger(card_for=lambda call: card)
    first = ledger.price(Call("Rest of Africa", "2026-11", D(49_999 * 60)))
    assert first.minutes == 49_999 and first.tier == 0 and first.amount == D("514.9897")  # 49,999 x 0.0103
    crossing = ledger.price(Call("Rest of Africa", "2026-11", D(120)))
    # 49,999 + 2 = 50,001 minutes: the whole call at tier 2's 0.0084 = 0.0168 (not 0.0103 + 0.0084)
    assert crossing.tier == 1 and crossing.amount == D("0.0168")
    next_month = ledger.price(Call("Rest of Africa", "2026-12", D(120)))
    assert next_month.tier == 0 and next_month.amount == D("0.0206")  # tiers restart: 2 x 0.0103


def test_a_monthly_estimate_crossing_a_tier(card):
    # 75,000 talk minutes at 90 s a call: 50,000 calls of 15 pulses = 1.5 billed minutes each.
    # Calls ending at or below 50,000 minutes: floor(50,000 / 1.5) = 33,333 (49,999.5 minutes) at 0.0103
    # = 514.99485; call 33,334 ends at 50,001 so it and the 16,666 after it (25,000.5 minutes) are at
    # 0.0084 = 210.0042. Total 724.99905.
    result = priced(card, CallsLine("Rest of Africa", None, D(75_000), D(90)))
    africa = result.by_market[0]
    assert [(t.index, t.calls, t.minutes, t.cost) for t in africa.tiers] == [
        (0, 33_333, D("49999.5"), D("514.99485")), (1, 16_667, D("25000.5"), D("210.0042"))]
    assert africa.cost == D("724.99905") and result.rounded_total == D("725.00")
    assert africa.list_cost == D(75_000) * D("0.0103")
    assert not any("tiers are unknown" in w for w in result.warnings)


def test_lines_of_one_market_share_its_tiers(card):
    # 50,000 minutes of 60 s calls fill tier 1 exactly (50,000 x 0.0103 = 515); the second line's
    # 10 minutes are all past 50,000: 10 x 0.0084 = 0.084
    result = priced(card, CallsLine("Rest of Africa", None, D(50_000), D(60)),
                    CallsLine("Rest of Africa", None, D(10), D(60)))
    assert result.total == D("515.084")


@pytest.mark.parametrize("country, on, excluded", [
    ("US", date(2026, 11, 1), True), ("CA", date(2026, 11, 1), True), ("NG", date(2026, 11, 1), True),
    ("VN", date(2026, 11, 1), True), ("EG", date(2026, 2, 1), True), ("EG", date(2025, 9, 1), False),
    ("TR", date(2025, 9, 1), True), ("TR", date(2026, 2, 1), False), ("GB", date(2026, 11, 1), False),
])
def test_business_numbers_in_excluded_countries_cannot_call(card, country, on, excluded):
    result = priced(card, CallsLine("India", "IN", D(1000), D(60)), business_country=country, on=on)
    if excluded:
        assert result.total == 0 and not result.business_calls_allowed
        assert not result.by_market[0].priced
        assert any(f"cannot be placed from business numbers in {country}" in w for w in result.warnings)
    else:
        assert result.total == D("5.3")  # 1,000 one-minute calls x 0.0053


def test_an_excluded_business_country_prices_no_exact_call(card):
    ledger = CallLedger(card_for=lambda call: card, business_country="US", excluded_on=lambda call: True)
    result = ledger.price(Call("India", "2026-11", D(56)))
    assert result.amount == 0 and result.tier is None and "cannot be placed" in result.reason


@pytest.mark.parametrize("market", ["Egypt", "Nigeria", "Turkey", "North America", "Kazakhstan"])
def test_markets_without_a_rate_are_not_priced_and_say_so(card, market):
    result = priced(card, CallsLine(market, None, D(100), D(60)))
    assert result.total == 0 and not result.by_market[0].priced
    assert any(f"no calling rate for {market}" in w for w in result.warnings)


def test_without_a_calling_card_nothing_is_priced():
    result = estimate_calls(None, CallsRequest((CallsLine("India", "IN", D(100), D(60)),)), date(2025, 1, 15))
    assert result.total == 0 and result.card_id is None
    assert any("no USD calling rate card is in force on 2025-01-15" in w for w in result.warnings)


def test_user_initiated_minutes_alone_cost_nothing(card):
    result = priced(card, CallsLine("India", "IN", D(0), D(60), D(10_000)))
    assert result.total == 0 and result.user_initiated_minutes == 10_000 and result.warnings == ()


def test_tier_boundaries():
    assert [tier_index(D(m)) for m in (0, 50_000, D("50000.1"), 250_000, 250_001, 1_000_000, 2_500_001,
                                       5_000_000, 5_000_001)] == [0, 0, 1, 1, 2, 2, 4, 4, 5]


def test_a_broken_table_is_refused_with_line_and_column():
    bad = (b"market,currency,per_minute,tier_1,tier_2,tier_3,tier_4,tier_5,tier_6,reliability,basis\n"
           b"India,USD,abc,,,,,,,medium,x\n"
           b"Rest of Africa,USD,0.0103,0.0103,0.0084,,,,,high,y\n")
    with pytest.raises(CallingTableRefused) as refused:
        parse_calling_table(bad, "calls.csv")
    assert "calls.csv line 2, column per_minute: 'abc' is not a rate" in refused.value.problems
    assert "calls.csv line 3, columns tier_1..tier_6: give all six tier rates or none" in refused.value.problems
