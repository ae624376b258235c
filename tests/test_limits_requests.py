"""Issue 11, points 3 and 4: what one cheap request may cost, and numbers read once at the edge.

Every bound lives in calculator/engine/limits.py; a request over one is refused whole with a 400 that
names it, before the expensive work. Numbers such as 1E-99999999 are refused by their exponent,
never written out (written out, that one is 100 MB). How fast each refusal is (well under 2 s) is measured
by bench/bench_refusals.py (`make bench`), not here: a wall clock in a shared test run proves nothing.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from accounts.models import APIKey
from calculator.engine import limits
from quotes.models import Quote

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_rate_limits(settings, client):
    cache.clear()
    settings.RATE_LIMITS = {scope: (10**6, 60) for scope in settings.RATE_LIMITS}


@pytest.fixture
def key(sales_user):
    return APIKey.create_for(sales_user, "script")[1]


# --- point 4: a count like 1E-99999999

# The JSON number token itself (not a string): json.loads hands it to parse_float as written.
@pytest.mark.parametrize("count", ["1E-99999999", "1E-999999999", "0.0000001"])
def test_a_quote_through_the_api_with_an_absurd_exponent_is_refused_and_nothing_is_stored(client, key, count):
    body = ('{"customer": "Acme Ltd", "on": "2026-11-01", "currency": "USD", '
            '"lines": [{"country": "IN", "utility": %s}]}' % count)
    response = client.post("/api/v1/quotes", body, content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "lines[0].utility", "message": "has more than 6 decimal places"}]
    # on main: 3 s and 714 MB (1E-99999999), 29 s and a 500 (1E-999999999); now refused by the exponent
    assert Quote.objects.count() == 0


@pytest.mark.parametrize("count", ["1E-99999999", "1E-999999999"])
def test_a_quote_from_the_calculator_form_with_an_absurd_exponent_is_refused_and_nothing_is_stored(client, sales_user,
                                                                                                   count):
    client.force_login(sales_user)
    query = f"on=2026-11-01&currency=USD&lines-0-country=IN&lines-0-utility={count}"
    response = client.post("/quotes/new/", {"customer": "Acme Ltd", "on": "2026-11-01", "query": query})
    assert response.status_code == 400
    assert "need fixing first" in response.content.decode()
    assert Quote.objects.count() == 0
    # the calculator shows why, beside the field, and prices nothing from it (a count is a whole number
    # written in digits: calculator/counts.py refuses an exponent before reading it)
    page = client.get("/?" + query).content.decode()
    assert f"&#x27;{count}&#x27; is written with an exponent" in page


def test_numbers_are_normalised_once_at_the_edge():
    assert str(limits.parse_decimal("1E+3")) == "1000"  # stored as 1000, not 1E+3
    assert str(limits.parse_decimal("2.500000000")) == "2.5"  # trailing zeros past 6 places dropped
    assert str(limits.parse_decimal("2.50")) == "2.50"  # within bounds: kept as written
    assert str(limits.parse_decimal("0E-99999999")) == "0"  # zero written with a huge exponent
    for text, kind in (("1E-99999999", "too_precise"), ("1E+14", "too_large"), ("1" * 41, "too_long"),
                       ("NaN", "not_finite"), ("12abc", "not_a_number")):
        with pytest.raises(limits.NumberRefused) as refused:
            limits.parse_decimal(text)
        assert refused.value.kind == kind


def test_the_estimate_api_refuses_an_absurd_exponent_and_a_number_longer_than_40_characters(client):
    for token, message in (("1E-99999999", "has more than 6 decimal places"),
                           ("1E+999999999", "must be at most 1,000,000,000,000")):
        body = '{"lines": [{"country": "IN", "utility": %s}]}' % token
        response = client.post("/api/v1/estimate", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["errors"] == [{"field": "lines[0].utility", "message": message}]
    body = '{"lines": [{"country": "IN", "utility": %s}]}' % ("1" * 41)
    response = client.post("/api/v1/estimate", body, content_type="application/json")
    assert response.status_code == 400
    assert "longer than 40 characters" in response.json()["errors"][0]["message"]


# --- point 3: a cost budget per request

def test_a_45_byte_query_asking_for_1000_lines_is_a_400_naming_the_bound(client):
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/?lines-TOTAL_FORMS=1000&lines-0-country=IN", headers=headers)
        assert response.status_code == 400  # on main: 200 after ~10 s, 4.3 MB of page
        assert "an estimate has at most 50 lines (countries); this one asks for 1,000" in response.content.decode()
    response = client.get("/estimate.csv?lines-70-country=IN&lines-70-utility=5")
    assert response.status_code == 400 and b"at most 50 lines" in response.content
    # 50 lines is still a page
    assert client.get("/?lines-TOTAL_FORMS=50&lines-0-country=IN&lines-0-utility=5").status_code == 200


def test_a_replay_is_bounded_by_events_times_cards(client):
    event = {"at": "2026-11-02T03:00:00Z", "user": "+919800000001", "kind": "template", "category": "utility"}
    # 10,001 events x 10 dates = 100,010 event-cards > 100,000
    body = json.dumps({"events": [event] * 10_001, "cards_on": ["2026-11-01"] * 10})
    response = client.post("/api/v1/replay", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "events", "message": (
        "a replay prices at most 100,000 events x cards_on dates; this one asks for 10,001 events x 10 dates = "
        "100,010: send fewer events or fewer dates per request")}]
    # 10,000 x 10 is within the budget
    body = json.dumps({"events": [event] * 10_000, "cards_on": ["2026-11-01"] * 10})
    response = client.post("/api/v1/replay", body, content_type="application/json")
    assert response.status_code == 200 and len(response.json()["results"]) == 10


def test_a_paste_of_more_numbers_than_the_bound_is_refused_before_any_is_parsed(client):
    numbers = "\n".join(f"+91 98{i:08d}" for i in range(10_002))  # 10,002 lines: header allowance is 1
    response = client.post("/paste-numbers/", {"numbers": numbers, "category": "marketing", "per_recipient": "1"})
    assert response.status_code == 400  # on main: 200 after parsing them all
    assert "paste at most 10,000 numbers at a time (this has 10,002 lines)" in response.content.decode()


def test_a_json_body_of_too_many_values_is_refused_before_parsing(client):
    body = '{"lines": [' + "[]," * 1_000_000 + '{"country": "IN", "utility": 1}]}'  # 3 MB, 2,000,003 values
    response = client.post("/api/v1/estimate", body, content_type="application/json")
    assert response.status_code == 400
    assert "more than 1,000,000 values" in response.json()["errors"][0]["message"]
