"""Bounds on what one paste or one import may cost (issue 11, point 9).

A pasted line over 131,072 characters (the csv module's field limit) answered 500; a rate file of
200,000 unknown market names spent minutes in difflib suggestions, past the worker's timeout; a NUL in
a notes row passed the dry run, then failed the real import with 500 on PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict

from ratecards.importer import ImportRefused, import_card
from ratecards.importer.checking import MARKET_HINTS
from ratecards.models import RateCard
from tests.import_helpers import META_RATES, META_TIERS, database_state, replace_once, shipped

pytestmark = pytest.mark.django_db
RATES = shipped(META_RATES)
TIERS = shipped(META_TIERS)
A_NEW_DATE = date(2026, 5, 1)
FIRST_MARKET_ROW = "Argentina,USD,"


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


# --- Paste box -------------------------------------------------------------------------------------------

def test_a_pasted_line_over_the_csv_field_limit_is_listed_and_the_rest_counted(client):
    huge = "9" * 131_073
    response = client.post("/paste-numbers/", {"numbers": f"+91 98765 43210\n{huge}\n+55 11 91234-5678",
                                                "category": "marketing", "per_recipient": "1"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calculator")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 recipients" in html
    assert f"Line 2: <code>{'9' * 60}</code>" in html
    assert "the line is 131,073 characters long; at most 4,096 fit a row of phone numbers" in html
    pushed = QueryDict(response["HX-Push-Url"].split("?", 1)[1])
    assert {pushed["lines-0-country"], pushed["lines-1-country"]} == {"IN", "BR"}


def test_a_quote_mark_that_is_never_closed_spoils_only_its_own_line(client):
    response = client.post("/paste-numbers/", {"numbers": '+91 98765 43210\n"+55 11 91234-5678\n+55 11 91234-5679',
                                                "category": "marketing", "per_recipient": "1"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="calculator")
    assert response.status_code == 200
    assert "3 recipients" in response.content.decode()  # each line is its own row: the quote spans nothing


# --- Rate card import ------------------------------------------------------------------------------------

def unknown_markets(count: int) -> str:
    """Meta's file with `count` rows of unknown markets ("Nowhere 0" ...) in place of its market rows."""
    head = RATES[:RATES.index(FIRST_MARKET_ROW)]
    return head + "".join(f"Nowhere {i},USD,0.1,0.1,0.1,n/a,n/a\r\n" for i in range(count))


def refused(rates: str | bytes, **options) -> list:
    before = database_state()
    data = rates.encode() if isinstance(rates, str) else rates
    with pytest.raises(ImportRefused) as caught:
        import_card(data, None, rates_name=META_RATES, effective_from=A_NEW_DATE, **options)
    assert database_state() == before
    return caught.value.problems


def test_a_rate_file_of_200000_rows_is_refused_at_its_row_limit():
    problems = refused(unknown_markets(200_000), dry_run=True)
    [problem] = problems
    # Before the markets: 6 rows (title, 4 notes, the header over two lines) on 7 lines. Reading stops at
    # row 10,001, the 9,995th market row, on line 7 + 9,995.
    assert RATES[:RATES.index(FIRST_MARKET_ROW)].count("\n") == 7
    assert problem.column is None and problem.line == 10_002
    assert problem.message.startswith("the file has more than 10,000 rows")


def test_only_the_first_unknown_markets_get_a_suggestion():
    # "Nowhere 1" is close to no market; "Indiaa" is one letter from India. 25 misspelt rows, then one
    # more: only the first MARKET_HINTS (20) unknown names are compared with every market.
    head = RATES[:RATES.index(FIRST_MARKET_ROW)]
    rows = "".join(f"Indiaa,USD,0.1,0.1,0.1,n/a,n/a\r\n" for _ in range(MARKET_HINTS + 5))
    problems = [p for p in refused(head + rows, dry_run=True) if p.message.startswith("unknown market")]
    assert len(problems) == MARKET_HINTS + 5
    hinted = [p for p in problems if "(did you mean India?)" in p.message]
    assert hinted == problems[:MARKET_HINTS]


def test_a_market_name_longer_than_any_market_gets_no_suggestion_and_is_shown_cut():
    head = RATES[:RATES.index(FIRST_MARKET_ROW)]
    problems = refused(head + "India" * 1000 + ",USD,0.1,0.1,0.1,n/a,n/a\r\n", dry_run=True)
    unknown = next(p for p in problems if p.message.startswith("unknown market"))
    assert unknown.message == (f"unknown market '{('India' * 16)}'; markets are added under Rate cards and markets "
                               "> Markets")


NUL_IN_A_NOTE = replace_once(RATES, "rates. Learn more here: \"", "rates. Learn more\x00 here: \"")


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_nul_in_a_notes_row_is_refused_by_the_dry_run_exactly_as_by_the_import(dry_run):
    [problem] = refused(NUL_IN_A_NOTE, dry_run=dry_run)
    assert problem.line == NUL_IN_A_NOTE[:NUL_IN_A_NOTE.index("\x00")].count("\n") + 1
    assert "contains a NUL character" in problem.message


def test_the_admin_dry_run_lists_the_nul_and_writes_nothing(client):
    user = User.objects.create_user("editor", password="pw-editor-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Rate editors"))
    client.force_login(user)
    before = RateCard.objects.count()
    for dry_run in ("on", ""):
        response = client.post("/admin/ratecards/ratecard/import/", {
            "rates_file": SimpleUploadedFile("r.csv", NUL_IN_A_NOTE.encode()),
            "tiers_file": SimpleUploadedFile("t.csv", TIERS.encode()), "dry_run": dry_run,
            "effective_from": "2026-05-01"})
        page = response.content.decode()
        assert "import-problems" in page and "contains a NUL character" in page
    assert RateCard.objects.count() == before
