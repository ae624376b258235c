"""The calculator (whole page, htmx fragment, CSV) with Meta Business Agent tokens and the stale-rules
notice (issue 10, points 5 and 6), without JavaScript: plain GET requests.

Rates by hand: Germany marketing EUR 0.1131 (eur-rates-2026-07-01.csv); India marketing USD 0.0118
(usd-rates-2026-10-01.csv); the agent USD 2.00 per million tokens from 2026-08-01.
"""

from __future__ import annotations

import csv
import html
import io
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlencode

import pytest

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "estimate-result"}


def query(lines: list[dict], **settings) -> str:
    data = {"on": "2026-11-01", "currency": "USD", **settings, "lines-TOTAL_FORMS": len(lines)}
    for index, line in enumerate(lines):
        data |= {f"lines-{index}-{name}": value for name, value in line.items()}
    return urlencode(data)


def shown_total(text: str) -> Decimal:
    match = re.search(r'id="estimate-result"[^>]*data-total="([\d.]+)"', text)
    assert match, "no total in #estimate-result"
    return Decimal(match.group(1))


def test_agent_tokens_are_a_field_and_are_added_to_the_total(client):
    page = client.get("/?" + query([{"country": "IN", "marketing": "1000"}],
                                   meta_business_agent_tokens="25,000,000")).content.decode()
    assert 'name="meta_business_agent_tokens"' in page
    assert "Meta Business Agent tokens a month" in page
    # 1000 x 0.0118 = 11.80 + 25 million x 2.00 = 50.00 -> 61.80
    assert shown_total(page) == Decimal("61.80")
    row = re.search(r'<tr class="agent-row">(.*?)</tr>', page, re.S).group(1)
    assert "25,000,000 tokens" in row and "$50.00" in row


def test_agent_tokens_before_billing_cost_nothing_with_a_note(client):
    page = client.get("/?" + query([{"country": "IN"}], on="2026-07-01",
                                   meta_business_agent_tokens="1000000")).content.decode()
    assert shown_total(page) == Decimal("0.00")
    assert "1,000,000 tokens cost nothing on 2026-07-01 (Meta bills them from 2026-08-01)" in html.unescape(page)


@pytest.mark.parametrize("typed, message", [
    ("-5", "must be zero or more"),
    ("2.5", "is a fraction: a count is a whole number (2 or 3, not 2.5)"),
    ("10000000000000000", "must be at most 10,000,000,000,000"),
    ("lots", "is not a number"),
])
def test_a_bad_token_count_is_named_beside_its_field_and_left_out(client, typed, message):
    response = client.get("/?" + query([{"country": "IN", "marketing": "1000"}], meta_business_agent_tokens=typed))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    error = re.search(r'id="id_meta_business_agent_tokens_error"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert message in error
    assert shown_total(page) == Decimal("11.80")  # priced without the tokens until fixed


def test_a_eur_estimate_after_the_rule_change_shows_the_notice_next_to_the_total(client):
    page = client.get("/?" + query([{"country": "DE", "marketing": "1000"}], currency="EUR",
                                   meta_business_agent_tokens="25000000")).content.decode()
    text = html.unescape(page)
    notice = re.search(r'<div class="notice stale-rules"[^>]*>(.*?)</div>', text, re.S).group(1)
    assert "Meta's rules changed on 1 October 2026" in notice
    assert "EUR 2026-07-01 is the latest EUR card" in notice
    assert "service free" in notice and "USD 2026-10-01" in notice
    link = re.search(r'href="/\?([^"]+)"[^>]*>Price in USD</a>', notice).group(1)
    offered = parse_qs(link)
    assert offered["currency"] == ["USD"]
    assert offered["lines-0-country"] == ["DE"] and offered["lines-0-marketing"] == ["1000"]
    assert offered["meta_business_agent_tokens"] == ["25000000"]
    # The notice sits in the total's card, before the comparisons; it is not repeated in the warnings list.
    assert text.index("stale-rules") < text.index("By category")
    assert text.count("Meta's rules changed for every currency") == 0
    # The EUR total: Germany 1000 x 0.1131 = 113.10; the tokens have no EUR rate, so they are not in it.
    assert shown_total(text) == Decimal("113.10")
    assert "Meta Business Agent: no EUR rate" in text
    # Following the link prices the same estimate in USD: no notice.
    usd = client.get("/?" + link).content.decode()
    assert "stale-rules" not in usd
    assert shown_total(usd) == Decimal("136.50") + Decimal("50.00")  # Germany 1000 x 0.1365 USD + 25 x 2.00


def test_the_htmx_fragment_carries_the_notice_too(client):
    fragment = client.get("/?" + query([{"country": "DE", "marketing": "1000"}], currency="EUR"), **HTMX)
    assert 'class="notice stale-rules"' in fragment.content.decode()


def test_the_csv_has_a_row_for_the_agent_tokens(client):
    response = client.get("/estimate.csv?" + query([{"country": "IN", "marketing": "1000"}],
                                                   meta_business_agent_tokens="25000000"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    agent = [r for r in rows if r["category"] == "meta_business_agent" and r["in_force"] == "yes"]
    assert len(agent) == 1
    assert (agent[0]["charged"], agent[0]["amount"]) == ("25000000", "50.00")
    total = next(r for r in rows if r["category"] == "total" and r["in_force"] == "yes")
    assert total["amount"] == "61.80"
