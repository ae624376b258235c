"""Issue 15: one way to say a volume tier everywhere ("step 2 of 6"), the messages to the next step, and a
blended rate with the places that set it apart from the list rate.

USD card of 2026-10-01, India authentication (usd-volume-tiers-2026-10-01.csv): list rate 0.0014 for
messages 0-750,000 (step 1), 0.0013 for 750,001-15,000,000 (step 2), then 15,000,001-20,000,000 at 0.0012...
six steps in all. 1,000,000 messages a month (business in India, so not international):
  750,000 x 0.0014 = 1,050.00 + 250,000 x 0.0013 = 325.00 -> 1,375.00; blended 1,375 / 1,000,000 = 0.001375
  (0.0014 at four places, the list rate's own: five places tell them apart, 0.00138);
  next step at 15,000,001: 15,000,001 - 1,000,000 = 14,000,001 more messages.
"""

from __future__ import annotations

import html
import io
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from pypdf import PdfReader

from calculator.engine.estimate import EstimateLine, EstimateRequest
from quotes import testing
from quotes.requests import StoredRequest
from calculator.engine.vocabulary import rate_number, tier_step, to_next_step

pytestmark = pytest.mark.django_db

INDIA_AUTH = urlencode({"on": "2026-11-01", "currency": "USD", "business_country": "IN", "lines-TOTAL_FORMS": 1,
                        "lines-0-country": "IN", "lines-0-authentication": "1000000"})


def test_the_words_of_a_tier():
    assert tier_step(0, 6) == "step 1 of 6"
    assert tier_step(1, 6) == "step 2 of 6"
    assert to_next_step(Decimal(14_000_001)) == "14,000,001 more messages to the next step"
    assert to_next_step(1) == "1 more message to the next step"


def test_a_blended_rate_has_the_places_that_tell_it_from_the_list_rate():
    assert rate_number(Decimal("0.001375"), Decimal("0.0014")) == "0.00138"
    assert rate_number(Decimal("0.0014"), Decimal("0.0014")) == "0.0014"
    assert rate_number(Decimal("0.0185"), Decimal("0.0200")) == "0.0185"  # four places already differ


def test_the_calculator_page_says_the_step_the_next_step_and_the_blended_rate(client):
    page = html.unescape(client.get(f"/?{INDIA_AUTH}").content.decode())
    assert "step 2 of 6" in page
    assert "14,000,001 more messages to the next step" in page
    assert "$0.00138" in page
    assert "tier 1 of 5" not in page
    assert "$1,375.00" in page


def test_a_quote_says_the_tier_the_same_way_on_its_page_and_pdf(client):
    seller = testing.user("sam", testing.SALES)
    stored = StoredRequest(EstimateRequest(lines=(EstimateLine(country="IN", authentication=Decimal(1_000_000)),),
                                           business_country="IN"), date(2026, 11, 1), None, "USD")
    quote = testing.quote(seller, stored=stored)
    page = html.unescape(client.get(f"/q/{quote.share_token}/").content.decode())
    assert "step 2 of 6" in page and "14,000,001 more messages to the next step" in page
    pdf = client.get(f"/q/{quote.share_token}/pdf").content
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "step 2 of 6" in " ".join(text.split())
