"""Meta's files as downloaded today: XLSX (even behind a `.csv` link), read by content, not by name.

The workbooks are built here with openpyxl in Meta's layout, from the text of Meta's own CSV files: a
"List rates" worksheet with a title row and note rows, the header on row 4, every number a numeric cell
(0.0260 becomes the float 0.026, 0.0008 is 8.0E-4, tier bounds are floats such as 100001.0, "-5%" a
percent-formatted -0.05) and about a thousand empty (styled) rows below the data.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from ratecards.importer import ImportRefused, import_card
from ratecards.importer.rows import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, MAX_XLSX_UNPACKED
from ratecards.models import CardStatus, RateCard
from tests.import_helpers import META_RATES, META_TIERS, database_state, shipped

pytestmark = pytest.mark.django_db

RATES_CSV = shipped(META_RATES)
TIERS_CSV = shipped(META_TIERS)
NOT_CURRENT = "This is not our current rate card. It is provided for reference only."
_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+$|^-?\d+(\.\d+)?$")
_PERCENT = re.compile(r"^-?\d+%$")


def _cell_value(text: str):
    """The value Meta's XLSX holds for a CSV cell: numbers are floats, percents fractions, the rest text."""
    if _NUMBER.match(text):
        return float(text.replace(",", ""))
    if _PERCENT.match(text):
        return float(text.removesuffix("%")) / 100
    return text or None


def meta_xlsx(csv_text: str, *, sheet: str = "List rates",
              change: dict[tuple[str, int], str] | None = None, empty_rows: int = 1000) -> bytes:
    """Meta's XLSX layout for the card in `csv_text`: its title on row 1, two note rows, the header on
    row 4 (Meta's group-heading rows, for tiers, above it), data below, then `empty_rows` styled empty rows.
    `change` replaces the text of CSV cells first: {(row's market, column index): new text}, where the
    market "" is the first row without a name (the second tier row of the first market)."""
    rows = list(csv.reader(StringIO(csv_text, newline="")))
    header_at = next(i for i, row in enumerate(rows) if re.match(r"Market(\s|$)", row[0]))
    # Tiers: the two group-heading rows sit right above the header; keep them, drop the CSV's notes.
    headings = [row for row in rows[1:header_at] if not row[0] and any(row)]
    body = rows[header_at + 1:]
    for (start, column), text in (change or {}).items():
        row = next(row for row in body if (row[0].startswith(start) if start else not row[0]))
        row[column] = text
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    notes = [[note] for note in (NOT_CURRENT, "Rates are per message delivered.")][: 2 - len(headings)]
    worksheet.append([rows[0][0]])
    for row in notes + headings + [rows[header_at]]:
        worksheet.append(row)
    assert worksheet.max_row == 4  # the header is on row 4, as in Meta's files
    for row in body:
        worksheet.append([_cell_value(cell) for cell in row])
        for cell in worksheet[worksheet.max_row]:
            if isinstance(cell.value, float) and _PERCENT.match(row[cell.column - 1] or ""):
                cell.number_format = "0%"
            elif isinstance(cell.value, float):
                cell.number_format = "0.0000"
    last = worksheet.max_row
    for number in range(last + 1, last + 1 + empty_rows):
        worksheet.cell(number, 1).number_format = "@"  # styled but empty: written as a row without values
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def figures(card: RateCard) -> tuple[set, set]:
    return (
        set(card.rates.values_list("market__name", "category", "rate")),
        set(card.tiers.values_list("market__name", "category", "start", "rate", "vs_list_rate")),
    )


def usd_april() -> RateCard:
    return RateCard.objects.get(currency="USD", effective_from=date(2026, 4, 1), status=CardStatus.PUBLISHED)


