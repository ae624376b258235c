"""Issue 15: the paste box. Numbers without a country code use the business's country; WhatsApp's own
forms are read (Mexico +52 1 ...); refused lines say why in the user's words; the numbers may be used as
the country split of a monthly total; after adding, the new total is in view."""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from django.http import QueryDict

from calculator.paste import PasteResult, merge_lines, read_numbers, split_counts
from tests.engine_fixtures import market_map

pytestmark = pytest.mark.django_db
ON = date(2026, 11, 1)


def test_numbers_without_a_country_code_are_the_business_countrys():
    result = read_numbers("612 345 678\n+34 612 345 679\n0034 612 345 680\n+91 98765 43210\n", market_map(ON), "ES")
    assert dict(result.by_country) == {"ES": 3, "IN": 1}
    assert not result.invalid


def test_without_a_business_country_such_a_number_is_refused_saying_how_to_fix_it():
    result = read_numbers("612 345 678\n", market_map(ON))
    assert [(bad.line, bad.reason) for bad in result.invalid] == [(1, (
        "no country code: write it as +34 612 345 678, or fill in your business's country so numbers without "
        "one count as there"))]


def test_whatsapps_own_mexican_form_is_one_mexican_recipient():
    # +52 1 55 1234 5678 is how WhatsApp writes the Mexican mobile +52 55 1234 5678: the same person
    result = read_numbers("+52 1 55 1234 5678\n5215512345678\n+52 55 1234 5678\n", market_map(ON))
    assert dict(result.by_country) == {"MX": 1} and result.duplicates == 2 and not result.invalid


@pytest.mark.parametrize(("typed", "reason"), [
    ("call me", "not a phone number: only digits, spaces, +, ( ) and - are read"),
    ("12345", "too short for a phone number"),
    ("+34 612 345", "not a valid number in Spain: check how many digits it has"),
    ("+999 1234 5678", "not a country calling code we know: check the digits after the +"),
])
def test_a_refused_line_says_why_in_the_users_words(typed, reason):
    result = read_numbers(typed, market_map(ON), "ES")
    assert [bad.reason for bad in result.invalid] == [reason]


def test_a_monthly_total_is_split_as_the_numbers_are_in_whole_messages():
    pasted = PasteResult()
    pasted.by_country.update({"ES": 2, "MX": 1})
    # 200,000 x 2/3 = 133,333.33 and 200,000 x 1/3 = 66,666.67: floors 133,333 + 66,666 = 199,999, the one
    # left goes to the larger remainder (Mexico's .67)
    assert split_counts(pasted, Decimal(200_000)) == {"ES": Decimal(133_333), "MX": Decimal(66_667)}


def test_split_merges_into_the_lines():
    data = QueryDict("on=2026-11-01&lines-TOTAL_FORMS=1&lines-0-country=ES&lines-0-marketing=1.000", mutable=True)
    pasted = PasteResult()
    pasted.by_country.update({"ES": 3, "MX": 1})
    merged = merge_lines(data, pasted, "marketing", None, Decimal(100_000))
    # Spain 3/4 of 100,000 = 75,000 added to the 1,000 typed ("1.000"); Mexico 25,000
    assert (merged["lines-0-country"], merged["lines-0-marketing"]) == ("ES", "76000")
    assert (merged["lines-1-country"], merged["lines-1-marketing"]) == ("MX", "25000")
    assert pasted.added == {"ES": Decimal(75_000), "MX": Decimal(25_000)}


def test_the_page_splits_keeps_the_new_total_in_view_and_lists_the_refused_lines(client):
    data = {"numbers": "612 345 678\n612 345 679\n+52 1 55 1234 5678\nhola\n", "category": "marketing",
            "use": "split", "monthly_total": "200.000", "on": "2026-11-01", "currency": "USD",
            "business_country": "España", "lines-TOTAL_FORMS": "1"}
    response = client.post("/paste-numbers/", data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calculator")
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    pushed = QueryDict(response["HX-Push-Url"].split("?", 1)[1])
    # Spain 2/3 of 200,000 = 133,333.33 -> 133,333; Mexico 66,666.67 -> 66,667
    assert (pushed["lines-0-country"], pushed["lines-0-marketing"]) == ("ES", "133333")
    assert (pushed["lines-1-country"], pushed["lines-1-marketing"]) == ("MX", "66667")
    # USD 2026-10-01 marketing: Spain 133,333 x 0.0707 = 9,426.6431; Mexico 66,667 x 0.0397 = 2,646.6799
    # -> 12,073.3230, shown 12,073.32
    report = re.search(r'id="paste-report".*?</div>', text, re.S).group(0)
    assert "Your estimate is now <strong>$12,073.32</strong> a month." in report
    assert "Numbers without a country code were read as Spain." in report
    assert "Spain (Spain): 2 numbers → 133,333 messages added" in report
    assert "Line 4: <code>hola</code> — not a phone number" in report


def test_without_javascript_the_paste_keeps_the_estimate_of_the_page(client):
    estimate = "on=2026-11-01&currency=USD&lines-TOTAL_FORMS=1&lines-0-country=IN&lines-0-marketing=10"
    response = client.post("/paste-numbers/", {"numbers": "+5511912345678", "category": "marketing",
                                                "use": "recipients", "per_recipient": "1", "estimate": estimate})
    calc = response.context["calc"]
    assert [f["country"].value() for f in calc.formset.forms] == ["IN", "BR"]
    assert 'name="estimate" value="' in response.content.decode()


def test_a_split_without_a_total_asks_for_it(client):
    response = client.post("/paste-numbers/", {"numbers": "+5511912345678", "category": "marketing", "use": "split"})
    text = html.unescape(response.content.decode())
    assert "enter the messages a month to split by country, e.g. 200.000" in text
