"""Which market a number or country is billed as, on a date, from the shipped mapping."""

from datetime import date

import pytest

from ratecards import catalog
from calculator.engine.markets import InvalidPhoneNumber, UnknownCountry

pytestmark = pytest.mark.django_db

RESOLUTION_TABLE = [
    # phone, date, market, ISO country, matched prefix
    ("+1 809 555 0100", "2026-11-01", "Rest of Latin America", "DO", "1809"),
    ("+1 876 555 0100", "2026-11-01", "Rest of Latin America", "JM", "1876"),
    ("+1 939 555 0100", "2026-11-01", "Rest of Latin America", "PR", "1939"),
    ("+1 212 555 0100", "2026-11-01", "North America", "US", "1"),
    ("+263 77 123 4567", "2025-09-30", "Other", "ZW", "263"),
    ("+263 77 123 4567", "2025-10-01", "Rest of Africa", "ZW", "263"),
    ("+852 5123 4567", "2026-06-30", "Rest of Asia Pacific", "HK", "852"),
    ("+852 5123 4567", "2026-07-01", "Hong Kong", "HK", "852"),
    ("+7 701 123 4567", "2026-09-30", "Other", "KZ", "77"),  # not listed by Meta before 2026-10-01
    ("+7 701 123 4567", "2026-10-01", "Kazakhstan", "KZ", "77"),
    ("+7 912 345 6789", "2026-10-01", "Russia", "RU", "7"),
    ("+30 210 123 4567", "2026-11-01", "Rest of Central & Eastern Europe", "GR", "30"),
    ("919800000001", "2026-11-01", "India", "IN", "91"),
]


@pytest.mark.parametrize("phone,on,market,country,prefix", RESOLUTION_TABLE)
def test_a_number_resolves_to_the_market_of_its_longest_prefix_in_force(phone, on, market, country, prefix):
    found = catalog.market_map(date.fromisoformat(on)).resolve_phone(phone)
    assert (found.market, found.country, found.prefix) == (market, country, prefix)


def test_a_number_of_an_unlisted_country_is_other():
    found = catalog.market_map(date(2026, 11, 1)).resolve_phone("+354 551 1234")  # Iceland
    assert found.market == "Other"
    assert found.country == "IS"
    assert found.prefix is None


@pytest.mark.parametrize(
    "iso2,on,market",
    [("DO", "2026-11-01", "Rest of Latin America"), ("US", "2026-11-01", "North America"),
     ("ZW", "2025-09-30", "Other"), ("ZW", "2025-10-01", "Rest of Africa"), ("hk", "2026-07-01", "Hong Kong"),
     ("IS", "2026-11-01", "Other"), ("GR", "2026-11-01", "Rest of Central & Eastern Europe")],
)
def test_a_country_resolves_to_its_market_on_the_date(iso2, on, market):
    assert catalog.market_map(date.fromisoformat(on)).resolve_country(iso2).market == market


@pytest.mark.parametrize("text", ["", "hello", "+1 555", "+999 123 456 789", "+44 12"])
def test_an_impossible_number_is_refused_with_a_message(text):
    with pytest.raises(InvalidPhoneNumber) as refused:
        catalog.market_map(date(2026, 11, 1)).resolve_phone(text)
    assert str(refused.value)


def test_an_unknown_country_code_is_refused():
    with pytest.raises(UnknownCountry, match="ISO 3166"):
        catalog.market_map(date(2026, 11, 1)).resolve_country("XX")


def test_resolve_api_answers_as_the_contract_shows(client):
    response = client.get("/api/v1/markets/resolve", {"phone": "+18095550100", "on": "2026-11-01"})
    assert response.status_code == 200
    assert response.json() == {
        "phone": "+18095550100", "on": "2026-11-01", "market": "Rest of Latin America", "country": "DO",
        "calling_code": "1", "prefix": "1809",
    }


def test_resolve_api_accepts_spaces_and_no_plus(client):
    response = client.get("/api/v1/markets/resolve", {"phone": "852 5123 4567", "on": "2026-06-30"})
    assert response.json()["market"] == "Rest of Asia Pacific"


def test_resolve_api_defaults_to_today(client):
    from django.utils import timezone

    response = client.get("/api/v1/markets/resolve", {"phone": "+852 5123 4567"})
    assert response.json()["on"] == timezone.localdate().isoformat()


@pytest.mark.parametrize(
    "params,field,fragment",
    [({"phone": "+1 555"}, "phone", "not"), ({"phone": "+18095550100", "on": "2026-13-01"}, "on", "YYYY-MM-DD"),
     ({}, "phone", "exactly one"), ({"country": "XX"}, "country", "ISO 3166")],
)
def test_resolve_api_refuses_bad_input_with_a_clear_400(client, params, field, fragment):
    response = client.get("/api/v1/markets/resolve", params)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"] == field
    assert fragment in errors[0]["message"]
