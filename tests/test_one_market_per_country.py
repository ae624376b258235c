"""One market per country, everywhere (issue 10, point 3).

Meta maps a number to its country (libphonenumber's region for its digits; Meta lists the NANP area
codes of the Dominican Republic, Jamaica and Puerto Rico) and the country to a market; a country Meta
does not list is Other, also when it shares a calling code with a listed one. So a country typed by ISO
code and a number of that country give the same market in the resolve API, estimates, the paste box,
replays, quotes and usage, and `country` is always the number's own country.

Rates used below (shipped files): USD 2026-10-01 marketing: Other 0.0604, North America 0.0250, United
Kingdom 0.0635; USD 2026-04-01 (in force 2026-08-03) marketing: Other 0.0604, United Kingdom 0.0529.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.http import QueryDict

from calculator.engine.replay import replay
from calculator.engine.timeline import UTC, Event, ReplayRequest
from ratecards import catalog
from calculator.engine.markets import country_of_digits
from tests.engine_fixtures import load_card, market_map_of_day
from usage.ingest import ingest
from usage.models import Message, Workspace

pytestmark = pytest.mark.django_db

# number, its own country, the date, the market Meta bills it as
SHARED_CODES = [
    ("+1 242 357 1234", "BS", "2026-11-01", "Other"),  # Bahamas, under +1 but not listed by Meta
    ("+1 868 221 1234", "TT", "2026-11-01", "Other"),  # Trinidad and Tobago
    ("+1 671 472 1234", "GU", "2026-11-01", "Other"),  # Guam
    ("+44 7911 123456", "GG", "2026-11-01", "Other"),  # Guernsey mobile, under +44
    ("+44 1534 123456", "JE", "2026-11-01", "Other"),  # Jersey
    ("+44 1624 612345", "IM", "2026-11-01", "Other"),  # Isle of Man
    ("+7 701 123 4567", "KZ", "2026-10-01", "Kazakhstan"),
    ("+1 202 555 0143", "US", "2026-11-01", "North America"),
    ("+1 416 555 0143", "CA", "2026-11-01", "North America"),
    ("+1 809 555 0100", "DO", "2026-11-01", "Rest of Latin America"),
    ("+44 7400 123456", "GB", "2026-11-01", "United Kingdom"),
    ("+7 912 345 6789", "RU", "2026-09-30", "Russia"),
]


@pytest.mark.parametrize("phone,country,on,market", SHARED_CODES)
def test_resolve_gives_a_number_and_its_country_the_same_market(client, phone, country, on, market):
    by_phone = client.get("/api/v1/markets/resolve", {"phone": phone, "on": on}).json()
    by_country = client.get("/api/v1/markets/resolve", {"country": country, "on": on}).json()
    assert (by_phone["market"], by_phone["country"]) == (market, country)
    assert by_country["market"] == market


@pytest.mark.parametrize("phone,country,on,market", SHARED_CODES)
def test_the_fast_digit_path_agrees_with_the_parsed_number(phone, country, on, market):
    """Replay and usage place numbers from their digits without parsing each one: same answer."""
    digits = phone.replace(" ", "").lstrip("+")
    assert country_of_digits(digits) == country
    found = catalog.market_map(date.fromisoformat(on)).resolve_digits(digits)
    assert (found.market, found.country) == (market, country)


def test_an_estimate_prices_a_bahamas_number_as_its_country_other(client):
    body = {"on": "2026-11-01", "lines": [{"phone": "+1 242 357 1234", "marketing": 1000},
                                          {"country": "BS", "marketing": 1000}]}
    response = client.post("/api/v1/estimate", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["lines"] == [{"market": "Other", "country": "BS", "authentication_international": False}] * 2
    # 2,000 marketing messages to Other at 0.0604 = 120.80 (as North America, 0.0250, it would be 50.00)
    assert answer["estimates"][0]["total"] == "120.80"


def test_a_us_number_is_labelled_us_in_estimates(client):
    body = {"on": "2026-11-01", "lines": [{"phone": "+1 202 555 0143", "utility": 10}]}
    response = client.post("/api/v1/estimate", data=json.dumps(body), content_type="application/json")
    assert response.json()["lines"][0]["country"] == "US"


def _replay(client, events, **extra):
    response = client.post("/api/v1/replay", data=json.dumps({"events": events, **extra}),
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["results"][0]


def test_a_replay_bills_shared_code_numbers_by_their_country(client):
    result = _replay(client, [
        {"at": "2026-11-03T10:00:00Z", "user": "+12423571234", "kind": "template", "category": "marketing"},
        {"at": "2026-11-03T10:00:00Z", "user": "+12025550143", "kind": "template", "category": "marketing"},
        {"at": "2026-08-03T10:00:00Z", "user": "447911123456", "kind": "template", "category": "marketing"},
    ])
    # Bahamas: Other 0.0604 (not North America's 0.0250); US: North America 0.0250;
    # Guernsey on 2026-08-03: Other 0.0604 on the USD 2026-04-01 card (not the United Kingdom's 0.0529)
    assert [e["amount"] for e in result["events"]] == ["0.0604", "0.0250", "0.0604"]
    markets = {m["market"]: m["total"] for m in result["by_market"]}
    assert markets == {"Other": "0.12", "North America": "0.03"}  # 0.1208 and 0.0250 rounded


def test_a_canadian_business_sending_to_a_us_number_is_not_domestic(client):
    """Authentication-international depends on the recipient's country, not its market: CA -> US is abroad.

    North America has no authentication-international rate, so abroad shows as the warning that its
    authentication is priced at the authentication rate; to a Canadian number there is no such warning.
    """
    def warnings(user):
        return _replay(client, [{"at": "2026-11-03T10:00:00Z", "user": user, "kind": "template",
                                 "category": "authentication"}],
                       business_country="CA", auth_international=True)["warnings"]

    assert any("authentication-international" in w and "North America" in w for w in warnings("+12025550143"))
    assert not any("authentication-international" in w for w in warnings("+14165550143"))


def test_the_engine_gives_a_us_user_the_country_us():
    """The engine's own resolution (whatif replays stored digits) places a US number in the US."""
    card = load_card("usd-2026-10-01")
    request = ReplayRequest((Event(datetime(2026, 11, 3, tzinfo=UTC), "12025550143", "template", "authentication"),),
                            business_country="CA", auth_international=True)
    result = replay(request, card, market_map_of_day)
    assert any("authentication-international" in w for w in result.warnings)


