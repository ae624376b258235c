"""`calls` lines on POST /api/v1/estimate (spec/api.md, "Estimate extras"), on the shipped calling card.

Figures are worked out by hand from ratecards/data/calling/usd-calling-rates-2025-08-01.csv (India 0.0053
a minute; Rest of Africa 0.0103 then 0.0084 above 50,000 minutes) and the USD 2026-10-01 message card
(India marketing 0.0118).
"""

import json
from decimal import Decimal

import pytest

from ratecards.calling_models import CallingCardStatus, CallingRateCard

pytestmark = pytest.mark.django_db


def post(client, body):
    return client.post("/api/v1/estimate", data=json.dumps(body), content_type="application/json")


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_the_shipped_calling_card_is_loaded_at_migrate():
    card = CallingRateCard.objects.get(currency="USD", effective_from="2025-08-01")
    assert card.status == CallingCardStatus.PUBLISHED and card.reconstructed
    assert card.rates.count() == 41  # one row per market of the CSV
    india = card.rates.get(market__name="India")
    assert india.per_minute == Decimal("0.0053") and india.reliability == "medium"


def test_calls_are_priced_next_to_the_messages(client):
    response = post(client, {"on": "2026-11-01", "compare_on": [],
                             "lines": [{"country": "IN", "marketing": 1000}],
                             "calls": [{"country": "IN", "business_initiated_minutes": 1000,
                                        "average_call_seconds": 56, "user_initiated_minutes": 500}]})
    assert response.status_code == 200, response.content
    first = response.json()["estimates"][0]
    # 1,000 minutes / 56 s = 60,000 / 56 = 1,071.43 calls, each 10 pulses = 1 billed minute:
    # 1,071.428571 x 0.0053 = 5.678571 -> 5.68; messages 1,000 x 0.0118 = 11.80; total 17.478571 -> 17.48
    assert first["by_category"]["calls"] == "5.68"
    assert first["messages_total"] == "11.80" and first["total"] == "17.48"
    calls = first["calls"]
    assert calls["calling_card"]["name"] == "USD calling 2025-08-01"
    assert "Meta's own calling rate files were not found" in calls["note"]
    india = calls["by_market"][0]
    assert india["market"] == "India" and india["countries"] == ["IN"]
    assert india["calls"] == 1071.43 and india["billed_minutes"] == 1071.43
    assert india["user_initiated_minutes"] == 500 and india["user_initiated_charge"] == "0.00"
    assert india["per_minute"] == "0.0053" and india["tiers_known"] is False
    assert india["reliability"] == "medium" and "reseller" in india["basis"]
    assert any("tiers are unknown" in w for w in first["warnings"])


def test_calls_alone_need_no_message_lines(client):
    # 14 minutes at 56 s: 15 calls of 1 billed minute = 15 x 0.0053 = 0.0795 -> 0.08
    response = post(client, {"on": "2026-11-01", "compare_on": [],
                             "calls": [{"country": "IN", "business_initiated_minutes": 14, "average_call_seconds": 56}]})
    assert response.status_code == 200, response.content
    first = response.json()["estimates"][0]
    assert first["total"] == "0.08" and first["calls"]["by_market"][0]["calls"] == 15


def test_a_month_crossing_a_calling_tier(client):
    # 75,000 minutes of 90 s calls (15 pulses = 1.5 minutes each): 33,333 calls (49,999.5 min) x 0.0103 =
    # 514.99485, then 16,667 calls (25,000.5 min, the first one crossing 50,000) x 0.0084 = 210.0042: 724.99905
    response = post(client, {"on": "2026-11-01", "compare_on": [],
                             "calls": [{"market": "Rest of Africa", "business_initiated_minutes": 75000,
                                        "average_call_seconds": 90}]})
    africa = response.json()["estimates"][0]["calls"]["by_market"][0]
    assert africa["total"] == "725.00" and africa["tiers_known"] is True
    assert [(t["tier"], t["calls"], t["amount"]) for t in africa["tiers"]] == [(0, 33333, "514.99"), (1, 16667, "210.00")]
    assert africa["reliability"] == "high"


def test_an_excluded_business_country_prices_no_call(client):
    response = post(client, {"on": "2026-11-01", "compare_on": [], "business_country": "US",
                             "calls": [{"country": "IN", "business_initiated_minutes": 1000, "average_call_seconds": 60}]})
    first = response.json()["estimates"][0]
    assert first["by_category"]["calls"] == "0.00" and first["calls"]["business_calls_allowed"] is False
    assert any("cannot be placed from business numbers in US" in w for w in first["warnings"])


