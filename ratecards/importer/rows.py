"""Reading a file's rows: bytes in, non-blank rows of text cells out, each with the line a rate editor
finds it on. Nothing here knows what a rate card is."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from ratecards.importer.layout import Problem


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
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:1000]:
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


def _read_rows(text: str, filename: str) -> tuple[list[_Row], list[Problem]]:
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
            start = reader.line_num + 1
    except csv.Error as exc:
        return rows, [Problem(start, None, f"this line is not valid CSV ({exc}): a quote is not closed or the "
                              "file is cut off", filename)]
    return rows, []
