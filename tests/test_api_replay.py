"""POST /api/v1/replay: Meta's documented example under the three regimes, and validation."""

import json

import pytest

pytestmark = pytest.mark.django_db

USER = "+919800000001"
META_EXAMPLE = [
    {"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "template", "category": "marketing"},
    {"at": "2026-11-02T02:00:00Z", "user": USER, "kind": "user_message"},
    {"at": "2026-11-02T03:00:00Z", "user": USER, "kind": "message"},
    {"at": "2026-11-02T04:00:00Z", "user": USER, "kind": "template", "category": "utility"},
    {"at": "2026-11-03T06:00:00Z", "user": USER, "kind": "template", "category": "utility"},
]


def post(client, body):
    return client.post("/api/v1/replay", data=json.dumps(body), content_type="application/json")


def verdicts(result):
    return [(e["type"], e.get("amount")) for e in result["events"]]


def test_meta_example_under_the_three_regimes(client):
    response = post(client, {"cards_on": ["2025-01-15", "2025-11-01", "2026-11-01"], "events": META_EXAMPLE})
    assert response.status_code == 200, response.content
    conversation, message_2025, message_2026 = response.json()["results"]

    assert conversation["rate_card"]["name"] == "USD 2024-11-01"
    assert verdicts(conversation) == [
        ("regular", "0.0107"), ("inbound", None), ("in_conversation", "0"), ("regular", "0.0014"), ("regular", "0.0014"),
    ]
    assert conversation["charged"]["marketing"] == 1 and conversation["charged"]["utility"] == 2

    assert message_2025["rate_card"]["name"] == "USD 2025-10-01"
    assert verdicts(message_2025) == [
        ("regular", "0.0107"), ("inbound", None), ("free_customer_service", "0"), ("free_customer_service", "0"),
        ("regular", "0.0014"),
    ]

    assert message_2026["rate_card"]["name"] == "USD 2026-10-01"
    assert verdicts(message_2026) == [
        ("regular", "0.0118"), ("inbound", None), ("free_allowance", "0"), ("regular", "0.0014"), ("regular", "0.0014"),
    ]
    assert message_2026["total"] == "0.01"  # 0.0146 rounded half up to the cent
    assert message_2026["charged"]["utility"] == 2


def test_without_cards_on_each_event_uses_the_card_of_its_time(client):
    events = [
        {"at": "2025-01-15T00:00:00Z", "user": USER, "kind": "template", "category": "marketing"},
        {"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "template", "category": "marketing"},
    ]
    result = post(client, {"events": events}).json()["results"][0]
    assert [c["name"] for c in result["rate_cards"]] == ["USD 2024-11-01", "USD 2026-10-01"]
    assert verdicts(result) == [("regular", "0.0107"), ("regular", "0.0118")]


def test_a_free_form_message_outside_the_window_is_refused_and_not_charged(client):
    events = [{"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "message"}]
    result = post(client, {"cards_on": ["2026-11-01"], "events": events}).json()["results"][0]
    assert result["events"][0]["type"] == "refused"
    assert result["events"][0]["charged"] is False
    assert result["total"] == "0.00"


@pytest.mark.parametrize("events,field,fragment", [
    ([{"at": "2026-11-02T00:00:00", "user": USER, "kind": "message"}], "events[0].at", "time zone"),
    ([{"at": "yesterday", "user": USER, "kind": "message"}], "events[0].at", "not a time"),
    ([{"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "call"}], "events[0].kind", "one of"),
    ([{"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "template"}], "events[0].category", "needs a category"),
    ([{"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "message", "category": "utility"}], "events[0].category", "only templates"),
    ([{"at": "2026-11-02T00:00:00Z", "user": "", "kind": "message"}], "events[0].user", "phone number"),
    ([{"at": "2026-11-02T00:00:00Z", "user": "+1 555", "kind": "template", "category": "utility"}], "events[0].user", ""),
    ([{"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "template", "category": "utility", "entry_point": True}], "events[0].entry_point", "user_message"),
    ([{"at": "2020-01-01T00:00:00Z", "user": USER, "kind": "template", "category": "utility"}], "events[0].at", "no USD card"),
    ([], "events", "at least one"),
    (["2026-11-02T00:00:00Z"], "events[0]", "must be an object with at, user and kind"),
    ([{"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "message", "sent": True}], "events[0].sent", "unknown field"),
])
def test_bad_events_are_a_400_naming_the_field(client, events, field, fragment):
    response = post(client, {"events": events})
    assert response.status_code == 400, response.content
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in errors, errors
    assert fragment in errors[field]


def test_too_many_events_are_refused(client):
    event = {"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "user_message"}
    response = post(client, {"events": [event] * 100_001})
    assert response.status_code == 400
    assert "at most 100,000" in response.json()["errors"][0]["message"]


def test_a_cards_on_date_without_a_card_is_named(client):
    response = post(client, {"cards_on": ["2019-05-05"], "events": META_EXAMPLE})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cards_on[0]"
