"""Reading a file's rows: bytes in, non-blank rows of text cells out, each with the line (CSV) or row
(XLSX) a rate editor finds it on. Nothing here knows what a rate card is.

Meta serves its rate files as XLSX even where the link ends in `.csv`, so the kind of file is decided by
its content (an XLSX is a zip: it starts with `PK\x03\x04`), never by its name. A worksheet's numeric
cells become the text Meta means by them (0.026 -> "0.026", 8.0E-4 -> "0.0008", 100001.0 -> "100001",
a percent-formatted -0.05 -> "-5%"), read from the float's shortest repr, never through float arithmetic;
the CSV rules then apply to that text unchanged.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from pricing_site.edge import unstorable
from ratecards.importer.layout import Problem

XLSX_MAGIC = b"PK\x03\x04"
# An XLSX is a zip: its parts' unpacked sizes are bounded before anything is unpacked, so a zip bomb is
# refused with a message instead of filling the worker's memory (and parsing stays a second or two).
# Meta's files unpack to well under 1 MB.
MAX_XLSX_UNPACKED = 5 * 1024 * 1024
MAX_XLSX_PARTS = 500
# Meta's sheets have a few hundred rows of data, about a thousand empty rows below, and 17 columns.
MAX_SHEET_ROWS = 10_000
MAX_SHEET_COLUMNS = 40


@dataclass
class FileRows:
    """A file's non-blank rows; `rows` is None when the file could not be read at all. `sheet` names the
    worksheet the rows come from ("" for CSV), so that problems name it."""

    rows: list["_Row"] | None
    problems: list[Problem]
    sheet: str = ""


def read_rows(data: bytes, filename: str) -> FileRows:
    """The rows of a CSV or XLSX file, whichever the bytes are."""
    if data.startswith(XLSX_MAGIC):
        read = _xlsx_rows(data, filename)
    else:
        text, problems = _decode(data, filename)
        if text is None:
            return FileRows(None, problems)
        rows, problems = _read_rows(text, filename)
        read = FileRows(rows, problems)
    return _refuse_unstorable(read, filename)


def _refuse_unstorable(read: FileRows, filename: str) -> FileRows:
    """A cell no field can store (a NUL: PostgreSQL refuses it) refuses the file here, where the dry run and
    the import both read it: the dry run used to pass a NUL in a notes row that the write then failed on."""
    for row in read.rows or ():
        for cell in row.cells:
            reason = unstorable(cell)
            if reason:
                return FileRows(None, [Problem(row.line, None, f"a cell {reason}; the file may be damaged",
                                               filename, sheet=read.sheet)], read.sheet)
    return read


@dataclass
class _Row:
    line: int
    cells: list[str]

    def cell(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""

    @property
    def blank(self) -> bool:
        return not any(self.cells)


def _decode(data: bytes, filename: str) -> tuple[str | None, list[Problem]]:
    """The file's text. Excel's "CSV UTF-8" starts with a byte-order mark: accepted silently. Anything
    that is not UTF-8 is refused rather than guessed, since a wrong guess garbles market names."""
    head = data[:1000]  # UTF-16 text of Latin letters is every other byte NUL; a stray NUL is not UTF-16
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head.count(b"\x00") > len(head) // 4:
        return None, [Problem(None, None, "the file is UTF-16 text (Excel's 'Unicode Text'); "
                              "save it as 'CSV UTF-8 (comma delimited)' and import that", filename)]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [Problem(line, None, f"byte 0x{data[exc.start]:02x} is not UTF-8 text (the file may be in a "
                              "Windows or Mac encoding); save it as 'CSV UTF-8' and import that", filename)]
    if not text.strip():
        return None, [Problem(None, None, "the file is empty", filename)]
    return text, []


def _read_rows(text: str, filename: str) -> tuple[list[_Row] | None, list[Problem]]:
    """Non-blank CSV rows with the line each starts on (a quoted cell may span lines, as Meta's
    "Authentication-International" header does, so a row's line is not its index)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[_Row] = []
    start = 1
    try:
        for cells in reader:
            row = _Row(start, [cell.strip() for cell in cells])
            if not row.blank:
                rows.append(row)
                if len(rows) > MAX_SHEET_ROWS:  # the same bound as a worksheet's, before reading on
                    return None, [Problem(start, None, f"the file has more than {MAX_SHEET_ROWS:,} rows; a rate "
                                          "card has a few hundred: is this the right file?", filename)]
            start = reader.line_num + 1
    except csv.Error as exc:
        return rows, [Problem(start, None, f"this line is not valid CSV ({exc}): a quote is not closed or the "
                              "file is cut off", filename)]
    return rows, []


# --- XLSX -----------------------------------------------------------------------------------------------


def _xlsx_rows(data: bytes, filename: str) -> FileRows:
    def refused(message: str) -> FileRows:
        return FileRows(None, [Problem(None, None, message, filename)])

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return refused("the file starts like an XLSX workbook (a zip) but is not a readable one: it may be cut "
                       "off; download it again")
    # zipfile never unpacks more than a part's declared size, so the declared sizes bound the work.
    unpacked = sum(part.file_size for part in parts)
    if len(parts) > MAX_XLSX_PARTS or unpacked > MAX_XLSX_UNPACKED:
        return refused(f"the XLSX workbook unpacks to {unpacked:,} bytes in {len(parts):,} parts; a rate card is "
                       f"far smaller (at most {MAX_XLSX_UNPACKED // (1024 * 1024)} MB unpacked)")
    import openpyxl  # only an XLSX needs it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001  any malformed workbook, whatever part of openpyxl notices it
        return refused(f"the file is a zip but not an XLSX workbook that can be read ({type(exc).__name__}); "
                       "save it from Excel as .xlsx or as 'CSV UTF-8' and import that")
    try:
        return _sheet_rows(workbook, filename)
    except Exception as exc:  # noqa: BLE001  a damaged sheet part is found only while reading it
        return refused(f"a worksheet of the XLSX workbook cannot be read ({type(exc).__name__}); save it from "
                       "Excel again or as 'CSV UTF-8' and import that")
    finally:
        workbook.close()


def _sheet_rows(workbook, filename: str) -> FileRows:
    """The first worksheet whose first column says "Market" somewhere (Meta's header), else the first one."""
    sheets = [sheet for sheet in workbook.worksheets if hasattr(sheet, "iter_rows")]
    if not sheets:
        return FileRows(None, [Problem(None, None, "the XLSX workbook has no worksheet", filename)])
    first = None
    for sheet in sheets:
        found = _read_sheet(sheet, filename)
        first = first or found
        if found.rows and any(row.cell(0).lower().startswith("market") for row in found.rows):
            return found
    return first


def _read_sheet(sheet, filename: str) -> FileRows:
    name = sheet.title
    rows: list[_Row] = []
    # The sheet's own <dimension> may be missing or wrong, and openpyxl would drop cells outside it: read
    # every cell, each row as wide as its last cell, and bound rows and columns here instead.
    sheet.reset_dimensions()
    for number, cells in enumerate(sheet.iter_rows(min_row=1), start=1):
        if not cells:
            continue  # a row missing from the file (openpyxl fills the gap) or one without cells
        texts = [_cell_text(cell) for cell in cells]
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            continue  # a styled empty row, as Meta's ~1000 below the data
        if number > MAX_SHEET_ROWS:
            return FileRows(None, [Problem(number, None, f"the sheet has data below row {MAX_SHEET_ROWS:,}; a rate "
                                           "card has a few hundred rows: is this the right file?", filename,
                                           sheet=name)], name)
        if len(texts) > MAX_SHEET_COLUMNS:
            return FileRows(None, [Problem(number, None, f"the row has data beyond column {MAX_SHEET_COLUMNS}; a "
                                           "rate card has 17 columns: is this the right file?", filename,
                                           sheet=name)], name)
        rows.append(_Row(number, texts))
    # Every row as wide as the widest, as Excel writes a CSV: an empty last cell stays an empty cell.
    width = max((len(row.cells) for row in rows), default=0)
    for row in rows:
        row.cells += [""] * (width - len(row.cells))
    return FileRows(rows, [], name)


def _cell_text(cell) -> str:
    """A cell as the text Meta means by it (see the module's docstring)."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        number = Decimal(repr(value))  # the shortest text that is this float: 0.026, not 0.02599999...
        if "%" in (getattr(cell, "number_format", "") or ""):
            return f"{_plain(number * 100)}%"
        return _plain(number)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value).strip()


def _plain(number: Decimal) -> str:
    """Positional notation without trailing zeros: 1E+5 -> 100000, 0.0260 -> 0.026, 100001.0 -> 100001."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")
