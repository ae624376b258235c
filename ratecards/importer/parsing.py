"""Meta's rates and volume-tiers files read into rows of figures (ParsedRates, ParsedTiers).

Only the form of the files is checked here (cells that are not numbers, a header that is missing); what
the figures mean (known markets, gaps between tiers, the link between the two files) is `checking`'s."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ratecards.importer.layout import (
    LARGEST_RATE,
    META_TIER_ROWS,
    QUANTUM,
    RATE_CATEGORIES,
    TIER_FIELDS,
    Problem,
)
from ratecards.importer.rows import _Row, read_rows
from ratecards.models import RATE_DECIMALS, TIERED_CATEGORIES, Category, PricingModel

_NOT_AVAILABLE = {"n/a", "na", "n.a."}
_OPEN_BOUNDS = {"--", "–", "—", "-"}
_MINUS_SIGNS = "-−–"
_PLAIN_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_GROUPED_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_PERCENT = re.compile(r"^[-−–+]?\s*\d+(?:\.\d+)?\s*%$")
_TITLE = re.compile(
    r"cost per (?P<unit>message|conversation)s?\b.*?\bin (?P<currency>[A-Za-z]{3})\b"
    r"(?:.*?\beffective(?: from)?\s+(?P<date>[A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}))?",
    re.IGNORECASE,
)


# --- Parsed files ---------------------------------------------------------------------------------------


@dataclass
class Title:
    line: int
    text: str
    pricing_model: str | None  # PricingModel value: "Cost per conversation" or "Cost per message"
    currency: str | None
    effective_from: date | None
    date_text: str | None = None  # the date as written, even when it could not be read


@dataclass
class RateRow:
    line: int
    market: str
    currency: str
    rates: dict[str, Decimal | None]  # category -> rate, None for n/a; only the cells that could be read


@dataclass
class ParsedFile:
    """What either of Meta's files says besides its rows: the title line, notes, problems of form."""

    filename: str
    sheet: str = ""  # the worksheet read, for an XLSX file
    title: Title | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    wrong_kind: bool = False  # the header is the other file's (a tiers file given as rates, or the reverse)

    @property
    def currency(self) -> str | None:
        return self.title.currency if self.title else None

    @property
    def effective_from(self) -> date | None:
        return self.title.effective_from if self.title else None


@dataclass
class ParsedRates(ParsedFile):
    rows: list[RateRow] = field(default_factory=list)
    readable: bool = False  # decoded, and its header found: only then is more than its form worth checking

    @property
    def pricing_model(self) -> str | None:
        return self.title.pricing_model if self.title else None


@dataclass
class TierStep:
    line: int
    start: int
    end: int | None  # None: Meta's "--", the open upper bound
    rate: Decimal
    vs_list_rate: Decimal | None = None  # Meta's label in percent, kept as given


@dataclass
class TierRowCurrency:
    line: int
    currency: str


@dataclass
class TierBlock:
    line: int
    market: str
    rows: int
    damaged: bool = False  # a row of the block could not be read: its tiers are incomplete
    currencies: list[TierRowCurrency] = field(default_factory=list)
    tiers: dict[str, list[TierStep]] = field(default_factory=dict)  # category -> steps, in file order


@dataclass
class ParsedTiers(ParsedFile):
    blocks: list[TierBlock] = field(default_factory=list)


def name_sheet(problems: list[Problem], filename: str, sheet: str) -> None:
    """Problems of an XLSX file name its worksheet (and count rows, not lines)."""
    for problem in problems:
        if sheet and problem.file == filename and not problem.sheet:
            problem.sheet = sheet


def _normalise(text: str) -> str:
    """Header text compared loosely: case, line breaks and spaces after a hyphen do not matter."""
    text = re.sub(r"\s+", " ", text).strip().lower()
    return re.sub(r"-\s+", "-", text)


# --- Titles ---------------------------------------------------------------------------------------------


def _is_title(row: _Row) -> bool:
    return _normalise(row.cell(0)).startswith("cost per")


