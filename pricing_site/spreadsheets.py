"""Every CSV the site writes goes through `csv_writer`: no cell is run as a formula by a spreadsheet.

Excel, LibreOffice and Google Sheets treat a cell that starts with =, +, -, @ (or a tab or carriage
return before one) as a formula, so a customer name or a webhook field like `=HYPERLINK(...)` would run
when a user opens the export (CSV injection). Such cells get a leading apostrophe, which spreadsheets
show as text. Numbers, percentages and runs of dashes (Meta's open tier bound `--`) carry no formula and
are left exactly as they are, so negative amounts stay numbers and exports still import.
The messages export (usage/exports.py, up to a million lines) calls `spreadsheet_safe` itself on the
webhook's text cells only, which is all that can start a formula there, and writes with
`prechecked_csv_writer`, to stay fast.
"""

from __future__ import annotations

import csv
import re
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NOT_A_FORMULA = re.compile(r"[+-]?(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?|-+")


def spreadsheet_safe(value: Any) -> Any:
    """The cell as written: text that a spreadsheet would run gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not NOT_A_FORMULA.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer's writerow/writerows, with every cell made spreadsheet-safe first."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([spreadsheet_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file, **options) -> SafeWriter:
    """The site's one way to write CSV (options as for csv.writer)."""
    return SafeWriter(file, **options)


def prechecked_csv_writer(file, **options):
    """csv.writer as it is, for a caller that has already passed every cell that may hold outside text
    through `spreadsheet_safe` (checking each of a million lines' 13 cells again would halve the speed)."""
    return csv.writer(file, **options)