def test_the_paste_box_counts_a_bahamas_number_as_bahamas_other(client):
    from calculator.paste import read_numbers

    result = read_numbers("+1 242 357 1234\n+1 202 555 0143\n+44 7911 123456\n", catalog.market_map(date(2026, 11, 1)))
    assert dict(result.by_country) == {"BS": 1, "US": 1, "GG": 1}
    assert result.markets == {"BS": "Other", "US": "North America", "GG": "Other"}


def test_usage_places_webhook_numbers_by_their_country():
    workspace = Workspace.objects.create(name="Acme", slug="acme")
    nov_3 = 1793664000  # 2026-11-03T00:00:00Z

    def status(wamid, recipient):
        return {"id": wamid, "status": "delivered", "timestamp": str(nov_3), "recipient_id": recipient,
                "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "marketing"}}

    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
             "statuses": [status("wamid.BS", "12423571234"), status("wamid.TT", "18682211234"),
                          status("wamid.US", "12025550143"), status("wamid.GG", "447911123456"),
                          # one 4-digit start, two countries: a cache by prefix would place both alike
                          status("wamid.GB", "447700900123"), status("wamid.JE", "447797123456")]}
    envelope = {"object": "whatsapp_business_account",
                "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]}
    ingest(io.BytesIO(json.dumps(envelope).encode()), workspace, filename="x.jsonl")
    placed = {m.wamid: (m.market, m.country) for m in Message.objects.filter(workspace=workspace)}
    assert placed == {"wamid.BS": ("Other", "BS"), "wamid.TT": ("Other", "TT"),
                      "wamid.US": ("North America", "US"), "wamid.GG": ("Other", "GG"),
                      "wamid.GB": ("United Kingdom", "GB"), "wamid.JE": ("Other", "JE")}
    # Charged at the USD 2026-10-01 card's marketing rates: 4 x Other 0.0604 (BS, TT, GG, JE) = 0.2416,
    # + North America 0.0250 + United Kingdom 0.0635 = 0.3301
    charges = {m.wamid: m.charge_units for m in Message.objects.filter(workspace=workspace)}
    assert sum(charges.values()) == 3301  # units of 0.0001


def test_the_calculator_prices_the_bahamas_typed_by_name_and_pasted_numbers_alike(client):
    from tests.test_calculator_views import query, shown_total

    typed = client.get("/?" + query([{"country": "Bahamas", "marketing": "1000"}], on="2026-11-01"))
    data = {"numbers": "+1 242 357 1234\n+1 242 357 1235\n", "category": "marketing", "per_recipient": "500",
            **QueryDict(query([{"country": ""}], on="2026-11-01")).dict()}
    pasted = client.post("/paste-numbers/", data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calculator")
    pushed = QueryDict(pasted["HX-Push-Url"].split("?", 1)[1])
    assert (pushed["lines-0-country"], pushed["lines-0-marketing"]) == ("BS", "1000")
    # 1,000 marketing messages to Other at 0.0604 = 60.40 on the USD 2026-10-01 card (North America: 25.00)
    assert shown_total(typed) == shown_total(pasted) == Decimal("60.40")


def test_a_quote_prices_a_bahamas_number_as_its_country_other(client):
    from accounts.models import APIKey
    from quotes import testing

    key = APIKey.create_for(testing.user("sam", testing.SALES), "CRM script")[1]
    body = {"customer": "Acme Ltd", "on": "2026-11-01", "lines": [{"phone": "+1 242 357 1234", "marketing": 1000}]}
    response = client.post("/api/v1/quotes", data=json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["estimate"]["lines"] == [{"market": "Other", "country": "BS", "authentication_international": False}]
    # 1,000 marketing messages to Other at 0.0604 (USD 2026-10-01) = 60.40; no plan: the quote is Meta's price
    assert answer["estimate"]["estimates"][0]["total"] == answer["total"] == "60.40"