def _parse_title(row: _Row, filename: str, problems: list[Problem]) -> Title:
    text = row.cell(0)
    match = _TITLE.search(text)
    if not match:
        problems.append(Problem(row.line, None, f"cannot read the currency from the title '{text}' (expected "
                                "e.g. 'Cost per message in USD on the WhatsApp Business Platform, effective "
                                "April 1, 2026')", filename))
        return Title(row.line, text, None, None, None, None)
    unit = match["unit"].lower()
    effective_from = None
    if match["date"]:
        effective_from = _parse_meta_date(match["date"])
        if effective_from is None:
            problems.append(Problem(row.line, None, f"cannot read the date '{match['date']}' in the title "
                                    "(expected e.g. 'April 1, 2026')", filename))
    return Title(
        line=row.line,
        text=text,
        pricing_model=PricingModel.CONVERSATION if unit == "conversation" else PricingModel.MESSAGE,
        currency=match["currency"].upper(),
        effective_from=effective_from,
        date_text=match["date"],
    )


def _parse_meta_date(text: str) -> date | None:
    cleaned = re.sub(r"[.,]", " ", text)
    cleaned = " ".join(cleaned.split())
    for pattern in ("%B %d %Y", "%b %d %Y"):
        try:
            return datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    return None


def _note_text(row: _Row) -> str:
    return " ".join(cell for cell in row.cells if cell)


# --- Cells ----------------------------------------------------------------------------------------------


def _is_not_available(text: str) -> bool:
    return text.strip().lower() in _NOT_AVAILABLE


def _parse_rate(text: str) -> tuple[Decimal | None, str | None]:
    """A rate cell: (value, None) or (None, why it is not a rate). `n/a` is (None, None)."""
    if _is_not_available(text):
        return None, None
    if not text:
        return None, "the cell is empty; write n/a where Meta has no rate"
    compact = text.replace(" ", "")
    negative = compact[:1] in _MINUS_SIGNS and len(compact) > 1
    digits = compact[1:] if negative else compact
    if _GROUPED_NUMBER.match(digits):
        digits = digits.replace(",", "")
    if not _PLAIN_NUMBER.match(digits):
        return None, f"'{text}' is not a number"
    if negative:
        return None, f"'{text}' is a negative rate"
    value = Decimal(digits)
    if value.as_tuple().exponent < -RATE_DECIMALS and value != value.quantize(QUANTUM):
        return None, f"'{text}' has more than {RATE_DECIMALS} decimal places"
    if value >= LARGEST_RATE:
        return None, f"'{text}' is too large for a rate"
    return value.quantize(QUANTUM), None


def _parse_count(text: str) -> tuple[int | None, str | None]:
    """A tier bound: '0', '100,001' or '100001'."""
    compact = text.replace(" ", "")
    if _GROUPED_NUMBER.match(compact) and "." not in compact:
        return int(compact.replace(",", "")), None
    if compact.isdigit():
        return int(compact), None
    if compact[:1] in _MINUS_SIGNS and compact[1:].replace(",", "").isdigit():
        return None, f"'{text}' is negative; message counts start at 0"
    return None, f"'{text}' is not a whole number of messages"


def _parse_percent(text: str) -> tuple[Decimal | None, str | None]:
    """Meta's 'vs. List rate' cell ('-5%'); empty or n/a is no label."""
    if not text or _is_not_available(text):
        return None, None
    if not _PERCENT.match(text):
        return None, f"'{text}' is not a percentage (e.g. -5%)"
    value = Decimal(re.sub(r"[\s%+]", "", text).replace("−", "-").replace("–", "-"))
    if abs(value) >= 10000 or value != value.quantize(Decimal("0.01")):
        return None, f"'{text}' is not a percentage with at most two decimals"
    return value.quantize(Decimal("0.01")), None


# --- Rates file -----------------------------------------------------------------------------------------

_RATE_HEADER = {
    "market": "market",
    "currency": "currency",
    **{_normalise(category.label): category.value for category in RATE_CATEGORIES},
}


