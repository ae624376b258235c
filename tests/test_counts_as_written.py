"""Issue 15: counts as people write them. "200.000" (Spanish for two hundred thousand) was read as 200,
silently; "2e5" and "12.5" were accepted. A count is a whole number, echoed back beside its field."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from calculator.counts import CountRefused, parse_count

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("typed", "count"), [
    ("200.000", 200_000), ("200,000", 200_000), ("200 000", 200_000), ("200\u202f000", 200_000),
    ("200k", 200_000), ("200 K", 200_000), ("1.5M", 1_500_000), ("1,5M", 1_500_000), ("2bn", 2_000_000_000),
    ("1.000.000", 1_000_000), ("1,000,000", 1_000_000), ("1.234,00", 1234), ("1,234.00", 1234), ("12.0", 12),
    ("25000", 25_000), ("0", 0), ("", None), ("  ", None),
])
def test_a_count_is_read_as_people_write_it(typed, count):
    assert parse_count(typed) == count


@pytest.mark.parametrize(("typed", "reason"), [
    ("12.5", "is a fraction: a count is a whole number (12 or 13, not 12.5)"),
    ("12,5", "is a fraction"), ("0.500", "is a fraction"), ("1.234,56", "is a fraction"),
    ("2.5k".replace("k", "") + "0001k", "a count is a whole number"),  # 2.50001k = 2,500.01
    ("2e5", "exponent"), ("1E+30", "exponent"), ("-5", "must be zero or more"),
    ("lots", "is not a number"), ("1.000.5", "is not a number"), ("3 lakh", "not a unit we know"),
    ("9" * 41, "too long"),
])
def test_a_text_that_is_not_a_whole_count_is_refused_with_its_reason(typed, reason):
    with pytest.raises(CountRefused, match=re.escape(reason)):
        parse_count(typed)


def page(client, **line) -> str:
    query = {"on": "2026-11-01", "currency": "USD", "lines-TOTAL_FORMS": 1, "lines-0-country": "ES"}
    query |= {f"lines-0-{name}": value for name, value in line.items()}
    response = client.get("/?" + urlencode(query))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def error_of(text: str, field: str) -> str:
    return re.search(rf'id="id_lines-0-{field}_error"[^>]*>(.*?)</p>', text, re.S).group(1)


def test_spanish_thousands_are_priced_as_two_hundred_thousand_and_echoed(client):
    text = page(client, marketing="200.000")
    # Spain marketing, USD 2026-10-01 card: 0.0707 x 200,000 = 14,140.00 (marketing has no tiers)
    assert 'data-total="14140.00"' in text
    echo = re.search(r'id="id_lines-0-marketing_echo"[^>]*>(.*?)</span>', text).group(1)
    assert echo == "= 200,000 messages"


def test_an_htmx_update_echoes_the_count_beside_the_field(client):
    query = urlencode({"on": "2026-11-01", "currency": "USD", "lines-TOTAL_FORMS": 1, "lines-0-country": "ES",
                       "lines-0-utility": "1.5M"})
    text = client.get("/?" + query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="estimate-result").content.decode()
    assert re.search(r'<span class="count-echo" id="id_lines-0-utility_echo" hx-swap-oob="true">= 1,500,000 messages',
                     text)


@pytest.mark.parametrize(("typed", "message"), [
    ("12.5", "'12.5' is a fraction: a count is a whole number (12 or 13, not 12.5)"),
    ("2e5", "'2e5' is written with an exponent"),
])
def test_a_fraction_or_an_exponent_is_refused_beside_its_field_and_the_rest_still_priced(client, typed, message):
    text = page(client, marketing=typed, utility="1000")
    assert message in error_of(text, "marketing")
    # Spain utility 1,000 x 0.0200 = 20.00; the marketing field is left out until fixed
    assert 'data-total="20.00"' in text
    assert "Line 1: marketing left out until fixed." in text


def test_the_token_field_reads_counts_the_same_way(client):
    query = urlencode({"on": "2026-11-01", "currency": "USD", "lines-TOTAL_FORMS": 1, "lines-0-country": "IN",
                       "meta_business_agent_tokens": "25M"})
    text = html.unescape(client.get("/?" + query).content.decode())
    # 25,000,000 tokens x USD 2.00 a million = 50.00
    assert 'data-total="50.00"' in text
    assert "= 25,000,000 tokens" in text
