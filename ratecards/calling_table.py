"""Reading a calling rate table (pure Python, no ORM): the shipped CSV layout.

Meta's own calling rate files were not found, so their layout is unknown; the layout read here is the
shipped reconstruction's: `market,currency,per_minute,tier_1,...,tier_6,reliability,basis`, one row per
market. `per_minute` is the first tier's rate, `n/a` or empty where there is no rate; the six tier
columns are all filled (the whole ladder) or all empty. Every problem is reported with its line and
column, and a file with any problem is refused whole.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from calculator.engine.calls import TIER_COUNT, CallingRate
from pricing_site.spreadsheets import csv_writer  # pure Python too: the site's one CSV writer

TIER_COLUMNS = tuple(f"tier_{n}" for n in range(1, TIER_COUNT + 1))
COLUMNS = ("market", "currency", "per_minute", *TIER_COLUMNS, "reliability", "basis")
NO_RATE = ("", "n/a", "na", "--")
MAX_ROWS = 1_000
MAX_BYTES = 1_000_000
MAX_RATE = Decimal(1000)


@dataclass(frozen=True)
class CallingTable:
    currency: str
    rates: tuple[CallingRate, ...]


class CallingTableRefused(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_calling_table(data: bytes, name: str = "calling rates") -> CallingTable:
    """Every row of the file as CallingRate, or CallingTableRefused naming every problem."""
    if len(data) > MAX_BYTES:
        raise CallingTableRefused([f"{name}: larger than {MAX_BYTES // 1000:,} KB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CallingTableRefused([f"{name}: not UTF-8 text"]) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise CallingTableRefused([f"{name}: the file is empty"])
    header = [column.strip().lower() for column in header]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise CallingTableRefused([f"{name} line 1: missing columns {', '.join(missing)}; "
                                   f"expected {','.join(COLUMNS)}"])
    where = {column: header.index(column) for column in COLUMNS}
    problems: list[str] = []
    rates: list[CallingRate] = []
    currencies: set[str] = set()
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(rates) >= MAX_ROWS:
            problems.append(f"{name}: more than {MAX_ROWS:,} rows")
            break
        cells = {column: (row[index].strip() if index < len(row) else "") for column, index in where.items()}
        market = cells["market"]
        if not market or len(market) > 80:
            problems.append(f"{name} line {line}, column market: a market name (1 to 80 characters) is required")
            continue
        if market in seen:
            problems.append(f"{name} line {line}, column market: {market} appears twice")
        seen.add(market)
        currency = cells["currency"].upper()
        if len(currency) != 3 or not currency.isalpha():
            problems.append(f"{name} line {line}, column currency: '{cells['currency']}' is not a currency code")
        currencies.add(currency)
        per_minute = _rate(cells["per_minute"], name, line, "per_minute", problems)
        ladder = [_rate(cells[column], name, line, column, problems) for column in TIER_COLUMNS]
        filled = [rate for rate in ladder if rate is not None]
        if filled and len(filled) != TIER_COUNT:
            problems.append(f"{name} line {line}, columns tier_1..tier_6: give all six tier rates or none")
            filled = []
        if filled and per_minute is None:
            problems.append(f"{name} line {line}, column per_minute: a row with tiers needs its per-minute rate")
            filled = []
        if filled and filled[0] != per_minute:
            problems.append(f"{name} line {line}, column tier_1: {filled[0]} differs from per_minute {per_minute}")
        reliability, basis = cells["reliability"], cells["basis"]
        if len(reliability) > 80:
            problems.append(f"{name} line {line}, column reliability: at most 80 characters")
        if len(basis) > 1000:
            problems.append(f"{name} line {line}, column basis: at most 1,000 characters")
        rates.append(CallingRate(market, per_minute, tuple(filled), reliability[:80], basis[:1000]))
    if len(currencies) > 1:
        problems.append(f"{name}: one currency per file, found {', '.join(sorted(currencies))}")
    if not rates and not problems:
        problems.append(f"{name}: no rows")
    if problems:
        raise CallingTableRefused(problems)
    return CallingTable(currency=currencies.pop(), rates=tuple(rates))


def _rate(text: str, name: str, line: int, column: str, problems: list[str]) -> Decimal | None:
    if text.lower() in NO_RATE:
        return None
    try:
        value = Decimal(text.replace(",", "").lstrip("$"))
    except InvalidOperation:
        problems.append(f"{name} line {line}, column {column}: '{text}' is not a rate")
        return None
    if not value.is_finite() or value < 0 or value > MAX_RATE:
        problems.append(f"{name} line {line}, column {column}: '{text}' is not a rate from 0 to {MAX_RATE}")
        return None
    if value.as_tuple().exponent < -6:
        problems.append(f"{name} line {line}, column {column}: '{text}' has more than 6 decimals")
        return None
    return value


def table_csv(currency: str, rates: list[CallingRate]) -> str:
    """A table in the same layout (importing it gives the same rates back)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for rate in rates:
        ladder = [str(r) for r in rate.ladder] or [""] * TIER_COUNT
        writer.writerow([rate.market, currency, "n/a" if rate.per_minute is None else str(rate.per_minute),
                         *ladder, rate.reliability, rate.basis])
    return out.getvalue()
