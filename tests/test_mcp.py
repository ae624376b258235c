"""The MCP server at /mcp, driven by the official SDK's own client over streamable HTTP against the
live site: every tool, its answers in the JSON API's shapes, and tool errors naming the field.

Figures are worked by hand from the shipped USD 2026-10-01 card (India marketing 0.0118, utility 0.0014).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from decimal import Decimal

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from accounts.models import APIKey
from quotes import testing
from quotes.models import Quote, TaxSetting
from ratecards.models import RateCard
from tests.event_loops import no_running_loop  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_running_loop")]
ON = "2026-11-01"
MIX = [{"country": "IN", "marketing": 1000, "utility": 1000}]


def call(url: str, name: str | None, arguments: dict | None = None, key: str | None = None):
    """Connect with the SDK's client (headers as an MCP client's configuration sets them) and call a tool;
    without a name, list the tools."""

    async def talk():
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
                if name is None:
                    return await client.list_tools()
                return await client.call_tool(name, arguments or {})

    return asyncio.run(talk())


def errors_of(result) -> dict[str, str]:
    assert result.is_error, result
    errors = result.structured_content["errors"]
    assert json.loads(result.content[0].text) == {"errors": errors}
    return {e["field"]: e["message"] for e in errors}


def ok(result) -> dict:
    assert not result.is_error, result.structured_content
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def test_the_server_lists_its_six_tools_with_descriptions_and_input_schemas(live_server):
    tools = {tool.name: tool for tool in call(live_server.url, None).tools}
    assert set(tools) == {"estimate", "resolve_market", "replay", "list_rate_cards", "compare_rate_cards",
                          "create_quote"}
    for tool in tools.values():
        assert len(tool.description) > 100 and tool.input_schema["type"] == "object"
    assert "lines" in tools["estimate"].input_schema["properties"]
    assert tools["replay"].input_schema["required"] == ["events"]
    assert "Authorization: Bearer" in tools["create_quote"].description
    assert tools["estimate"].annotations.read_only_hint and not tools["create_quote"].annotations.read_only_hint


def test_estimate_answers_the_apis_shape_and_figures(live_server):
    body = ok(call(live_server.url, "estimate", {"on": ON, "compare_on": ["2025-01-15"], "lines": MIX}))
    first, old = body["estimates"]
    assert first["rate_card"]["name"] == "USD 2026-10-01"
    # 1,000 x 0.0118 + 1,000 x 0.0014 = 11.80 + 1.40
    assert (first["total"], first["by_category"]["marketing"], first["by_category"]["utility"]) == ("13.20", "11.80", "1.40")
    assert old["rate_card"]["pricing_model"] == "conversation" and old["on"] == "2025-01-15"
    assert body["lines"][0]["market"] == "India"


def test_estimate_reads_numbers_exactly_as_the_api_does(live_server):
    """A JSON number is read as Decimal from the request's text, as the API reads it (the SDK would make a float).

    10^12 + 0.000001 is over the bound of 10^12 messages a line; as a float it is exactly 10^12 and would pass.
    """
    text = ('{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "estimate", "arguments": '
            '{"on": "2026-11-01", "lines": [{"country": "IN", "marketing": 1000000000000.000001}]}}}')
    response = httpx2.post(live_server.url + "/mcp", content=text, headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    result = response.json()["result"]
    assert result["isError"] is True
    (error,) = result["structuredContent"]["errors"]
    assert error["field"] == "lines[0].marketing" and "at most" in error["message"], error


def test_bad_input_is_a_tool_error_naming_every_field(live_server):
    errors = errors_of(call(live_server.url, "estimate", {"on": "2026-13-01", "lines": [
        {"country": "XX", "marketing": -1}]}))
    assert set(errors) == {"on", "lines[0].country", "lines[0].marketing"}
    assert "zero or more" in errors["lines[0].marketing"]
    assert "lines" in errors_of(call(live_server.url, "estimate", {"on": ON}))
    too_many = [{"country": "IN", "marketing": 1}] * 1001
    assert "1,000" in errors_of(call(live_server.url, "estimate", {"lines": too_many}))["lines"]
    assert "unknown field" in errors_of(call(live_server.url, "resolve_market", {"phone": "+1", "pone": 1}))["pone"]


def test_resolve_market(live_server):
    body = ok(call(live_server.url, "resolve_market", {"phone": "+18095550100", "on": ON}))
    assert body == {"phone": "+18095550100", "on": ON, "market": "Rest of Latin America", "country": "DO",
                    "calling_code": "1", "prefix": "1809"}
    assert ok(call(live_server.url, "resolve_market", {"country": "IN", "on": ON}))["market"] == "India"
    assert "phone" in errors_of(call(live_server.url, "resolve_market", {"phone": "+1 555", "on": ON}))
    assert "phone" in errors_of(call(live_server.url, "resolve_market", {}))


def test_replay_prices_each_event(live_server):
    events = [{"at": "2026-11-02T00:00:00Z", "user": "+919800000001", "kind": "template", "category": "marketing"},
              {"at": "2026-11-02T01:00:00Z", "user": "+919800000001", "kind": "user_message"}]
    body = ok(call(live_server.url, "replay", {"cards_on": [ON], "events": events}))
    (result,) = body["results"]
    assert result["rate_card"]["name"] == "USD 2026-10-01"
    # one marketing template to India: 0.0118, rounded to the cent for the total
    assert result["events"][0] == {"charged": True, "type": "regular", "category": "marketing", "amount": "0.0118",
                                   "market": "India"}
    assert result["events"][1]["type"] == "inbound" and result["total"] == "0.01"
    assert "events[0].kind" in errors_of(call(live_server.url, "replay", {"events": [events[0] | {"kind": "fax"}]}))


def later_usd_card(india_marketing: str) -> RateCard:
    """USD 2026-10-01 again from 2027-01-01 with another India marketing rate, published."""
    draft = RateCard.objects.in_force("USD", date(2026, 11, 1)).new_draft()
    draft.effective_from = date(2027, 1, 1)
    draft.save()
    rate = draft.rates.get(market__name="India", category="marketing")
    rate.rate = Decimal(india_marketing)
    rate.save()
    draft.publish()
    return draft


def test_list_and_compare_rate_cards(live_server):
    listed = ok(call(live_server.url, "list_rate_cards", {"currency": "USD", "on": ON}))["rate_cards"]
    assert [(c["name"], c["pricing_model"]) for c in listed] == [("USD 2026-10-01", "message")]
    every_usd = ok(call(live_server.url, "list_rate_cards", {"currency": "USD"}))["rate_cards"]
    assert [c["name"] for c in every_usd][:2] == ["USD 2024-11-01", "USD 2025-07-01"]
    new = later_usd_card("0.0200")
    body = ok(call(live_server.url, "compare_rate_cards", {"new": new.pk}))
    assert (body["old"]["name"], body["new"]["name"]) == ("USD 2026-10-01", "USD 2027-01-01")
    # (0.0200 - 0.0118) / 0.0118 = 69.49...% -> 69.5
    assert body["changes"] == [{"market": "India", "category": "marketing", "old": "0.0118", "new": "0.0200",
                                "change": "up", "change_percent": "69.5"}]
    assert body["rule_changes"] == [] and body["unchanged"] > 50
    assert "new" in errors_of(call(live_server.url, "compare_rate_cards", {"new": 999999}))
    assert "new" in errors_of(call(live_server.url, "compare_rate_cards", {"new": "USD"}))


def test_create_quote_takes_an_api_key_of_a_sales_account(live_server):
    seller = testing.user("sam", testing.SALES)
    key = APIKey.create_for(seller, "assistant")[1]
    outsider_key = APIKey.create_for(testing.user("olga"), "assistant")[1]
    arguments = {"customer": "Acme Ltd", "on": ON, "compare_on": [], "lines": MIX}
    assert "authorization" in errors_of(call(live_server.url, "create_quote", arguments))
    assert "unknown or revoked" in errors_of(call(live_server.url, "create_quote", arguments, key="nope"))["authorization"]
    assert "Sales" in errors_of(call(live_server.url, "create_quote", arguments, key=outsider_key))["authorization"]
    assert "customer" in errors_of(call(live_server.url, "create_quote", arguments | {"customer": ""}, key=key))
    assert not Quote.objects.exists()
    body = ok(call(live_server.url, "create_quote", arguments, key=key))
    quote = Quote.objects.get()
    assert quote.owner == seller and quote.customer == "Acme Ltd"
    assert body["id"] == quote.reference and body["url"] == f"{live_server.url}/q/{quote.share_token}/"
    assert body["total"] == "13.20"  # no price plan: Meta's 11.80 + 1.40


def test_create_quote_answers_the_tax_of_the_customers_country(live_server):
    # MIX on 2026-11-01 (USD 2026-10-01): 1,000 x 0.0118 + 1,000 x 0.0014 = 13.20, Meta's prices alone.
    # GST 18 % for India: 13.20 x 0.18 = 2.376 -> 2.38; gross 15.58.
    TaxSetting.objects.create(country="IN", name="GST", rate=Decimal(18), effective_from=date(2017, 7, 1))
    key = APIKey.create_for(testing.user("sam", testing.SALES), "assistant")[1]
    arguments = {"customer": "Acme Pvt Ltd", "on": ON, "compare_on": [], "lines": MIX, "tax_country": "IN"}
    totals = ok(call(live_server.url, "create_quote", arguments, key=key))["totals"]
    assert (totals["provider"], totals["tax"], totals["gross"], totals["tax_name"], totals["tax_rate"]) == (
        "13.20", "2.38", "15.58", "GST", "18")
    assert "tax_country" in errors_of(call(live_server.url, "create_quote", arguments | {"tax_country": "ZZ"}, key=key))


def test_only_post_is_served(live_server, client):
    response = client.get("/mcp")
    assert response.status_code == 405 and response["Allow"] == "POST"


@pytest.mark.django_db(transaction=False)
def test_a_tool_runs_on_the_requests_own_thread_and_database_connection(client):
    """The key and its user exist only inside this test's open transaction: a tool that ran on another
    thread (another connection) would not find them."""
    key = APIKey.create_for(testing.user("sam", testing.SALES), "assistant")[1]
    message = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "create_quote", "arguments": {
        "customer": "Acme Ltd", "on": ON, "compare_on": [], "lines": MIX}}}
    response = client.post("/mcp", message, content_type="application/json", headers={
        "Accept": "application/json, text/event-stream", "Authorization": f"Bearer {key}"})
    result = response.json()["result"]
    assert result["isError"] is False, result
    assert result["structuredContent"]["total"] == "13.20" and Quote.objects.get().customer == "Acme Ltd"


def test_create_quote_takes_a_customer_id_and_prices_its_price_book(live_server):
    seller = testing.user("sam", testing.SALES)
    key = APIKey.create_for(seller, "assistant")[1]
    acme = testing.customer(seller, "Acme Ltd", testing.money_plan("Acme standard"), markup_marketing=Decimal(25),
                            fee_per_message=Decimal("0.002"), discount_percent=Decimal(10), monthly_fee=Decimal(50))
    arguments = {"customer": acme.public_id, "on": ON, "compare_on": [], "lines": [{"country": "IN", "marketing": 10000}]}
    body = ok(call(live_server.url, "create_quote", arguments, key=key))
    # 10,000 x 0.0118 = 118.00; + 25 % 29.50 + 10,000 x 0.002 = 20.00 -> 167.50; + 50 = 217.50; - 10 % = 195.75
    assert (body["customer"], body["customer_id"], body["totals"]["meta"], body["total"]) == (
        "Acme Ltd", acme.public_id, "118.00", "195.75")
    assert Quote.objects.get().customer_record == acme
    unknown = errors_of(call(live_server.url, "create_quote", arguments | {"customer": "cus_unknown0000000"}, key=key))
    assert "no customer has the id" in unknown["customer"]