def parse_rates(data: bytes, filename: str = "rates.csv") -> ParsedRates:
    """Read Meta's rates file. Problems of form (not of meaning) are in `.problems`; see `validate`."""
    return _parse(ParsedRates(filename=filename), data, filename, _read_rates_rows)


def _parse(parsed, data: bytes, filename: str, read_body):
    """Either file: its rows (CSV or XLSX), then ``read_body`` on the rows after the title line."""
    read = read_rows(data, filename)
    parsed.sheet, parsed.problems = read.sheet, read.problems
    if read.rows is not None:
        body = _after_title(parsed, read.rows, filename)
        if body is not None:
            read_body(parsed, body, filename)
    name_sheet(parsed.problems, filename, parsed.sheet)
    return parsed


def _after_title(parsed, rows: list[_Row], filename: str) -> list[_Row] | None:
    """The rows after Meta's title line (read into ``parsed.title``); None for a file with no rows."""
    if not rows:
        parsed.problems.append(Problem(None, None, "the file has no rows", filename))
        return None
    if _is_title(rows[0]):
        parsed.title = _parse_title(rows[0], filename, parsed.problems)
        return rows[1:]
    return rows


def _read_rates_rows(parsed: ParsedRates, body: list[_Row], filename: str) -> None:
    # A tiers header ("Market (per rate card)") is found too, so that a swapped file is named as such.
    header_at = next((i for i, row in enumerate(body) if _is_header(row)), None)
    if header_at is None:
        parsed.problems.append(_missing_header(filename))
        return
    parsed.notes = [_note_text(row) for row in body[:header_at]]
    header = body[header_at]
    columns = _rate_columns(header, filename, parsed.problems)
    parsed.wrong_kind = columns is None and any("volume tiers file" in p.message for p in parsed.problems)
    if columns is None:
        return
    parsed.readable = True
    for row in body[header_at + 1:]:
        rate_row = _parse_rate_row(row, columns, filename, parsed.problems)
        if rate_row is not None:
            parsed.rows.append(rate_row)
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(Problem(header.line, None, "the header is followed by no market rows", filename))



def _missing_header(filename: str) -> Problem:
    return Problem(None, "Market", "no header line 'Market, Currency, Marketing, Utility, Authentication, "
                   "Authentication-International, Service' was found: the file is cut off or is not a rate card",
                   filename)


def _rate_columns(header: _Row, filename: str, problems: list[Problem]) -> dict[str, int] | None:
    """Column index of 'market', 'currency' and each category, from the header's own names."""
    names = [_normalise(cell) for cell in header.cells]
    if "from" in names or any(name.startswith("market (per rate card)") for name in names):
        problems.append(Problem(header.line, None, "this is a volume tiers file, not a rates file: give it as "
                                "the tiers file", filename))
        return None
    columns: dict[str, int] = {}
    for index, (name, cell) in enumerate(zip(names, header.cells)):
        if not name:
            continue
        key = _RATE_HEADER.get(name)
        if key is None:
            problems.append(Problem(header.line, cell, f"unknown column '{cell}' (expected "
                                    f"{', '.join(_column_label(k) for k in _RATE_HEADER.values())})", filename))
        elif key in columns:
            problems.append(Problem(header.line, cell, "this column appears twice", filename))
        else:
            columns[key] = index
    missing = [key for key in _RATE_HEADER.values() if key not in columns]
    for key in missing:
        problems.append(Problem(header.line, _column_label(key), "the header has no such column", filename))
    return None if missing else columns


def _column_label(key: str) -> str:
    if key in ("market", "currency"):
        return key.capitalize()
    return Category(key).label