def assert_metas_april_figures(card: RateCard) -> None:
    """Hand-picked from meta-usd-rates-2026-04-01.csv and meta-usd-volume-tiers-2026-04-01.csv."""
    rate = {(m, c): r for m, c, r in card.rates.values_list("market__name", "category", "rate")}
    assert rate[("Argentina", "marketing")] == Decimal("0.0618")
    assert rate[("Argentina", "utility")] == Decimal("0.0260")  # the cell holds 0.026
    assert rate[("Colombia", "utility")] == Decimal("0.0008")  # the cell holds 8.0E-4
    assert rate[("India", "authentication_international")] == Decimal("0.0304")
    assert rate[("India", "service")] is None  # n/a stays n/a
    tiers = {(m, c, s): (r, p) for m, c, s, r, p in card.tiers.values_list(
        "market__name", "category", "start", "rate", "vs_list_rate")}
    # Argentina utility: "100,001" - "1,000,000", Tier rate 0.0247, -5% (cells 100001.0, 0.0247, -0.05)
    assert tiers[("Argentina", "utility", 100001)] == (Decimal("0.0247"), Decimal("-5.00"))
    assert tiers[("Argentina", "authentication", 10000001)] == (Decimal("0.0195"), Decimal("-25.00"))
    assert tiers[("Colombia", "utility", 100001)] == (Decimal("0.0008"), Decimal("-5.00"))


def test_the_workbook_is_in_metas_layout():
    """The test input itself: numeric cells as Meta writes them, the header on row 4, empty rows below."""
    sheet = openpyxl.load_workbook(io.BytesIO(meta_xlsx(RATES_CSV)))["List rates"]
    assert sheet["A1"].value.startswith("Cost per message in USD") and sheet["A2"].value == NOT_CURRENT
    assert sheet["A4"].value == "Market" and sheet["D4"].value == "Utility"
    argentina = [cell.value for cell in sheet[5]]
    assert argentina[:4] == ["Argentina", "USD", 0.0618, 0.026] and repr(argentina[3]) == "0.026"
    assert repr(sheet["D8"].value) == "0.0008" and sheet["A8"].value == "Colombia"  # 8.0E-4 in Excel's terms
    assert sheet.max_row > 1000
    tiers = openpyxl.load_workbook(io.BytesIO(meta_xlsx(TIERS_CSV)))["List rates"]
    assert tiers["A4"].value.startswith("Market") and tiers["C2"].value == "Utility"
    assert tiers["C6"].value == 100001.0 and tiers["G6"].value == -0.05 and tiers["G6"].number_format == "0%"


def test_metas_xlsx_files_named_csv_import_by_command_as_the_csv_figures(tmp_path):
    rates, tiers = tmp_path / "rates.csv", tmp_path / "volume-tiers.csv"  # Meta's links end in .csv
    rates.write_bytes(meta_xlsx(RATES_CSV))
    tiers.write_bytes(meta_xlsx(TIERS_CSV))
    # The same card as the one imported from Meta's CSV files: nothing to do.
    out = StringIO()
    call_command("import_ratecard", str(rates), "--tiers", str(tiers), stdout=out)
    assert "USD 2026-04-01 unchanged" in out.getvalue()
    # Under another date: a new card with exactly the CSV card's figures.
    call_command("import_ratecard", str(rates), "--tiers", str(tiers), "--effective-from", "2026-04-02",
                 stdout=StringIO())
    card = RateCard.objects.get(currency="USD", effective_from=date(2026, 4, 2))
    assert card.status == CardStatus.DRAFT
    assert figures(card) == figures(usd_april())
    assert_metas_april_figures(card)
    assert card.rates.count() == usd_april().rates.count() and card.tiers.count() == usd_april().tiers.count()


def test_metas_xlsx_files_import_on_the_admin_page(client):
    user = User.objects.create_user("editor", password="pw-editor-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Rate editors"))
    client.force_login(user)
    response = client.post("/admin/ratecards/ratecard/import/", {
        "rates_file": SimpleUploadedFile("whatsapp-rates.csv", meta_xlsx(RATES_CSV)),
        "tiers_file": SimpleUploadedFile("whatsapp-volume-tiers.xlsx", meta_xlsx(TIERS_CSV)),
        "effective_from": "2026-04-03",
        "dry_run": "",
    })
    card = RateCard.objects.get(currency="USD", effective_from=date(2026, 4, 3))
    assert response.status_code == 302 and response["Location"].endswith(f"/ratecard/{card.pk}/change/")
    assert figures(card) == figures(usd_april())
    assert_metas_april_figures(card)


