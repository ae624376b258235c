"""Meta's rate-card layout, shared by reading, checking, writing and exporting: the categories and tier
columns as Meta names them, how a problem with a file is reported, and how Meta writes dates and rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ratecards.models import RATE_DECIMALS, RATE_MAX_DIGITS, Category, RateCard

OTHER = "Other"
RATE_CATEGORIES = (
    Category.MARKETING,
    Category.UTILITY,
    Category.AUTHENTICATION,
    Category.AUTHENTICATION_INTERNATIONAL,
    Category.SERVICE,
)
TIER_FIELDS = ("From", "To", "Rate type", "Rate", "vs. List rate")
META_TIER_ROWS = 6  # Meta's tier tables give every market six rows: the list rate and five tiers.
TIERS_TITLE_SUFFIX = " - Reflecting volume tiers for utility and authentication messages"
SOURCE_MAX = RateCard._meta.get_field("source").max_length
LARGEST_RATE = Decimal(10) ** (RATE_MAX_DIGITS - RATE_DECIMALS)
QUANTUM = Decimal(1).scaleb(-RATE_DECIMALS)


@dataclass
class Problem:
    """One thing wrong with a file, where a rate editor finds it: line (1-based, as an editor counts
    them) and column (the header's name for it). Either is None for a problem of the whole file."""

    line: int | None
    column: str | None
    message: str
    file: str = ""
    sheet: str = ""  # the worksheet of an XLSX file; its `line` is then the sheet's row number

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.sheet:
            where.append(f"sheet '{self.sheet}'")
        if self.line is not None:
            where.append(f"{'row' if self.sheet else 'line'} {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRefused(Exception):
    """The files were not imported; `problems` lists every reason. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

def meta_date(day: date) -> str:
    """A date as Meta spells it in titles: 'April 1, 2026'."""
    return f"{day:%B} {day.day}, {day.year}"


def _show(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:.{RATE_DECIMALS}f}"
