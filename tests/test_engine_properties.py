"""Properties of the engine that must hold for any input (hypothesis, derandomized: runs are repeatable)."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.engine import (
    AssumptionOverrides, Assumptions, EstimateLine, EstimateRequest, Event, ReplayRequest, Rules, estimate, replay,
)
from tests.engine_fixtures import load_card, make_card

EXAMPLES = settings(max_examples=150, derandomize=True, deadline=None, database=None)
TINY = Decimal("1e-18")  # Decimal division keeps 28 digits: proportional splits may differ beyond that

REAL_CARDS = [load_card(card_id) for card_id in ("usd-2024-11-01-conversation", "usd-2025-07-01",
                                                 "usd-2026-04-01", "usd-2026-10-01")]
COUNTRIES = ["IN", "AR", "BR", "KE", "GH", "US", "DE", "ID", "SA", "MA"]

counts = st.one_of(st.integers(0, 3_000_000).map(Decimal),
                   st.decimals(min_value=0, max_value=200_000_000, places=2, allow_nan=False, allow_infinity=False))
shares = st.decimals(min_value=0, max_value=1, places=2)
per_conversation = st.decimals(min_value=1, max_value=10, places=1)
assumptions = st.builds(Assumptions, shares, shares, per_conversation, per_conversation)
overrides = st.builds(AssumptionOverrides, st.none() | shares, st.none() | shares, st.none() | per_conversation,
                      st.none() | per_conversation)
lines = st.builds(EstimateLine, country=st.sampled_from(COUNTRIES), marketing=counts, utility=counts,
                  authentication=counts, service=counts, assumptions=overrides)
requests = st.builds(EstimateRequest, lines=st.lists(lines, min_size=1, max_size=6).map(tuple),
                     assumptions=assumptions, business_country=st.sampled_from(["IN", "GB", None]),
                     auth_international=st.booleans(), business_phone_numbers=st.integers(1, 4))
cards = st.sampled_from(REAL_CARDS)


@EXAMPLES
@given(cards, requests)
def test_totals_are_never_negative_and_tiers_never_cost_more_than_list_rates(card, request):
    result = estimate(card, request)
    assert result.total >= 0
    assert all(cost >= 0 for cost in result.by_category.values())
    assert result.total <= result.list_total + TINY
    assert result.total == sum(m.total for m in result.by_market)


@EXAMPLES
@given(cards, requests, st.integers(0, 5), st.sampled_from(["marketing", "utility", "authentication", "service"]),
       counts)
def test_the_total_never_falls_when_a_count_grows(card, request, which, category, more):
    index = which % len(request.lines)
    line = request.lines[index]
    grown = replace(line, **{category: getattr(line, category) + more})
    bigger = replace(request, lines=request.lines[:index] + (grown,) + request.lines[index + 1:])
    assert estimate(card, bigger).total >= estimate(card, request).total - TINY


@EXAMPLES
@given(cards, requests)
def test_everything_through_free_entry_points_costs_nothing(card, request):
    free = replace(request, assumptions=replace(request.assumptions, free_entry_point=Decimal(1)),
                   lines=tuple(replace(line, assumptions=replace(line.assumptions, free_entry_point=None))
                               for line in request.lines))
    result = estimate(card, free)
    assert result.total == 0
    assert all(count == 0 for count in result.charged_by_category.values())


@EXAMPLES
@given(cards, requests, st.integers(0, 5), st.decimals(min_value=0, max_value=1, places=3))
def test_splitting_a_line_in_two_of_the_same_market_changes_nothing(card, request, which, part):
    index = which % len(request.lines)
    line = request.lines[index]
    first = replace(line, marketing=line.marketing * part, utility=line.utility * part,
                    authentication=line.authentication * part, service=line.service * part)
    second = replace(line, marketing=line.marketing - first.marketing, utility=line.utility - first.utility,
                     authentication=line.authentication - first.authentication, service=line.service - first.service)
    split = replace(request, lines=request.lines[:index] + (first, second) + request.lines[index + 1:])
    whole, parts = estimate(card, request), estimate(card, split)
    assert abs(whole.total - parts.total) <= TINY
    assert whole.rounded_by_category == parts.rounded_by_category


SAME_RATES = {"India": {"marketing": "0.0107", "utility": "0.0014", "authentication": "0.0014",
                        "authentication_international": "0.0280", "service": "0.0030"},
              "Rest of Africa": {"marketing": "0.0225", "utility": "0.0040", "authentication": "0.0040",
                                 "service": "0.0040"}}


@EXAMPLES
@given(st.lists(st.builds(EstimateLine, country=st.sampled_from(["IN", "KE", "GH"]), marketing=counts,
                          utility=counts, authentication=counts, service=counts), min_size=1, max_size=5),
       shares, st.booleans(), st.integers(0, 5000), st.sampled_from(["phone_number", "business_account"]))
def test_one_template_per_conversation_prices_like_per_message_without_free_rules(
        lines, entry_point, service_charged, allowance, scope):
    def card(model):
        rules = Rules(model, False, service_charged, allowance, scope, volume_tiers=False)
        return make_card(SAME_RATES, rules=rules)

    request = EstimateRequest(lines=tuple(lines), assumptions=Assumptions(free_entry_point=entry_point),
                              business_country="GB", auth_international=True, business_phone_numbers=2)
    by_conversation, by_message = estimate(card("conversation"), request), estimate(card("message"), request)
    assert by_conversation.total == by_message.total
    assert by_conversation.by_category == by_message.by_category


TIERED_CARD = make_card(
    {"India": {"marketing": "0.0118", "utility": "0.0014", "authentication": "0.0014", "service": "0.0014"},
     "Rest of Africa": {"marketing": "0.0225", "utility": "0.0040", "authentication": "0.0040", "service": "0.0040"},
     "Brazil": {"marketing": "0.0625", "utility": "0.0068", "authentication": "0.0068", "service": "0.0068"}},
    rules=Rules("message", False, True, 5, "phone_number", True),
    tiers={("India", "utility"): [(0, 10, "0.0014"), (11, 25, "0.0013"), (26, None, "0.0012")],
           ("India", "authentication"): [(0, 4, "0.0014"), (5, None, "0.0011")],
           ("Rest of Africa", "utility"): [(0, 7, "0.0040"), (8, None, "0.0038")],
           ("Brazil", "authentication"): [(0, 3, "0.0068"), (4, 9, "0.0065"), (10, None, "0.0061")]},
)
MARKET_PHONES = {"IN": "+9198{:08d}", "KE": "+25471{:07d}", "GH": "+23324{:07d}", "BR": "+55119{:08d}"}
small = st.integers(0, 40).map(Decimal)


def timeline(request: EstimateRequest) -> list[Event]:
    """The estimate's month as events: every template to its own user, every service reply in a window."""
    start, events, users = datetime(2026, 11, 1, tzinfo=timezone.utc), [], iter(range(10 ** 7))
    for line in request.lines:
        pattern = MARKET_PHONES[line.country]
        for category in ("marketing", "utility", "authentication"):
            for _ in range(int(getattr(line, category))):
                events.append(Event(start + timedelta(minutes=len(events)), pattern.format(next(users)),
                                    "template", category))
        for _ in range(int(line.service)):
            user = pattern.format(next(users))
            events.append(Event(start + timedelta(minutes=len(events)), user, "user_message"))
            events.append(Event(start + timedelta(minutes=len(events)), user, "message"))
    return events


@EXAMPLES
@given(st.lists(st.builds(EstimateLine, country=st.sampled_from(["IN", "KE", "GH", "BR"]), marketing=small,
                          utility=small, authentication=small), min_size=1, max_size=5),
       st.sampled_from(["IN", "KE", "GH", "BR"]), small, st.integers(1, 3))
def test_an_estimate_agrees_with_the_replay_of_its_month_to_the_cent(lines, service_country, service, numbers):
    # the allowance goes to whichever market asks first in a replay and in proportion in an estimate:
    # the same only when one market has service messages
    lines = lines + [EstimateLine(country=service_country, service=service)]
    request = EstimateRequest(lines=tuple(lines), business_phone_numbers=numbers)
    estimated = estimate(TIERED_CARD, request)
    replayed = replay(ReplayRequest(timeline(request), business_phone_numbers=numbers), TIERED_CARD)
    assert estimated.rounded_total == replayed.rounded_total
    assert estimated.rounded_by_category == replayed.rounded_by_category
    assert estimated.charged_by_category == replayed.charged
    assert estimated.total == replayed.total
