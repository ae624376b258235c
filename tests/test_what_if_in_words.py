"""Issue 15: what-if answered in words. Setting "utility sent while the chat is open" to 50 % left the
headline unchanged with no word why; the authentication-international box and the entry-point share
changed the bill without saying by how much.

The mix, priced on 2026-11-01 in USD (card in force: USD 2026-10-01, utility charged inside the window):
  Spain marketing 200,000 x 0.0707 = 14,140.00; Spain utility 50,000 x 0.0200 = 1,000.00 (list rate up to
  100,000); India authentication 100,000 x 0.0014 = 140.00 (list rate up to 750,000) -> 15,280.00.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.django_db

MIX = {"on": "2026-11-01", "currency": "USD", "lines-TOTAL_FORMS": 2, "lines-0-country": "España",
       "lines-0-marketing": "200.000", "lines-0-utility": "50.000", "lines-1-country": "IN",
       "lines-1-authentication": "100000"}


def page(client, **settings) -> str:
    return html.unescape(client.get("/?" + urlencode(MIX | settings)).content.decode())


def effect(text: str, field: str) -> str:
    return re.search(rf'<p class="effect" id="id_{field}_effect"[^>]*>(.*?)</p>', text, re.S).group(1)


def total(text: str) -> str:
    return re.search(r'id="estimate-result"[^>]*data-total="([\d.]+)"', text).group(1)


def test_utility_inside_the_chat_window_says_why_the_total_does_not_move_and_what_the_older_rules_save(client):
    text = page(client, utility_in_service_window="50", business_country="ES")
    assert total(text) == "15280.00"  # unchanged: USD 2026-10-01 charges utility inside the window
    # USD 2026-07-01 (the last card of the rules that free it, in force from the USD 2025-07-01 card until
    # the USD 2026-10-01 card): Spain utility 0.0200 x 50,000 x 50 % = 500.00 saved.
    expected = ("Utility inside the chat window is charged from 1 Oct 2026: your 50 % changes nothing now; "
                "under the July 2025–September 2026 rules it would save $500.00.")
    assert effect(text, "utility_in_service_window") == expected
    assert expected in re.search(r'id="effects".*?</div>', text, re.S).group(0)


def test_before_the_rule_change_the_share_saves_now_and_the_page_says_until_when(client):
    text = page(client, utility_in_service_window="50", on="2026-08-01", business_country="ES")
    # USD 2026-07-01 in force: 25,000 of Spain's 50,000 utility free, 25,000 x 0.0200 = 500.00 saved
    assert effect(text, "utility_in_service_window") == (
        "Utility sent while the chat is open is free under USD 2026-07-01: your 50 % saves $500.00 a month. "
        "From 1 Oct 2026 it is charged: then it saves nothing.")


def test_the_authentication_international_box_says_what_it_changes_before_and_after_ticking(client):
    # India authentication from a Spanish business at the international rate: 100,000 x 0.0304 = 3,040.00
    # instead of 140.00, +2,900.00 -> 18,180.00; 18,180 / 15,280 = 1.19 -> 1.2 times.
    before = page(client, business_country="ES")
    assert total(before) == "15280.00"
    assert effect(before, "auth_international") == (
        "Ticking this would add $2,900.00 a month ($18,180.00 instead of $15,280.00, 1.2 times the bill).")
    after = page(client, business_country="ES", auth_international="on")
    assert total(after) == "18180.00"
    assert effect(after, "auth_international") == (
        "Ticked: authentication to other countries at the international rate costs $2,900.00 more a month "
        "($18,180.00 instead of $15,280.00, 1.2 times the bill).")


def test_the_entry_point_share_says_what_it_saves(client):
    text = page(client, free_entry_point="20", business_country="ES")
    # 20 % of every message free (all at list rates): 15,280.00 x 0.8 = 12,224.00, 3,056.00 saved
    assert total(text) == "12224.00"
    assert effect(text, "free_entry_point") == (
        "Messages to people who came from an ad or a Page button are free for 72 hours: your 20 % saves "
        "$3,056.00 a month ($12,224.00 instead of $15,280.00).")


def test_an_update_while_typing_carries_the_words_beside_the_fields(client):
    response = client.get("/?" + urlencode(MIX | {"utility_in_service_window": "50", "business_country": "ES"}),
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="estimate-result")
    text = html.unescape(response.content.decode())
    assert re.search(r'<p class="effect" id="id_utility_in_service_window_effect" hx-swap-oob="true">Utility inside',
                     text)


def test_nothing_set_nothing_said(client):
    text = page(client, business_country="IN", **{"lines-1-authentication": ""})
    assert 'id="effects"' not in text
    assert effect(text, "utility_in_service_window") == ""