def _parse_rate_row(row: _Row, columns: dict[str, int], filename: str, problems: list[Problem]) -> RateRow | None:
    expected = max(columns.values()) + 1
    if len(row.cells) < expected:
        missing = [key for key, index in columns.items() if index >= len(row.cells)]
        problems.append(Problem(row.line, _column_label(missing[0]), f"the row has {len(row.cells)} cells, "
                                f"{expected} expected: the line is cut short (is the file complete?)", filename))
        return None
    market = " ".join(row.cell(columns["market"]).split())
    if not market:
        problems.append(Problem(row.line, "Market", "no market name", filename))
        return None
    known = set(columns.values())
    for index, cell in enumerate(row.cells):
        if cell and index not in known:
            problems.append(Problem(row.line, None, f"value '{cell}' in column {index + 1}, which has no header",
                                    filename))
    rates: dict[str, Decimal | None] = {}
    for category in RATE_CATEGORIES:
        value, error = _parse_rate(row.cell(columns[category.value]))
        if error:
            problems.append(Problem(row.line, category.label, error, filename))
        else:
            rates[category.value] = value
    return RateRow(row.line, market, row.cell(columns["currency"]).upper(), rates)


# --- Tiers file -----------------------------------------------------------------------------------------


def parse_tiers(data: bytes, filename: str = "tiers.csv") -> ParsedTiers:
    """Read Meta's volume tiers file. Problems of form are in `.problems`; gaps and the link to the rates
    file are checked by `validate`."""
    return _parse(ParsedTiers(filename=filename), data, filename, _read_tiers_rows)


def _read_tiers_rows(parsed: ParsedTiers, body: list[_Row], filename: str) -> None:
    header_at = next((i for i, row in enumerate(body) if _is_header(row)), None)
    if header_at is None:
        parsed.problems.append(Problem(None, "Market", "no header line 'Market (per rate card), Currency, From, "
                                       "To, Rate type, Rate, vs. List rate, ...' was found: the file is cut off or "
                                       "is not a volume tiers file", filename))
        return
    header = body[header_at]
    if "marketing" in {_normalise(cell) for cell in header.cells}:
        parsed.wrong_kind = True
        parsed.problems.append(Problem(header.line, None, "this is a rates file, not a volume tiers file",
                                       filename))
        return
    group_row = next((row for row in body[:header_at] if _group_starts(row)), None)
    if group_row is None:
        parsed.problems.append(Problem(header.line, None, "the group headings (Utility, Authentication, "
                                       "Authentication-International) above the header are missing", filename))
        return
    parsed.notes = [_note_text(row) for row in body[:header_at] if row is not group_row and not _is_subheading(row)]
    groups = _tier_groups(group_row, header, filename, parsed.problems)
    if groups is None:
        return
    parsed.blocks = _tier_blocks(body[header_at + 1:], groups, filename, parsed.problems)
    if not parsed.blocks and not parsed.problems:
        parsed.problems.append(Problem(header.line, None, "the header is followed by no market rows", filename))



def _is_header(row: _Row) -> bool:
    # "Market" or "Market<line break>(per rate card)"; a notes line may start with "Marketing ...".
    first = _normalise(row.cell(0))
    return first == "market" or first.startswith("market (")


def _group_starts(row: _Row) -> dict[str, int]:
    """Category -> first column of its group, read from the group-heading line."""
    by_label = {_normalise(category.label): category.value for category in TIERED_CATEGORIES}
    return {by_label[_normalise(cell)]: i for i, cell in enumerate(row.cells) if _normalise(cell) in by_label}


def _is_subheading(row: _Row) -> bool:
    return any(_normalise(cell) in ("messages (per month)", "what we charge") for cell in row.cells)


def _tier_groups(group_row: _Row, header: _Row, filename: str, problems: list[Problem]) -> dict[str, int] | None:
    groups = _group_starts(group_row)
    ok = True
    for category in TIERED_CATEGORIES:
        if category.value not in groups:
            problems.append(Problem(group_row.line, category.label, "this group heading is missing", filename))
            ok = False
    for category, start in groups.items():
        for offset, expected in enumerate(TIER_FIELDS):
            found = header.cell(start + offset)
            if _normalise(found) != _normalise(expected):
                problems.append(Problem(header.line, f"{Category(category).label} {expected}",
                                        f"the header says '{found}' here, '{expected}' expected", filename))
                ok = False
    if _normalise(header.cell(1)) != "currency":
        problems.append(Problem(header.line, "Currency", f"the header says '{header.cell(1)}' in the second "
                                "column, 'Currency' expected", filename))
        ok = False
    return groups if ok else None


