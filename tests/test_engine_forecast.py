"""The month-end forecast against a hand-worked month (calculator/engine/forecast.py).

Every expected figure is worked out by hand from the shipped rate files, USD 2026-10-01
(ratecards/data/ratecards/usd-rates-2026-10-01.csv and usd-volume-tiers-2026-10-01.csv):

    Germany   marketing 0.1365, utility 0.0550, service 0.0550
              utility tiers: 0 - 100,000 at 0.0550, 100,001 - 1,000,000 at 0.0523, ...
    India     authentication 0.0014, authentication-international 0.0304
              authentication tiers: 0 - 750,000 at 0.0014, 750,001 - 15,000,000 at 0.0013
              authentication-international tiers: 0 - 750,000 at 0.0304, 750,001 - ... at 0.0286
    Brazil    marketing 0.0625, service 0.0068
    Rules: service charged, 1,000 free service messages per business phone number and month.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculator.engine.forecast import MonthSoFar, Volume, forecast
from tests.engine_fixtures import load_card

D = Decimal


@pytest.fixture(scope="module")
def card():
    return load_card("usd-2026-10-01")


def november_after_ten_days(**extra) -> MonthSoFar:
    """November 2026 (30 days) after exactly 10 days: the pace to the month's end is 30 / 10 = 3 times."""
    return MonthSoFar(days=30, elapsed=D(10), volumes=(
        Volume("Germany", "utility", 40_000, D(40_000) * D("0.0550")),        # 2,200.00 so far, list rate
        Volume("Germany", "marketing", 3_000, D(3_000) * D("0.1365")),        # 409.50 so far
        Volume("Germany", "service", 0, D(0), allowance=600),                 # 600 free service so far
    ), **extra)


def test_a_month_is_extrapolated_and_priced_through_its_volume_tiers(card):
    result = forecast(card, november_after_ten_days())
    # Germany utility: 40,000 in 10 days -> 120,000 in 30.
    #   Graduated: 100,000 x 0.0550 = 5,500.00 plus 20,000 x 0.0523 = 1,046.00 -> 6,546.00
    #   (a straight line of money would say 3 x 2,200 = 6,600.00).
    # Germany marketing: 9,000 x 0.1365 = 1,228.50 (no tiers).
    # Germany service: 600 in 10 days -> 1,800 in 30; 1,000 free (1 phone number), 800 x 0.0550 = 44.00.
    # Month end: 6,546.00 + 1,228.50 + 44.00 = 7,818.50.
    assert result.charge_so_far == D("2609.50")  # 2,200.00 + 409.50
    assert result.total == D("7818.50")
    lines = {(line.market, line.category): line for line in result.lines}
    utility = lines[("Germany", "utility")]
    assert utility.projected == 120_000
    assert utility.month_end == D("6546.00")
    assert (utility.tier_now, utility.tier_at_end) == (0, 1)
    assert lines[("Germany", "marketing")].month_end == D("1228.50")
    assert lines[("Germany", "service")].month_end == D("44.00")
    assert result.by_category == {"marketing": D("1228.50"), "utility": D("6546.00"), "service": D("44.00")}


def test_the_free_service_allowance_runs_out_on_the_day_its_last_message_goes(card):
    result = forecast(card, november_after_ten_days())
    # 60 service messages a day; 400 free ones left after day 10 last 400 / 60 = 6.67 days:
    # the 1,001st goes out on day 10 + 6.67 = 16.67, i.e. day 17.
    assert result.allowance.allowance == 1000
    assert result.allowance.used == 600
    assert result.allowance.runs_out_day == 17
    assert not result.allowance.ran_out
    # With two phone numbers the allowance is 2,000: 1,800 service messages never pass it.
    two = forecast(card, november_after_ten_days(phone_numbers=2))
    assert two.allowance.runs_out_day is None
    assert two.total == D("7774.50")  # 7,818.50 - 44.00