def test_a_bad_cell_is_named_by_sheet_row_and_column_and_nothing_is_written():
    # Row 4 is the header: Argentina is on row 5, Brazil on 6, Chile on 7.
    broken = meta_xlsx(RATES_CSV, change={("Brazil", 3): "abc", ("Chile", 2): "-0.05"})
    before = database_state()
    with pytest.raises(ImportRefused) as caught:
        import_card(broken, rates_name="rates.csv", effective_from=date(2026, 4, 4))
    assert [str(p) for p in caught.value.problems] == [
        "rates.csv, sheet 'List rates', row 6, column Utility: 'abc' is not a number",
        "rates.csv, sheet 'List rates', row 7, column Marketing: '-0.05' is a negative rate",
    ]
    assert database_state() == before


def test_a_tier_problem_names_the_tiers_sheet():
    # Argentina's second utility row (sheet row 6) starts at 100,002: a gap after 100,000.
    broken = meta_xlsx(TIERS_CSV, change={("", 2): "100,002"})  # the first unnamed row: Argentina's
    with pytest.raises(ImportRefused) as caught:
        import_card(meta_xlsx(RATES_CSV), broken, tiers_name="tiers.xlsx", effective_from=date(2026, 4, 4))
    (problem,) = caught.value.problems
    assert (problem.file, problem.sheet, problem.line, problem.column) == (
        "tiers.xlsx", "List rates", 6, "Utility From")
    assert "gap" in problem.message and "100,001" in problem.message


def test_rates_with_more_than_four_decimals_are_refused_not_rounded():
    broken = meta_xlsx(RATES_CSV, change={("Argentina", 2): "0.06185"})
    with pytest.raises(ImportRefused) as caught:
        import_card(broken, effective_from=date(2026, 4, 4))
    assert [p.message for p in caught.value.problems] == ["'0.06185' has more than 4 decimal places"]


# --- Bounded cost ---------------------------------------------------------------------------------------


def refusal(data: bytes) -> str:
    before = database_state()
    with pytest.raises(ImportRefused) as caught:
        import_card(data, rates_name="rates.csv", effective_from=date(2026, 4, 4))
    assert database_state() == before
    return "\n".join(str(p) for p in caught.value.problems)


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (MAX_XLSX_UNPACKED + 1))
    assert len(buffer.getvalue()) < 100_000  # small to upload, large unpacked
    assert f"unpacks to {MAX_XLSX_UNPACKED + 1:,} bytes" in refusal(buffer.getvalue())


def test_a_zip_that_is_not_a_workbook_or_is_cut_off_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert "not an XLSX workbook that can be read" in refusal(buffer.getvalue())
    assert "may be cut off" in refusal(meta_xlsx(RATES_CSV)[:3000])


def test_a_sheet_with_data_far_below_is_refused():
    workbook = openpyxl.Workbook()
    workbook.active.append(["Market"])
    workbook.active.cell(1_000_000, 1, "x")  # one cell on the millionth row
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert f"sheet 'Sheet', row 1000000: the sheet has data below row {MAX_SHEET_ROWS:,}" in refusal(
        buffer.getvalue())


def test_a_row_wider_than_a_rate_card_is_refused():
    workbook = openpyxl.Workbook()
    workbook.active.append(["Market"])
    workbook.active.cell(2, MAX_SHEET_COLUMNS + 5, 1.0)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert f"sheet 'Sheet', row 2: the row has data beyond column {MAX_SHEET_COLUMNS}" in refusal(buffer.getvalue())


def test_the_admin_page_answers_a_zip_bomb_with_a_message(client):
    user = User.objects.create_user("editor", password="pw-editor-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Rate editors"))
    client.force_login(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b" " * (MAX_XLSX_UNPACKED + 1))
    response = client.post("/admin/ratecards/ratecard/import/", {
        "rates_file": SimpleUploadedFile("rates.csv", buffer.getvalue()), "dry_run": "",
    })
    assert response.status_code == 200
    assert f"unpacks to {MAX_XLSX_UNPACKED + 1:,} bytes" in response.content.decode()


def test_the_command_reports_xlsx_problems_and_fails(tmp_path):
    rates = tmp_path / "rates.csv"
    rates.write_bytes(meta_xlsx(RATES_CSV, change={("Brazil", 3): "abc"}))
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem found; nothing was imported"):
        call_command("import_ratecard", str(rates), "--effective-from", "2026-04-04", stderr=err)
    assert "sheet 'List rates', row 6, column Utility: 'abc' is not a number" in err.getvalue()
