"""Golden figures: prices worked out by hand from the shipped rate files, through the real stack.

Every expected amount below is arithmetic on rates read from ratecards/data/ratecards/*.csv (the rows are
quoted in the comments), never a figure taken from the engine: a wrong engine fails these tests.
Rules: docs/pricing-rules.md.

Germany (+49), from the rate files:
  usd-rates-2024-11-01-conversation.csv  Germany,USD,0.1365,0.0550,0.0768,n/a,0.0000   (per conversation)
  usd-rates-2025-07-01.csv               Germany,USD,0.1365,0.0550,0.0550,n/a,n/a
  usd-rates-2026-10-01.csv               Germany,USD,0.1365,0.0550,0.0550,n/a,0.0550
  usd-volume-tiers-2026-10-01.csv        Germany utility: 0 - 100,000 List rate 0.0550;
                                         100,001 - 1,000,000 Tier rate 0.0523
India (+91): usd-rates-2026-10-01.csv    India,USD,0.0118,0.0014,0.0014,0.0304,0.0014
"""

import json
import pytest

pytestmark = pytest.mark.django_db

GERMAN_USER = "+4915112345678"

# Meta's example ("Pricing on the WhatsApp Business Platform"), one user, hours from the start:
# 0 marketing template; 2 user writes; 3 free-form reply; 4 utility template; 30 utility template.
META_EXAMPLE = [
    {"at": "2026-11-02T00:00:00Z", "user": GERMAN_USER, "kind": "template", "category": "marketing"},
    {"at": "2026-11-02T02:00:00Z", "user": GERMAN_USER, "kind": "user_message"},
    {"at": "2026-11-02T03:00:00Z", "user": GERMAN_USER, "kind": "message"},
    {"at": "2026-11-02T04:00:00Z", "user": GERMAN_USER, "kind": "template", "category": "utility"},
    {"at": "2026-11-03T06:00:00Z", "user": GERMAN_USER, "kind": "template", "category": "utility"},
]


def post(client, path: str, body: dict) -> dict:
    response = client.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def test_meta_example_under_the_three_rule_sets(client):
    # 2025-01-15 -> USD 2024-11-01 (conversation); 2025-07-15 -> USD 2025-07-01; 2026-11-01 -> USD 2026-10-01.
    results = post(client, "/api/v1/replay", {"cards_on": ["2025-01-15", "2025-07-15", "2026-11-01"],
                                              "events": META_EXAMPLE})["results"]
    conversation, per_message_2025, per_message_2026 = results
    assert [r["rate_card"]["name"] for r in results] == ["USD 2024-11-01", "USD 2025-07-01", "USD 2026-10-01"]

    # Conversations: h0 opens a marketing conversation (0.1365, open to h24); h3's reply falls inside it
    # (free); h4 opens a utility conversation (0.0550, to h28); h30 opens another (0.0550).
    # 0.1365 + 0.0550 + 0.0550 = 0.2465
    assert [e["type"] for e in conversation["events"]] == [
        "regular", "inbound", "in_conversation", "regular", "regular"]
    assert conversation["total"] == "0.25"  # 0.2465 rounded half up to cents
    assert conversation["by_category"]["marketing"] == "0.14"  # 0.1365
    assert conversation["by_category"]["utility"] == "0.11"  # 2 x 0.0550 = 0.1100
    assert (conversation["charged"]["marketing"], conversation["charged"]["utility"]) == (1, 2)

    # Per message, 2025-07-01: the user's message at h2 opens the service window to h26; the reply (h3,
    # service free on this card) and the utility at h4 (free inside the window) cost nothing; h30 is
    # outside it: 0.1365 + 0.0550 = 0.1915. One utility message is within the list-rate tier.
    assert [(e["type"], e.get("amount")) for e in per_message_2025["events"]] == [
        ("regular", "0.1365"), ("inbound", None), ("free_customer_service", "0"),
        ("free_customer_service", "0"), ("regular", "0.0550")]
    assert per_message_2025["total"] == "0.19"  # 0.1915 -> 0.19

    # Per message, 2026-10-01: utility inside the window is charged again (0.0550 at h4 and h30); the
    # reply is a service message, free out of the number's 1,000-a-month allowance.
    # 0.1365 + 0.0550 + 0.0550 = 0.2465
    assert [(e["type"], e.get("amount")) for e in per_message_2026["events"]] == [
        ("regular", "0.1365"), ("inbound", None), ("free_allowance", "0"),
        ("regular", "0.0550"), ("regular", "0.0550")]
    assert per_message_2026["total"] == "0.25"
    assert per_message_2026["by_category"]["service"] == "0.00"


def estimate(client, lines: list[dict], **extra) -> dict:
    body = {"on": "2026-11-01", "compare_on": [], "lines": lines} | extra
    return post(client, "/api/v1/estimate", body)["estimates"][0]


@pytest.mark.parametrize("utility, total, list_total, savings", [
    # 100,000 x 0.0550 = 5,500.00: the whole count is inside the list-rate tier (bounds are inclusive).
    (100_000, "5500.00", "5500.00", "0.00"),
    # Message 100,001 is the first at the tier-1 rate: 5,500.00 + 1 x 0.0523 = 5,500.0523 -> 5,500.05;
    # list: 100,001 x 0.0550 = 5,500.055 -> 5,500.06 (half up); savings 0.0027 -> 0.00 (each figure is
    # rounded from its unrounded value, not from the rounded ones).
    (100_001, "5500.05", "5500.06", "0.00"),
    # 150,000: 100,000 x 0.0550 + 50,000 x 0.0523 = 5,500.00 + 2,615.00 = 8,115.00;
    # at list rate 150,000 x 0.0550 = 8,250.00, so the tiers save 135.00.
    (150_000, "8115.00", "8250.00", "135.00"),
])
def test_a_tier_crossing_is_priced_message_by_message(client, utility, total, list_total, savings):
    result = estimate(client, [{"country": "DE", "utility": utility}])
    assert result["rate_card"]["name"] == "USD 2026-10-01"
    assert (result["total"], result["list_total"], result["tier_savings"]) == (total, list_total, savings)


def test_the_service_allowance_is_shared_by_markets_in_proportion_to_their_service(client):
    # One phone number: 1,000 free service messages a month on the 2026-10-01 card, shared 1,500 : 500.
    # Germany covered 1,000 x 1,500 / 2,000 = 750, charged 1,500 - 750 = 750 x 0.0550 = 41.25
    # India   covered 1,000 x   500 / 2,000 = 250, charged   500 - 250 = 250 x 0.0014 =  0.35
    # total 41.60
    lines = [{"country": "DE", "service": 1500}, {"country": "IN", "service": 500}]
    result = estimate(client, lines, business_phone_numbers=1)
    by_market = {m["market"]: m for m in result["by_market"]}
    assert by_market["Germany"]["total"] == "41.25" and by_market["Germany"]["charged"]["service"] == 750
    assert by_market["India"]["total"] == "0.35" and by_market["India"]["charged"]["service"] == 250
    assert result["total"] == "41.60"
    assert result["free"]["allowance"] == 1000

    # Two numbers: 2,000 free messages cover all 2,000: nothing is charged.
    assert estimate(client, lines, business_phone_numbers=2)["total"] == "0.00"
