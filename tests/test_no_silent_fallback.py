"""No silent fallback, no refused valid request (issue 10, point 4).

A comparison card or a card in force that has no row for a market (it predates the market becoming
standalone) prices that market's numbers as the card itself places them, with a warning; nothing is priced
at 0 for lack of a market, and a valid request is never refused for it. One validation of numbers and
template categories for every entry point; users are their E.164 number.

Rates from the shipped files (and Meta's, where the USD 2026-07-01 card is shipped too):
- USD 2026-10-01: Bangladesh utility 0.0037; India marketing 0.0118.
- USD 2024-11-01 (conversation-based, the default comparison): Rest of Asia Pacific utility 0.0157,
  marketing 0.0732; United Kingdom utility 0.0220.
- USD 2026-04-01: Rest of Asia Pacific marketing 0.0732; Meta's USD 2026-07-01: Hong Kong marketing 0.0732,
  so a Hong Kong marketing template of 2026-08 costs 0.0732 under either card.
- USD 2025-07-01: United Kingdom utility 0.0220.
- EUR 2026-07-01 (the only EUR card; no Bangladesh row): Rest of Asia Pacific marketing 0.0606.
- INR 2025-10-01 (no Hong Kong row): Rest of Asia Pacific marketing 5.3664.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db


def estimate(client, body):
    return client.post("/api/v1/estimate", data=json.dumps(body), content_type="application/json")


def replay(client, body):
    return client.post("/api/v1/replay", data=json.dumps(body), content_type="application/json")


def test_the_default_comparison_prices_bangladesh_as_its_card_places_bangladesh(client):
    response = estimate(client, {"on": "2026-11-01", "lines": [{"market": "Bangladesh", "utility": 1000}]})
    assert response.status_code == 200, response.content
    today, comparison = response.json()["estimates"]
    assert today["total"] == "3.70"  # 1,000 x 0.0037 (Bangladesh, USD 2026-10-01)
    assert comparison["rate_card"]["name"] == "USD 2024-11-01"
    # 1,000 utility templates, 1 a conversation: 1,000 conversations x 0.0157 (Rest of Asia Pacific) = 15.70
    assert comparison["total"] == "15.70"
    assert [m["market"] for m in comparison["by_market"]] == ["Rest of Asia Pacific"]
    assert any("Bangladesh" in w and "Rest of Asia Pacific" in w for w in comparison["warnings"])


def test_an_explicit_comparison_date_does_not_refuse_a_newer_market(client):
    body = {"on": "2026-11-01", "compare_on": ["2026-01-15"], "lines": [{"market": "Bangladesh", "utility": 1000}]}
    response = estimate(client, body)
    assert response.status_code == 200, response.content
    comparison = response.json()["estimates"][1]
    assert comparison["total"] == "11.30"  # 1,000 x 0.0113 (Rest of Asia Pacific, USD 2026-01-01)


def test_hong_kong_by_market_and_by_country_are_priced_alike(client):
    by_market = estimate(client, {"on": "2026-08-01", "lines": [{"market": "Hong Kong", "marketing": 1000}]})
    by_country = estimate(client, {"on": "2026-08-01", "lines": [{"country": "HK", "marketing": 1000}]})
    assert by_market.status_code == 200, by_market.content
    assert by_country.status_code == 200, by_country.content
    market_estimates, country_estimates = by_market.json()["estimates"], by_country.json()["estimates"]
    # 1,000 x 0.0732 under the card in force and under the conversation-based comparison
    assert [e["total"] for e in market_estimates] == [e["total"] for e in country_estimates] == ["73.20", "73.20"]


def test_a_replay_without_cards_on_never_prices_at_zero_for_a_missing_market(client):
    hong_kong = {"at": "2026-08-03T10:00:00Z", "user": "+852 5123 4567", "kind": "template", "category": "marketing"}
    usd = replay(client, {"events": [hong_kong]}).json()["results"][0]
    assert usd["events"][0]["amount"] == "0.0732"
    inr = replay(client, {"currency": "INR", "events": [hong_kong]}).json()["results"][0]
    assert inr["rate_card"]["name"] == "INR 2025-10-01"
    assert inr["events"][0]["amount"] == "5.3664"  # Rest of Asia Pacific: the INR card has no Hong Kong
    assert any("Hong Kong" in w and "Rest of Asia Pacific" in w for w in inr["warnings"])
    bangladesh = {"at": "2026-11-03T10:00:00Z", "user": "+880 1712 345678", "kind": "template",
                  "category": "marketing"}
    eur = replay(client, {"currency": "EUR", "events": [bangladesh]}).json()["results"][0]
    assert eur["events"][0]["amount"] == "0.0606"  # Rest of Asia Pacific on EUR 2026-07-01
    assert eur["total"] == "0.06"
    assert not any("priced at 0" in w for w in eur["warnings"])
    assert any("Bangladesh" in w and "Rest of Asia Pacific" in w for w in eur["warnings"])


def test_an_estimate_in_eur_after_its_card_prices_bangladesh_as_the_card_places_it(client):
    response = estimate(client, {"on": "2026-11-01", "currency": "EUR",
                                 "lines": [{"country": "BD", "marketing": 1000}]})
    assert response.status_code == 200, response.content
    first = response.json()["estimates"][0]
    assert first["total"] == "60.60"  # 1,000 x 0.0606 (Rest of Asia Pacific, EUR 2026-07-01)
    assert not any("priced at 0" in w for w in first["warnings"])


@pytest.mark.parametrize("at", ["9999-06-01T10:00:00Z", "9999-12-31T23:00:00Z"])
def test_a_replay_event_in_the_year_9999_is_a_400_naming_the_field(client, at):
    response = replay(client, {"events": [{"at": at, "user": "+919800000001", "kind": "template",
                                           "category": "marketing"}]})
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["events[0].at"]


def test_metas_wa_id_and_the_e164_number_are_the_same_user(client):
    events = [
        {"at": "2026-08-03T10:00:00Z", "user": "447400123456", "kind": "user_message"},  # Meta's wa_id
        {"at": "2026-08-03T10:05:00Z", "user": "+447400123456", "kind": "message"},
        {"at": "2026-08-03T10:10:00Z", "user": "+44 7400 123456", "kind": "template", "category": "utility"},
    ]
    result = replay(client, {"events": events}).json()["results"][0]
    # The user wrote at 10:00, so the reply and the utility template are inside the service window:
    # USD 2026-04-01 frees both (service free, utility free in the window); nothing is refused.
    assert [e["type"] for e in result["events"]] == ["inbound", "free_customer_service", "free_customer_service"]
    assert result["total"] == "0.00"


def test_marketing_lite_is_accepted_and_billed_as_marketing(client):
    response = replay(client, {"events": [{"at": "2026-11-03T10:00:00Z", "user": "+919800000001",
                                           "kind": "template", "category": "marketing_lite"}]})
    assert response.status_code == 200, response.content
    event = response.json()["results"][0]["events"][0]
    assert (event["category"], event["amount"]) == ("marketing", "0.0118")  # India marketing, USD 2026-10-01


@pytest.mark.parametrize("user", ["+10000000", "+1 555 555 0100", "hello"])
def test_replay_refuses_the_numbers_that_estimate_and_resolve_refuse(client, user):
    response = replay(client, {"events": [{"at": "2026-11-03T10:00:00Z", "user": user, "kind": "template",
                                           "category": "marketing"}]})
    assert response.status_code == 400, response.content
    replay_error = {e["field"]: e["message"] for e in response.json()["errors"]}
    estimate_error = {e["field"]: e["message"] for e in
                      estimate(client, {"lines": [{"phone": user, "marketing": 1}]}).json()["errors"]}
    resolve_error = {e["field"]: e["message"] for e in
                     client.get("/api/v1/markets/resolve", {"phone": user}).json()["errors"]}
    assert replay_error["events[0].user"] == estimate_error["lines[0].phone"] == resolve_error["phone"]


def test_a_utility_conversation_opened_before_2025_07_01_covers_utility_templates_after(client):
    """Meta's pricing page: a utility template at 2025-06-30 23:00 opens a utility conversation (charged
    per conversation); a utility template at 2025-07-01 10:00 is inside those 24 hours, so free; one at
    2025-07-02 00:00 is after the conversation closed (23:00), so charged per message."""
    user = "+447400123456"
    events = [
        {"at": "2025-06-30T23:00:00Z", "user": user, "kind": "template", "category": "utility"},
        {"at": "2025-07-01T10:00:00Z", "user": user, "kind": "template", "category": "utility"},
        {"at": "2025-07-02T00:00:00Z", "user": user, "kind": "template", "category": "utility"},
    ]
    result = replay(client, {"events": events}).json()["results"][0]
    assert [r["name"] for r in result["rate_cards"]] == ["USD 2024-11-01", "USD 2025-07-01"]
    assert [(e["type"], e["amount"]) for e in result["events"]] == [
        ("regular", "0.0220"), ("in_conversation", "0"), ("regular", "0.0220")]
    assert result["total"] == "0.04"  # 0.0220 (conversation) + 0 + 0.0220 (message) = 0.0440


def test_the_calculator_says_a_line_is_billed_as_the_card_prices_it(client):
    from tests.test_calculator_views import query, shown_total

    response = client.get("/?" + query([{"country": "BD", "marketing": "1000"}], on="2026-11-01", currency="EUR"))
    html = response.content.decode()
    assert '<span class="visually-hidden">billed as </span>Rest of Asia Pacific' in html
    assert "EUR 2026-07-01 has no rates for Bangladesh" in html
    assert shown_total(response) == Decimal("60.60")  # 1,000 x 0.0606 (Rest of Asia Pacific, EUR 2026-07-01)