def test_a_market_without_a_rate_and_a_date_without_a_card_are_said_plainly(client):
    response = post(client, {"on": "2026-11-01", "compare_on": ["2024-11-01"],
                             "calls": [{"country": "EG", "business_initiated_minutes": 100, "average_call_seconds": 60},
                                       {"country": "IN", "business_initiated_minutes": 100, "average_call_seconds": 60}]})
    now, before = response.json()["estimates"]
    assert now["by_category"]["calls"] == "0.53"  # India 100 x 0.0053; Egypt unpriced
    assert any("no calling rate for Egypt" in w for w in now["warnings"])
    assert before["by_category"]["calls"] == "0.00" and before["calls"]["calling_card"] is None
    assert any("no USD calling rate card is in force on 2024-11-01" in w for w in before["warnings"])


def test_without_calls_the_answer_is_unchanged(client):
    first = post(client, {"on": "2026-11-01", "lines": [{"country": "IN", "marketing": 1000}]}).json()["estimates"][0]
    assert "calls" not in first and "calls" not in first["by_category"]


def test_bad_calls_are_named_field_by_field(client):
    problems = errors_of(post(client, {"calls": [
        {"country": "IN", "business_initiated_minutes": 100},
        {"country": "ZZ", "business_initiated_minutes": -1, "average_call_seconds": 0},
        {"country": "IN", "market": "India"},
        {"country": "IN", "minutes": 5},
        "x",
    ]}))
    assert problems == {
        "calls[0].average_call_seconds": "give the average call length in seconds: each call is billed in whole "
                                         "6-second pulses",
        "calls[1].country": '"ZZ" is not an ISO 3166 country code (e.g. IN, BR, GB)',
        "calls[1].business_initiated_minutes": "must be zero or more minutes",
        "calls[1].average_call_seconds": "must be at least 1 second",
        "calls[2]": "name the called numbers by exactly one of market, country or phone (got market, country)",
        "calls[3].minutes": "unknown field; expected one of average_call_seconds, business_initiated_minutes, country, "
                            "market, phone, user_initiated_minutes",
        "calls[4]": "must be an object with a market, country or phone and minutes",
    }
    assert errors_of(post(client, {"calls": {"country": "IN"}}))["calls"].startswith("must be a list")
    too_many = [{"country": "IN"}] * 1001
    assert errors_of(post(client, {"calls": too_many}))["calls"] == "at most 1,000 calls lines (got 1,001)"
    huge = errors_of(post(client, {"calls": [{"country": "IN", "business_initiated_minutes": 10**11,
                                              "average_call_seconds": 10**6}]}))
    assert huge == {"calls[0].business_initiated_minutes": "must be at most 10,000,000,000",
                    "calls[0].average_call_seconds": "must be at most 86,400 seconds (a day)"}
    assert errors_of(post(client, {"calls": [{"market": "Atlantis", "business_initiated_minutes": 1,
                                              "average_call_seconds": 60}]}))["calls[0].market"].startswith(
        "'Atlantis' is not a market")


def test_the_openapi_document_describes_calls(client):
    document = client.get("/api/v1/openapi.json").json()
    request = document["paths"]["/api/v1/estimate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request["properties"]["calls"]["items"]["properties"]["average_call_seconds"]["maximum"] == 86400
    assert request["example"]["calls"][0]["average_call_seconds"] == 56


def test_a_users_call_opens_the_customer_service_window_in_the_replay(client):
    # On the USD 2025-10-01 card a utility template inside the customer service window is free.
    def replay(first_kind):
        body = {"cards_on": ["2025-11-01"], "events": [
            {"at": "2025-11-03T10:00:00Z", "user": "+919800000001", "kind": first_kind},
            {"at": "2025-11-03T11:00:00Z", "user": "+919800000001", "kind": "template", "category": "utility"}]}
        response = client.post("/api/v1/replay", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()["results"][0]["events"]

    called = replay("user_call")
    assert called[0] == {"charged": False, "type": "inbound"}
    assert called[1]["type"] == "free_customer_service" and called[1]["amount"] == "0"
    # the same without the call: the template is charged
    assert post_replay_type(client) == "regular"


def post_replay_type(client) -> str:
    body = {"cards_on": ["2025-11-01"], "events": [
        {"at": "2025-11-03T11:00:00Z", "user": "+919800000001", "kind": "template", "category": "utility"}]}
    response = client.post("/api/v1/replay", data=json.dumps(body), content_type="application/json")
    return response.json()["results"][0]["events"][0]["type"]
