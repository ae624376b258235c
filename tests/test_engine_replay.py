"""Exact timelines (docs/pricing-rules.md, "Exact rules, event by event"), on the shipped cards."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from calculator.engine import Event, EventError, EventResult, ReplayRequest, Rules, market_maps_by_period, replay
from tests.engine_fixtures import load_card, make_card, mapping_rules, market_map_of_day, rates_of

D = Decimal
START = datetime(2026, 11, 2, tzinfo=timezone.utc)
INDIA = "+919800000001"
CONVERSATION = "usd-2024-11-01-conversation"
PER_MESSAGE_2025 = "usd-2025-07-01"
META_2026_04 = "usd-2026-04-01"
SERVICE_CHARGED = "usd-2026-10-01"


def at(hours=0, minutes=0, seconds=0):
    return START + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def user_message(when, user=INDIA, entry_point=False):
    return Event(when, user, "user_message", entry_point=entry_point)


def template(when, category, user=INDIA):
    return Event(when, user, "template", category)


def message(when, user=INDIA):
    return Event(when, user, "message")


def play(card, *events, **request):
    card = load_card(card) if isinstance(card, str) else card
    return replay(ReplayRequest(list(events), **request), card)


def verdicts(result):
    return [(r.type, r.category, r.amount) for r in result.events]


META_EXAMPLE = (template(at(0), "marketing"), user_message(at(2)), message(at(3)), template(at(4), "utility"),
                template(at(30), "utility"))


def test_meta_example_on_the_conversation_card_charges_one_marketing_and_two_utility_conversations():
    rates = rates_of(CONVERSATION)["India"]
    assert rates["utility"] == D("0.0014")
    result = play(CONVERSATION, *META_EXAMPLE)
    assert verdicts(result) == [
        ("regular", "marketing", rates["marketing"]), ("inbound", None, 0), ("in_conversation", "marketing", 0),
        ("regular", "utility", rates["utility"]), ("regular", "utility", rates["utility"]),
    ]
    assert result.charged == {"marketing": 1, "utility": 2, "authentication": 0,
                              "authentication_international": 0, "service": 0}
    assert result.total == rates["marketing"] + 2 * rates["utility"] == D("0.0135")
    assert result.card.pricing_model == "conversation"


def test_meta_example_per_message_2025_charges_marketing_and_the_late_utility_only():
    rates = rates_of(PER_MESSAGE_2025)["India"]
    result = play(PER_MESSAGE_2025, *META_EXAMPLE)
    assert verdicts(result) == [
        ("regular", "marketing", rates["marketing"]), ("inbound", None, 0),
        ("free_customer_service", "service", 0), ("free_customer_service", "utility", 0),
        ("regular", "utility", D("0.0014")),
    ]
    assert result.total == rates["marketing"] + rates["utility"]
    assert [r.charged for r in result.events] == [True, False, False, False, True]


def test_meta_example_2026_10_charges_utility_in_the_window_and_service_after_the_allowance():
    rates = rates_of(SERVICE_CHARGED)["India"]
    with_allowance = play(SERVICE_CHARGED, *META_EXAMPLE)
    assert verdicts(with_allowance) == [
        ("regular", "marketing", rates["marketing"]), ("inbound", None, 0), ("free_allowance", "service", 0),
        ("regular", "utility", rates["utility"]), ("regular", "utility", rates["utility"]),
    ]
    assert with_allowance.total == rates["marketing"] + 2 * rates["utility"] == D("0.0146")
    used_up = [user_message(at(1), "+919800000002")] + [message(at(1, seconds=s), "+919800000002")
                                                        for s in range(1, 1001)]
    without = play(SERVICE_CHARGED, *used_up, *META_EXAMPLE)
    assert without.events[1003] == EventResult(True, "regular", "service", rates["service"], "India")
    assert without.total == rates["marketing"] + 2 * rates["utility"] + rates["service"]


def test_service_window_closes_exactly_24_hours_after_the_users_last_message():
    result = play(SERVICE_CHARGED, user_message(at(0)), message(at(23, 59, 59)), message(at(24)))
    assert [r.type for r in result.events] == ["inbound", "free_allowance", "refused"]
    assert result.events[2].charged is False and result.total == 0
    assert any("1 free-form message outside the customer service window was refused" in w for w in result.warnings)


def test_a_later_user_message_extends_the_window():
    result = play(PER_MESSAGE_2025, user_message(at(0)), user_message(at(20)), template(at(43), "utility"),
                  template(at(44), "utility"))
    assert [r.type for r in result.events] == ["inbound", "inbound", "free_customer_service", "regular"]


def test_entry_point_answered_within_24_hours_is_free_for_72_hours_from_the_answer():
    answered = play(SERVICE_CHARGED, user_message(at(0), entry_point=True), message(at(23, 59)),
                    template(at(23, 59 + 72 * 60 - 1), "marketing"), template(at(23, 59 + 72 * 60), "marketing"))
    assert [r.type for r in answered.events] == ["inbound", "free_entry_point", "free_entry_point", "regular"]
    assert answered.events[2].category == "marketing"


def test_entry_point_answered_after_24_hours_is_not_free():
    late = play(SERVICE_CHARGED, user_message(at(0), entry_point=True), template(at(24, 1), "marketing"))
    assert [r.type for r in late.events] == ["inbound", "regular"]
    exactly = play(SERVICE_CHARGED, user_message(at(0), entry_point=True), template(at(24), "marketing"))
    assert exactly.events[1].type == "regular"


def test_free_form_outside_the_window_is_refused_even_in_an_entry_point_window():
    result = play(SERVICE_CHARGED, user_message(at(0), entry_point=True), message(at(1)), message(at(30)),
                  template(at(30), "utility"))
    assert [r.type for r in result.events] == ["inbound", "free_entry_point", "refused", "free_entry_point"]


def test_allowance_runs_out_at_service_message_1001_with_one_phone_number():
    events = [user_message(at(0))] + [message(at(0, seconds=s)) for s in range(1, 1002)]
    result = play(SERVICE_CHARGED, *events)
    assert {r.type for r in result.events[1:1001]} == {"free_allowance"}
    assert result.events[1001] == EventResult(True, "regular", "service", D("0.0014"), "India")
    assert result.charged["service"] == 1
    two_numbers = play(SERVICE_CHARGED, *events, business_phone_numbers=2)
    assert two_numbers.total == 0


def test_allowance_renews_each_calendar_month_in_utc():
    october_end = datetime(2026, 10, 31, 23, tzinfo=timezone.utc)
    events = [user_message(october_end)] + [message(october_end + timedelta(seconds=s)) for s in range(1, 1001)]
    events += [message(datetime(2026, 11, 1, 0, 30, tzinfo=timezone.utc))]
    assert play(SERVICE_CHARGED, *events).total == 0


def test_argentina_message_100001_is_the_first_at_the_tier_rate():
    card = load_card(META_2026_04)
    events = [template(at(seconds=n), "utility", "+5491123456789") for n in range(100_001)]
    result = replay(ReplayRequest(events), card)
    assert {r.amount for r in result.events[:100_000]} == {D("0.0260")}
    assert result.events[100_000] == EventResult(True, "regular", "utility", D("0.0247"), "Argentina")
    assert result.total == 100_000 * D("0.0260") + D("0.0247")


def test_tier_counts_restart_each_month_and_only_count_charged_messages():
    card = make_card({"India": {"utility": "0.10"}}, rules=Rules("message", True, False, 0, None, True),
                     tiers={("India", "utility"): [(0, 2, "0.10"), (3, None, "0.05")]})
    october = datetime(2026, 10, 30, tzinfo=timezone.utc)
    events = [user_message(october), template(october, "utility")]  # free in the window: not counted
    events += [template(october + timedelta(days=1, hours=h), "utility") for h in range(3)]
    events += [template(START, "utility")]
    result = replay(ReplayRequest(events), card)
    assert [r.amount for r in result.events] == [0, 0, D("0.10"), D("0.10"), D("0.05"), D("0.10")]


def test_authentication_and_international_share_one_tier_count_in_time_order():
    card = make_card(
        {"India": {"authentication": "0.10", "authentication_international": "1.00"}},
        tiers={("India", "authentication"): [(0, 2, "0.10"), (3, None, "0.05")],
               ("India", "authentication_international"): [(0, 2, "1.00"), (3, None, "0.50")]},
    )
    events = [template(at(h), "authentication") for h in range(4)]
    at_home = replay(ReplayRequest(events, business_country="IN", auth_international=True), card)
    abroad = replay(ReplayRequest(events, business_country="GB", auth_international=True), card)
    assert [r.amount for r in at_home.events] == [D("0.10"), D("0.10"), D("0.05"), D("0.05")]
    assert [(r.category, r.amount) for r in abroad.events] == [
        ("authentication_international", D("1.00")), ("authentication_international", D("1.00")),
        ("authentication_international", D("0.50")), ("authentication_international", D("0.50"))]
    mixed = replay(ReplayRequest([template(at(0), "authentication", "+919800000001"),
                                  template(at(1), "authentication", "+441632960001"),
                                  template(at(2), "authentication", "+919800000002")],
                                 business_country="IN", auth_international=True),
                   make_card({"India": {"authentication": "0.10"},
                              "United Kingdom": {"authentication": "0.20", "authentication_international": "2.00"}},
                             tiers={("United Kingdom", "authentication"): [(0, 1, "0.20"), (2, None, "0.15")],
                                    ("United Kingdom", "authentication_international"):
                                        [(0, 1, "2.00"), (2, None, "1.50")]}))
    assert [r.amount for r in mixed.events] == [D("0.10"), D("2.00"), D("0.10")]


def test_conversations_group_templates_of_one_category_for_24_hours():
    rates = rates_of(CONVERSATION)["India"]
    result = play(CONVERSATION, template(at(0), "marketing"), template(at(23, 59), "marketing"),
                  template(at(24), "marketing"), template(at(1), "utility"), user_message(at(2)),
                  message(at(2, 30)))
    assert verdicts(result) == [
        ("regular", "marketing", rates["marketing"]), ("in_conversation", "marketing", 0),
        ("regular", "marketing", rates["marketing"]), ("regular", "utility", rates["utility"]),
        ("inbound", None, 0), ("in_conversation", "marketing", 0),
    ]
    assert result.charged["marketing"] == 2


def test_free_form_with_no_open_conversation_opens_a_service_conversation():
    free_service = play(CONVERSATION, user_message(at(0)), message(at(1)), message(at(2)))
    assert [r.type for r in free_service.events] == ["inbound", "free_customer_service", "in_conversation"]
    charged_rules = Rules("conversation", False, True, 1, "business_account", False)
    card = make_card({"India": {"service": "0.0040"}}, rules=charged_rules)
    events = [user_message(at(0), "+919800000001"), message(at(1), "+919800000001"),
              user_message(at(0), "+919800000002"), message(at(1), "+919800000002"), message(at(3), "+919800000002")]
    charged = replay(ReplayRequest(events), card)
    assert [r.type for r in charged.events] == ["inbound", "free_allowance", "inbound", "regular", "in_conversation"]
    assert charged.charged["service"] == 1 and charged.total == D("0.0040")


def test_an_entry_point_conversation_closes_the_others_and_charges_nothing():
    result = play(CONVERSATION, template(at(0), "marketing"), user_message(at(1), entry_point=True),
                  template(at(2), "utility"), template(at(50), "marketing"), template(at(74), "marketing"))
    assert [r.type for r in result.events] == ["regular", "inbound", "free_entry_point", "free_entry_point",
                                               "regular"]


def test_each_event_can_be_priced_with_the_card_in_force_at_its_time():
    cards = [load_card(CONVERSATION), load_card(PER_MESSAGE_2025), load_card(SERVICE_CHARGED)]

    def in_force(when):
        return [card for card in cards if card.effective_from <= when.date()][-1]

    events = [template(datetime(2025, 6, 30, 12, tzinfo=timezone.utc), "marketing"),
              template(datetime(2025, 7, 1, 12, tzinfo=timezone.utc), "marketing"),
              template(datetime(2026, 10, 1, 12, tzinfo=timezone.utc), "marketing")]
    result = replay(ReplayRequest(events), in_force, market_map_of_day)
    assert [r.amount for r in result.events] == [D("0.0107"), D("0.0107"), D("0.0118")]
    assert [card.name for card in result.cards] == ["USD 2024-11-01", "USD 2025-07-01", "USD 2026-10-01"]


def test_a_users_market_follows_the_mapping_of_the_day():
    card = load_card(SERVICE_CHARGED)
    morocco = "+212612345678"
    events = [template(datetime(2026, 9, 30, 12, tzinfo=timezone.utc), "marketing", morocco),
              template(datetime(2026, 10, 1, 12, tzinfo=timezone.utc), "marketing", morocco)]
    result = replay(ReplayRequest(events), card, market_map_of_day)
    assert [r.market for r in result.events] == ["Rest of Africa", "Morocco"]
    assert [m.market for m in result.by_market] == ["Morocco", "Rest of Africa"]


def test_events_are_priced_in_time_order_and_reported_in_input_order():
    result = play(PER_MESSAGE_2025, template(at(4), "utility"), user_message(at(2)), template(at(30), "utility"))
    assert [r.type for r in result.events] == ["free_customer_service", "inbound", "regular"]


def test_times_in_other_zones_count_by_their_utc_month():
    paris = ZoneInfo("Europe/Paris")
    card = make_card({"India": {"utility": "0.10"}}, rules=Rules("message", False, False, 0, None, True),
                     tiers={("India", "utility"): [(0, 1, "0.10"), (2, None, "0.05")]})
    events = [template(datetime(2026, 11, 1, 0, 30, tzinfo=paris), "utility"),  # 2026-10-31 23:30 UTC
              template(datetime(2026, 11, 1, 2, 0, tzinfo=paris), "utility")]
    assert [r.amount for r in replay(ReplayRequest(events), card).events] == [D("0.10"), D("0.10")]


def test_replay_warnings_name_the_market_and_the_rule():
    card = make_card({"North America": {"marketing": "0.025"}, "India": {"utility": None}})
    result = replay(ReplayRequest([template(at(0), "marketing", "+12025550123"),
                                   template(at(1), "utility")]), card)
    assert result.events[1] == EventResult(True, "regular", "utility", D(0), "India")
    assert result.warnings == ("no utility rate for India: 1 utility message priced at 0",
                               "North America: Meta has not delivered marketing templates to US phone numbers "
                               "since 2025-04-01")
    hong_kong = play(SERVICE_CHARGED, template(at(0), "authentication", "+85251234567"),
                     business_country="GB", auth_international=True)
    assert hong_kong.warnings == ("no authentication-international rate for Hong Kong: its authentication is "
                                  "priced at the authentication rate",)


def test_marketing_lite_is_billed_as_marketing():
    result = play(SERVICE_CHARGED, template(at(0), "marketing_lite"))
    assert result.events[0] == EventResult(True, "regular", "marketing", D("0.0118"), "India")


@pytest.mark.parametrize(("event", "field"), [
    (Event(datetime(2026, 11, 2), INDIA, "template", "marketing"), "at"),
    (Event(START, INDIA, "reaction"), "kind"),
    (Event(START, INDIA, "template", "service"), "category"),
    (Event(START, "+1 555", "template", "marketing"), "user"),
])
def test_an_event_that_cannot_be_priced_is_an_event_error(event, field):
    with pytest.raises(EventError) as raised:
        play(SERVICE_CHARGED, template(at(0), "marketing"), event)
    assert (raised.value.index, raised.value.field) == (1, field)


def test_replay_totals_add_up_by_market_and_category():
    result = play(SERVICE_CHARGED, template(at(0), "marketing"), template(at(0), "utility", "+5511987654321"),
                  template(at(1), "marketing", "+5511987654321"))
    assert result.total == sum(m.total for m in result.by_market) == sum(result.by_category.values())
    assert [m.market for m in result.by_market] == ["Brazil", "India"]
    assert result.by_type["regular"] == 3
    assert result.rounded_total == D("0.08")
    assert result.card.effective_from == date(2026, 10, 1)


def test_an_empty_timeline_still_names_its_card():
    result = play(SERVICE_CHARGED)
    assert result.events == () and result.total == 0
    assert result.card.name == "USD 2026-10-01" and result.currency == "USD"
    assert result.charged == {"marketing": 0, "utility": 0, "authentication": 0,
                              "authentication_international": 0, "service": 0}


def test_mappings_by_period_share_one_map_between_changes():
    map_of_day = market_maps_by_period(mapping_rules())
    october = [map_of_day(date(2026, 10, day)) for day in (1, 15, 31)]
    assert october[0] is october[1] is october[2]
    assert map_of_day(date(2026, 9, 30)) is not october[0]
    assert map_of_day(date(2026, 9, 30)).resolve_country("MA").market == "Rest of Africa"
    assert october[0].resolve_country("MA").market == "Morocco"
    assert map_of_day(date(2020, 1, 1)).resolve_country("ZW").market == "Other"