def test_the_budget_is_crossed_on_the_day_the_month_s_charge_passes_it(card):
    result = forecast(card, november_after_ten_days())
    # After day t (t >= 10), at 4,000 utility + 300 marketing a day:
    #   utility below 100,000 (t <= 25): 4,000 t x 0.0550 = 220 t; marketing 300 t x 0.1365 = 40.95 t;
    #   service from day 17 costs 60 x 0.0550 = 3.30 a day for every day past 16.67.
    # A budget of 5,000: 260.95 t + service > 5,000. At t = 18: 4,697.10 + (18 - 16.667) x 3.30 = 4,701.50;
    # at t = 19: 4,958.05 + (19 - 16.667) x 3.30 = 4,965.75; at t = 20: 5,219.00 + 11.00 = 5,230.00 > 5,000.
    crossing = result.crossing(D(5000))
    assert (crossing.day, crossing.already) == (20, False)
    assert result.charge_at(19) < D(5000) < result.charge_at(20)
    assert result.charge_at(20) == D("5230.00")
    # Above the month-end forecast it is never crossed.
    assert result.crossing(D("7818.50")) is None
    # Passed in the days so far: day 1 cost 300, day 2 cost 300: a budget of 500 went on day 2.
    spent = forecast(card, november_after_ten_days(daily_charges=(D(300), D(300), D(300))))
    assert (spent.crossing(D(500)).day, spent.crossing(D(500)).already) == (2, True)


def test_a_business_count_shared_with_other_accounts_reaches_tiers_sooner(card):
    # India authentication (tier count shared with authentication-international): this account sent
    # 100,000 authentication and 50,000 international so far; the business's count is 300,000 in 10 days.
    so_far = MonthSoFar(days=30, elapsed=D(10), tier_counts={("India", "authentication"): 300_000}, volumes=(
        Volume("India", "authentication", 100_000, D(100_000) * D("0.0014")),
        Volume("India", "authentication_international", 50_000, D(50_000) * D("0.0304")),
    ))
    result = forecast(card, so_far)
    # The business's count goes from 300,000 to 900,000: positions 300,001 - 750,000 (450,000) at list rate,
    # 750,001 - 900,000 (150,000) at tier 2. This account's share of the new messages is its share of the count:
    #   authentication 1/3: (450,000 x 0.0014 + 150,000 x 0.0013) / 3 = (630 + 195) / 3 = 275.00
    #   international 1/6: (450,000 x 0.0304 + 150,000 x 0.0286) / 6 = (13,680 + 4,290) / 6 = 2,995.00
    # So far: 140.00 + 1,520.00 = 1,660.00; month end 1,660.00 + 275.00 + 2,995.00 = 4,930.00.
    assert result.total == D("4930.00")
    lines = {line.category: line for line in result.lines}
    assert lines["authentication"].month_end == D("415.00")  # 140.00 + 275.00
    assert (lines["authentication"].tier_now, lines["authentication"].tier_at_end) == (0, 1)


def test_a_month_that_is_over_is_what_was_charged(card):
    over = forecast(card, MonthSoFar(days=30, elapsed=D(30), volumes=(
        Volume("Brazil", "marketing", 1_000, D("62.50")),)))
    assert over.complete
    assert over.total == D("62.50")
    with pytest.raises(ValueError):
        forecast(card, MonthSoFar(days=30, elapsed=D(0), volumes=()))


def test_how_long_a_balance_lasts_at_the_pace_so_far(card):
    # Brazil marketing, 100 a day at 0.0625 = 6.25 a day, 10 days into a 30-day month.
    result = forecast(card, MonthSoFar(days=30, elapsed=D(10), volumes=(
        Volume("Brazil", "marketing", 1_000, D("62.50")),)))
    assert result.total == D("187.50")  # 3,000 x 0.0625
    # 100.00 lasts 16 whole days (16 x 6.25 = 100.00); 130.00 the 20 days left in November (125.00)
    # and then 0 whole days of December at 6.25 a day (5.00 left): 20.
    assert result.days_left(D("100.00")) == 16
    assert result.days_left(D("130.00")) == 20
    # 300.00: 125.00 this month, then 175.00 / 6.25 = 28 days: 48.
    assert result.days_left(D("300.00")) == 48
    assert forecast(card, MonthSoFar(days=30, elapsed=D(10), volumes=())).days_left(D(10)) is None
