"""POST /api/v1/estimate: the contract in docs/api.md, and every validation message."""

import json
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db

CONTRACT_EXAMPLE = {
    "on": "2026-11-01",
    "compare_on": ["2025-01-15", "2025-11-01"],
    "currency": "USD",
    "business_country": "GB",
    "auth_international": True,
    "business_phone_numbers": 2,
    "assumptions": {"utility_in_service_window": 0.3, "free_entry_point": 0.05,
                    "templates_per_conversation": 1.5, "service_messages_per_conversation": 3},
    "lines": [
        {"country": "IN", "marketing": 100000, "utility": 250000, "authentication": 900000, "service": 40000},
        {"phone": "+18095550100", "utility": 1000, "assumptions": {"utility_in_service_window": 0}},
        {"market": "Rest of Africa", "marketing": 5000},
    ],
}


def post(client, body, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/v1/estimate", data=data, content_type=content_type)


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_the_contract_example_is_answered_in_the_documented_shape(client):
    response = post(client, CONTRACT_EXAMPLE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["currency"] == "USD"
    assert [e["on"] for e in body["estimates"]] == ["2026-11-01", "2025-01-15", "2025-11-01"]
    assert [e["rate_card"]["name"] for e in body["estimates"]] == ["USD 2026-10-01", "USD 2024-11-01", "USD 2025-10-01"]
    assert [e["rate_card"]["pricing_model"] for e in body["estimates"]] == ["message", "conversation", "message"]
    first = body["estimates"][0]
    for key in ("total", "list_total", "tier_savings"):
        assert Decimal(first[key]).as_tuple().exponent == -2
    assert set(first["by_category"]) == {"marketing", "utility", "authentication", "authentication_international", "service"}
    assert Decimal(first["total"]) == Decimal(first["list_total"]) - Decimal(first["tier_savings"])
    india = next(m for m in first["by_market"] if m["market"] == "India")
    assert india["charged"]["marketing"] == 95000  # 100,000 less the 5 % entry-point share
    assert body["lines"][0]["market"] == "India" and body["lines"][0]["country"] == "IN"
    assert body["lines"][1]["market"] == "Rest of Latin America" and body["lines"][1]["country"] == "DO"
    assert body["lines"][2]["market"] == "Rest of Africa"
    assert any("authentication" in w.lower() or "North America" in w for w in first["warnings"]) or first["warnings"] == []


def test_a_simple_mix_costs_count_times_rate(client):
    response = post(client, {"on": "2026-11-01", "lines": [{"country": "IN", "marketing": 1000, "utility": 1000}]})
    first = response.json()["estimates"][0]
    # USD 2026-10-01: India marketing 0.0118, utility 0.0014; utility is charged inside the window on that card.
    assert first["total"] == "13.20"
    assert first["by_category"]["marketing"] == "11.80"
    assert first["by_category"]["utility"] == "1.40"


def test_the_default_comparison_is_the_latest_conversation_card(client):
    response = post(client, {"on": "2026-11-01", "lines": [{"country": "IN", "marketing": 1000}]})
    estimates = response.json()["estimates"]
    assert len(estimates) == 2
    assert estimates[1]["rate_card"]["name"] == "USD 2024-11-01"
    assert estimates[1]["rate_card"]["pricing_model"] == "conversation"
    assert estimates[1]["total"] == "10.70"  # 1,000 conversations at 0.0107


def test_on_defaults_to_today(client):
    from django.utils import timezone

    response = post(client, {"lines": [{"country": "IN", "marketing": 1}]})
    assert response.json()["estimates"][0]["on"] == timezone.localdate().isoformat()


@pytest.mark.parametrize("body,field,fragment", [
    ({"lines": [{"country": "IN", "utility": -1}]}, "lines[0].utility", "zero or more"),
    ({"lines": [{"country": "IN", "utility": "12"}]}, "lines[0].utility", "must be a number"),
    ({"lines": [{"country": "IN", "utility": True}]}, "lines[0].utility", "must be a number"),
    ({"lines": [{"country": "IN", "utility": 10**13}]}, "lines[0].utility", "at most"),
    ({"lines": [{"country": "ZZ", "utility": 1}]}, "lines[0].country", "ISO 3166"),
    ({"lines": [{"phone": "+1 555", "utility": 1}]}, "lines[0].phone", "not"),
    ({"lines": [{"market": "Atlantis", "utility": 1}]}, "lines[0].market", "not a market"),
    ({"lines": [{"utility": 1}]}, "lines[0]", "exactly one"),
    ({"lines": [{"country": "IN", "market": "India"}]}, "lines[0]", "exactly one"),
    ({"lines": [{"country": "IN", "utilty": 1}]}, "lines[0].utilty", "unknown field"),
    ({"lines": []}, "lines", "at least one"),
    ({}, "lines", "at least one"),
    ({"lines": [{"country": "IN"}] * 1001}, "lines", "at most 1,000"),
    ({"lines": [{"country": "IN"}], "assumptions": {"free_entry_point": 1.5}}, "assumptions.free_entry_point", "share"),
    ({"lines": [{"country": "IN"}], "assumptions": {"templates_per_conversation": 0.5}}, "assumptions.templates_per_conversation", "1 or more"),
    ({"lines": [{"country": "IN", "assumptions": {"utility_in_service_window": -0.1}}]}, "lines[0].assumptions.utility_in_service_window", "share"),
    ({"lines": [{"country": "IN"}], "currency": "GBP"}, "currency", "no rate card"),
    ({"lines": [{"country": "IN"}], "on": "2026-02-30"}, "on", "not a date"),
    ({"lines": [{"country": "IN"}], "on": "2020-01-01"}, "on", "no USD card"),
    ({"lines": [{"country": "IN"}], "compare_on": ["2020-01-01"]}, "compare_on[0]", "no USD card"),
    ({"lines": [{"country": "IN"}], "compare_on": "2025-01-01"}, "compare_on", "list"),
    ({"lines": [{"country": "IN"}], "business_country": "Britain"}, "business_country", "ISO 3166"),
    ({"lines": [{"country": "IN"}], "auth_international": "yes"}, "auth_international", "true or false"),
    ({"lines": [{"country": "IN"}], "business_phone_numbers": 0}, "business_phone_numbers", "1 or more"),
    ({"lines": [{"country": "IN"}], "business_phone_numbers": 1.5}, "business_phone_numbers", "whole"),
    ({"lines": ["IN"]}, "lines[0]", "object"),
    ({"lines": [{"country": "IN"}], "assumptions": 0.5}, "assumptions", "must be an object with utility_in_service_window"),
    ({"lines": [{"country": "IN", "assumptions": [0.5]}]}, "lines[0].assumptions", "must be an object with"),
    ({"lines": [{"country": "IN"}], "assumptions": {"paid_share": 0.5}}, "assumptions.paid_share", "unknown field"),
])
def test_bad_input_is_a_400_naming_the_field(client, body, field, fragment):
    errors = errors_of(post(client, body))
    assert field in errors, errors
    assert fragment in errors[field]


def test_every_offending_field_is_named_at_once(client):
    errors = errors_of(post(client, {"currency": "XYZ", "lines": [
        {"country": "IN", "utility": -1, "marketing": "x"}, {"phone": "nope"}]}))
    assert {"currency", "lines[0].utility", "lines[0].marketing"} <= set(errors)


@pytest.mark.parametrize("data,content_type,fragment", [
    ("", "application/json", "empty"),
    ("{not json", "application/json", "not valid JSON"),
    ('{"lines": []}', "text/plain", "application/json"),
    ("[1, 2]", "application/json", "JSON object"),
    ('{"lines": [{"country": "IN", "utility": NaN}]}', "application/json", "not valid JSON"),
    (b"\xff\xfe{", "application/json", "UTF-8"),
    ("[" * 100000, "application/json", ""),
])
def test_a_body_that_is_not_a_json_object_is_a_400(client, data, content_type, fragment):
    response = post(client, data, content_type=content_type)
    assert response.status_code == 400
    assert fragment in response.json()["errors"][0]["message"]


def test_a_wrong_method_is_a_json_405_naming_the_right_one(client):
    response = client.get("/api/v1/estimate")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["errors"][0]["message"] == "use POST (not GET)"


def test_openapi_description_lists_the_endpoints(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/estimate", "/api/v1/replay", "/api/v1/markets/resolve"} <= set(document["paths"])


def test_api_docs_page_is_readable(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "POST /api/v1/estimate" in page and "openapi.json" in page