def _tier_blocks(rows: list[_Row], groups: dict[str, int], filename: str, problems: list[Problem]) -> list[TierBlock]:
    """Group the rows into one block per market: a named row, then the rows with an empty name."""
    expected = max(groups.values()) + len(TIER_FIELDS)
    blocks: list[TierBlock] = []
    block_rows: list[list[_Row]] = []
    for row in rows:
        if row.cell(0):
            blocks.append(TierBlock(line=row.line, market=" ".join(row.cell(0).split()), rows=0))
            block_rows.append([])
        elif not blocks:
            problems.append(Problem(row.line, "Market", "a tier row before the first market name", filename))
            continue
        block_rows[-1].append(row)
    for block, own_rows in zip(blocks, block_rows):
        block.rows = len(own_rows)
        before = len(problems)
        _fill_block(block, own_rows, groups, expected, filename, problems)
        if block.rows < META_TIER_ROWS:
            problems.append(Problem(block.line, "Market", f"{block.market} has {block.rows} tier row"
                                    f"{'s' if block.rows != 1 else ''}, {META_TIER_ROWS} expected "
                                    "(the file may be cut off)", filename))
        block.damaged = len(problems) > before
    return blocks


def _fill_block(block: TierBlock, rows: list[_Row], groups: dict[str, int], expected: int, filename: str,
                problems: list[Problem]) -> None:
    ended: dict[str, int] = {}  # category -> line of its first n/a row: no tier may follow one
    for row in rows:
        if len(row.cells) < expected:
            problems.append(Problem(row.line, _tier_column_at(len(row.cells), groups), f"the row has "
                                    f"{len(row.cells)} cells, {expected} expected: the line is cut short "
                                    "(is the file complete?)", filename))
            continue
        block.currencies.append(TierRowCurrency(row.line, row.cell(1).upper()))
        for category, start in groups.items():
            cells = [row.cell(start + offset) for offset in range(len(TIER_FIELDS))]
            label = Category(category).label
            if all(_is_not_available(cell) or not cell for cell in cells):
                ended.setdefault(category, row.line)
                continue
            if category in ended:
                problems.append(Problem(row.line, f"{label} From", f"a tier after the n/a row on line "
                                        f"{ended[category]}", filename))
                continue
            step = _parse_step(row.line, cells, label, filename, problems)
            if step is not None:
                block.tiers.setdefault(category, []).append(step)


def _tier_column_at(index: int, groups: dict[str, int]) -> str | None:
    for category, start in groups.items():
        if start <= index < start + len(TIER_FIELDS):
            return f"{Category(category).label} {TIER_FIELDS[index - start]}"
    return "Currency" if index == 1 else None


def _parse_step(line: int, cells: list[str], label: str, filename: str, problems: list[Problem]) -> TierStep | None:
    start_text, end_text, _rate_type, rate_text, percent_text = cells
    before = len(problems)
    start, error = _parse_count(start_text)
    if error:
        problems.append(Problem(line, f"{label} From", error, filename))
    end = None
    if end_text not in _OPEN_BOUNDS:
        end, error = _parse_count(end_text)
        if error:
            problems.append(Problem(line, f"{label} To", f"{error} (write -- for the open last tier)", filename))
    rate, error = _parse_rate(rate_text)
    if error or rate is None:
        problems.append(Problem(line, f"{label} Rate", error or "n/a in a tier row; a tier needs a rate", filename))
    percent, error = _parse_percent(percent_text)
    if error:
        problems.append(Problem(line, f"{label} vs. List rate", error, filename))
    if len(problems) > before:
        return None
    if end is not None and end < start:
        problems.append(Problem(line, f"{label} To", f"the tier ends ({end:,}) before it starts ({start:,})",
                                filename))
        return None
    return TierStep(line, start, end, rate, percent)
