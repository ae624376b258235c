"""Meta's rate-card CSV files in and out: the one importer behind `import_ratecard` and the admin upload.

Meta publishes a card as two CSV files, and this module reads them as Meta writes them:

* rates: a title line ("Cost per message in USD on the WhatsApp Business Platform, effective April 1,
  2026"; "Cost per conversation ..." for a conversation-based card), optional notes lines, the header
  `Market, Currency, Marketing, Utility, Authentication, "Authentication-<line break>International",
  Service`, then one row per market, `n/a` where the market has no such rate.
* volume tiers: a title line, optional notes lines, two lines of group headings (Utility /
  Authentication / Authentication-International), one header, then six rows per market (the name on
  the first only), per category `From, To, Rate type, Rate, vs. List rate`, with thousands separators,
  `--` for the open upper bound and `n/a` where the category has no tiers.

Everything is checked before anything is written, and every problem is reported with its line and
column, so a rate editor fixes the file once. The write is one transaction: a refused file changes
nothing, an accepted one arrives whole.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from ratecards.models import (
    RATE_DECIMALS,
    RATE_MAX_DIGITS,
    RULE_FIELDS,
    TIERED_CATEGORIES,
    CardStatus,
    Category,
    FreeServiceScope,
    Market,
    MarketMapping,
    PricingModel,
    Rate,
    RateCard,
    VolumeTier,
)

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


# --- Problems -------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong with a file, where a rate editor finds it: line (1-based, as an editor counts
    them) and column (the header's name for it). Either is None for a problem of the whole file."""

    line: int | None
    column: str | None
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRefused(Exception):
    """The files were not imported; `problems` lists every reason. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


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
class ParsedRates:
    filename: str
    title: Title | None = None
    notes: list[str] = field(default_factory=list)
    rows: list[RateRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    readable: bool = False  # decoded, and its header found: only then is more than its form worth checking

    @property
    def currency(self) -> str | None:
        return self.title.currency if self.title else None

    @property
    def effective_from(self) -> date | None:
        return self.title.effective_from if self.title else None

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
class ParsedTiers:
    filename: str
    title: Title | None = None
    notes: list[str] = field(default_factory=list)
    blocks: list[TierBlock] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def currency(self) -> str | None:
        return self.title.currency if self.title else None

    @property
    def effective_from(self) -> date | None:
        return self.title.effective_from if self.title else None


# --- Reading bytes and CSV rows -------------------------------------------------------------------------


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


def meta_date(day: date) -> str:
    """A date as Meta spells it in titles: 'April 1, 2026'."""
    return f"{day:%B} {day.day}, {day.year}"


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
    parsed = ParsedRates(filename=filename)
    text, parsed.problems = _decode(data, filename)
    if text is None:
        return parsed
    rows, parsed.problems = _read_rows(text, filename)
    if not rows:
        parsed.problems.append(Problem(None, None, "the file has no rows", filename))
        return parsed
    body = rows
    if _is_title(rows[0]):
        parsed.title = _parse_title(rows[0], filename, parsed.problems)
        body = rows[1:]
    # A tiers header ("Market (per rate card)") is found too, so that a swapped file is named as such.
    header_at = next((i for i, row in enumerate(body) if _is_header(row)), None)
    if header_at is None:
        parsed.problems.append(_missing_header(filename))
        return parsed
    parsed.notes = [_note_text(row) for row in body[:header_at]]
    header = body[header_at]
    columns = _rate_columns(header, filename, parsed.problems)
    if columns is None:
        return parsed
    parsed.readable = True
    for row in body[header_at + 1:]:
        rate_row = _parse_rate_row(row, columns, filename, parsed.problems)
        if rate_row is not None:
            parsed.rows.append(rate_row)
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(Problem(header.line, None, "the header is followed by no market rows", filename))
    return parsed


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
    parsed = ParsedTiers(filename=filename)
    text, parsed.problems = _decode(data, filename)
    if text is None:
        return parsed
    rows, parsed.problems = _read_rows(text, filename)
    if not rows:
        parsed.problems.append(Problem(None, None, "the file has no rows", filename))
        return parsed
    body = rows
    if _is_title(rows[0]):
        parsed.title = _parse_title(rows[0], filename, parsed.problems)
        body = rows[1:]
    header_at = next((i for i, row in enumerate(body) if _is_header(row)), None)
    if header_at is None:
        parsed.problems.append(Problem(None, "Market", "no header line 'Market (per rate card), Currency, From, "
                                       "To, Rate type, Rate, vs. List rate, ...' was found: the file is cut off or "
                                       "is not a volume tiers file", filename))
        return parsed
    header = body[header_at]
    if "marketing" in {_normalise(cell) for cell in header.cells}:
        parsed.problems.append(Problem(header.line, None, "this is a rates file, not a volume tiers file",
                                       filename))
        return parsed
    group_row = next((row for row in body[:header_at] if _group_starts(row)), None)
    if group_row is None:
        parsed.problems.append(Problem(header.line, None, "the group headings (Utility, Authentication, "
                                       "Authentication-International) above the header are missing", filename))
        return parsed
    parsed.notes = [_note_text(row) for row in body[:header_at] if row is not group_row and not _is_subheading(row)]
    groups = _tier_groups(group_row, header, filename, parsed.problems)
    if groups is None:
        return parsed
    parsed.blocks = _tier_blocks(body[header_at + 1:], groups, filename, parsed.problems)
    if not parsed.blocks and not parsed.problems:
        parsed.problems.append(Problem(header.line, None, "the header is followed by no market rows", filename))
    return parsed


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


# --- Validation -----------------------------------------------------------------------------------------


def validate(rates: ParsedRates, tiers: ParsedTiers | None = None, *, currency: str | None = None,
             effective_from: date | None = None) -> list[Problem]:
    """Every problem of the two files (form and meaning), in file and line order. Empty: importable.

    `currency` and `effective_from` default to the rates file's title."""
    problems, _ = _validate(rates, tiers, currency or rates.currency, effective_from or rates.effective_from)
    return problems


def _validate(rates: ParsedRates, tiers: ParsedTiers | None, currency: str | None,
              effective_from: date | None) -> tuple[list[Problem], dict[str, int]]:
    """The problems, and every market's id by name (the write needs them)."""
    market_ids = dict(Market.objects.values_list("name", "id"))
    rate_problems = list(rates.problems)
    if rates.readable:
        rate_problems += _identity_problems(rates, currency, effective_from)
    rate_problems += _rate_row_problems(rates, currency, market_ids)
    if effective_from is not None and rates.rows:
        rate_problems += _missing_market_problems(rates, effective_from)
    tier_problems: list[Problem] = []
    if tiers is not None:
        tier_problems = list(tiers.problems)
        tier_problems += _tier_title_problems(rates, tiers, currency, effective_from)
        tier_problems += _tier_block_problems(rates, tiers, currency, market_ids)
    return _in_order(rate_problems) + _in_order(tier_problems), market_ids


def _in_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.line or 0)


def _identity_problems(rates: ParsedRates, currency: str | None, effective_from: date | None) -> list[Problem]:
    problems = []
    title = rates.title
    line = title.line if title else None
    # An unreadable title is already reported by parse_rates: do not report it twice.
    if currency is None:
        if not (title and title.currency is None):
            problems.append(Problem(line, None, "no currency: the file has no title line naming it (e.g. 'Cost "
                                    "per message in USD ...'); give the currency", rates.filename))
    elif not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        problems.append(Problem(line, None, f"currency '{currency}' is not three capital letters (ISO 4217, "
                                "e.g. USD)", rates.filename))
    if effective_from is None and not (title and (title.currency is None or title.date_text)):
        problems.append(Problem(line, None, "no effective date: the title line does not give one (e.g. "
                                "'effective April 1, 2026'); give the date", rates.filename))
    return problems


def _rate_row_problems(rates: ParsedRates, currency: str | None, market_ids: dict[str, int]) -> list[Problem]:
    problems = []
    first_line: dict[str, int] = {}
    for row in rates.rows:
        problems += _market_problems(row.line, row.market, market_ids, rates.filename)
        if row.market in first_line:
            problems.append(Problem(row.line, "Market", f"{row.market} appears twice (first on line "
                                    f"{first_line[row.market]})", rates.filename))
        else:
            first_line[row.market] = row.line
        if currency and row.currency != currency:
            problems.append(Problem(row.line, "Currency", f"'{row.currency}', but the card is in {currency}",
                                    rates.filename))
    return problems


def _market_problems(line: int, name: str, market_ids: dict[str, int], filename: str) -> list[Problem]:
    if name in market_ids:
        return []
    hint = difflib.get_close_matches(name, market_ids, n=1)
    suggestion = f" (did you mean {hint[0]}?)" if hint else ""
    return [Problem(line, "Market", f"unknown market '{name}'{suggestion}; markets are added under "
                    "Rate cards and markets > Markets", filename)]


def _missing_market_problems(rates: ParsedRates, effective_from: date) -> list[Problem]:
    """A card must price every market the mapping bills numbers as on its date, and Other."""
    needed = set(MarketMapping.objects.in_force(effective_from).values_list("market__name", flat=True))
    priced = {row.market for row in rates.rows}
    problems = []
    for name in sorted(needed - priced):
        problems.append(Problem(None, "Market", f"no row for {name}: on {effective_from} numbers are billed as "
                                f"{name}, so the card must price it", rates.filename))
    if OTHER not in priced:
        problems.append(Problem(None, "Market", f"no row for {OTHER}: every card prices {OTHER}, the market of "
                                "every number not in the mapping", rates.filename))
    return problems


def _tier_title_problems(rates: ParsedRates, tiers: ParsedTiers, currency: str | None,
                         effective_from: date | None) -> list[Problem]:
    """The tiers file must belong to the same card as the rates file."""
    if tiers.title is None:
        return []
    problems = []
    line = tiers.title.line
    want_currency = rates.currency or currency
    want_date = rates.effective_from or effective_from
    if tiers.currency and want_currency and tiers.currency != want_currency:
        problems.append(Problem(line, None, f"the tiers file is in {tiers.currency}, the rates file in "
                                f"{want_currency}", tiers.filename))
    if tiers.effective_from and want_date and tiers.effective_from != want_date:
        problems.append(Problem(line, None, f"the tiers file is effective {meta_date(tiers.effective_from)}, the "
                                f"rates file {meta_date(want_date)}", tiers.filename))
    if rates.pricing_model == PricingModel.CONVERSATION:
        problems.append(Problem(line, None, "the rates file is a conversation-based card ('Cost per "
                                "conversation'), which has no volume tiers", tiers.filename))
    return problems


def _tier_block_problems(rates: ParsedRates, tiers: ParsedTiers, currency: str | None,
                         market_ids: dict[str, int]) -> list[Problem]:
    filename = tiers.filename
    rate_rows = {row.market: row for row in rates.rows}
    # Without readable rate rows (reported on the rates file) the files cannot be compared.
    linked = bool(rate_rows)
    problems = []
    first_line: dict[str, int] = {}
    for block in tiers.blocks:
        problems += _market_problems(block.line, block.market, market_ids, filename)
        if block.market in first_line:
            problems.append(Problem(block.line, "Market", f"{block.market} appears twice (first on line "
                                    f"{first_line[block.market]})", filename))
            continue
        first_line[block.market] = block.line
        if currency:
            problems += [Problem(row.line, "Currency", f"'{row.currency}', but the card is in {currency}", filename)
                         for row in block.currencies if row.currency != currency]
        rate_row = rate_rows.get(block.market)
        if not linked or block.damaged:
            continue  # the reasons are reported already; checking the rest would only echo them
        if rate_row is None:
            if block.market in market_ids:
                problems.append(Problem(block.line, "Market", f"tiers for {block.market}, which is not in the "
                                        "rates file", filename))
            continue
        for category, steps in block.tiers.items():
            problems += _step_problems(block, Category(category), steps, rate_row, filename)
    for name, row in rate_rows.items():
        if name not in first_line and tiers.blocks:
            problems.append(Problem(None, "Market", f"no tiers for {name} (line {row.line} of the rates file): "
                                    "every market of the card needs its block, n/a where it has no tiers",
                                    filename))
    return problems


def _step_problems(block: TierBlock, category: Category, steps: list[TierStep], rate_row: RateRow,
                   filename: str) -> list[Problem]:
    """Tiers start at 0, each starts right after the previous one ends (Meta's bounds are inclusive:
    0 - 100,000 then 100,001 - ...), the last is open ('--'), and the first is the card's list rate."""
    label = category.label
    problems = []
    if steps[0].start != 0:
        problems.append(Problem(steps[0].line, f"{label} From", f"the first tier starts at {steps[0].start:,}; "
                                "it must start at 0", filename))
    for previous, step in zip(steps, steps[1:]):
        if previous.end is None:
            problems.append(Problem(previous.line, f"{label} To", "only the last tier may be open (--)", filename))
        elif step.start > previous.end + 1:
            problems.append(Problem(step.line, f"{label} From", f"gap: the tier before ends at {previous.end:,}, "
                                    f"so this one must start at {previous.end + 1:,}, not {step.start:,}", filename))
        elif step.start < previous.end + 1:
            problems.append(Problem(step.line, f"{label} From", f"overlap: the tier before ends at "
                                    f"{previous.end:,}, so this one must start at {previous.end + 1:,}, not "
                                    f"{step.start:,}", filename))
    if steps[-1].end is not None:
        problems.append(Problem(steps[-1].line, f"{label} To", f"the last tier ends at {steps[-1].end:,}; it must "
                                "be open (--)", filename))
    list_rate = rate_row.rates.get(category.value)
    if category.value not in rate_row.rates:
        pass  # the rates cell itself was unreadable and is reported there
    elif list_rate is None:
        problems.append(Problem(block.line, f"{label} Rate", f"tiers for {block.market} {label}, but the rates "
                                f"file has n/a for it (line {rate_row.line})", filename))
    elif steps[0].rate != list_rate:
        problems.append(Problem(steps[0].line, f"{label} Rate", f"list rate {steps[0].rate} differs from the rates "
                                f"file's {list_rate} (line {rate_row.line})", filename))
    return problems


# --- Rules ----------------------------------------------------------------------------------------------

_CHANGE_OF_RULES = date(2026, 10, 1)  # pricing-rules.md: service charged, utility in the window charged again
_SERVICE_FREE_FROM = date(2024, 11, 1)


def default_rules(pricing_model: str, effective_from: date) -> dict:
    """Starting rules for a card with no earlier card of its currency: the table of pricing-rules.md.

    Only a starting point: rules are settings of the card that an admin checks and changes."""
    rules = {
        "pricing_model": pricing_model,
        "conversation_hours": 24,
        "service_window_hours": 24,
        "free_entry_point_hours": 72,
        "utility_free_in_service_window": False,
        "service_charged": False,
        "free_service_allowance": 0,
        "free_service_scope": FreeServiceScope.NONE.value,
        "volume_tiers": False,
    }
    if pricing_model == PricingModel.CONVERSATION:
        if effective_from < _SERVICE_FREE_FROM:
            rules.update(service_charged=True, free_service_allowance=1000,
                         free_service_scope=FreeServiceScope.BUSINESS_ACCOUNT.value)
    elif effective_from < _CHANGE_OF_RULES:
        rules.update(utility_free_in_service_window=True, volume_tiers=True)
    else:
        rules.update(service_charged=True, free_service_allowance=1000,
                     free_service_scope=FreeServiceScope.PHONE_NUMBER.value, volume_tiers=True)
    return rules


def _rule_problems(rules: dict) -> list[Problem]:
    problems = []
    for key in rules:
        if key not in RULE_FIELDS:
            problems.append(Problem(None, None, f"unknown rule setting '{key}' (known: {', '.join(RULE_FIELDS)})"))
    for key in ("conversation_hours", "service_window_hours", "free_entry_point_hours", "free_service_allowance"):
        value = rules.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(Problem(None, None, f"rule setting {key} must be a whole number >= 0, not {value!r}"))
    for key in ("utility_free_in_service_window", "service_charged", "volume_tiers"):
        if not isinstance(rules.get(key), bool):
            problems.append(Problem(None, None, f"rule setting {key} must be true or false, not {rules.get(key)!r}"))
    if rules.get("pricing_model") not in PricingModel.values:
        problems.append(Problem(None, None, f"rule setting pricing_model must be one of {PricingModel.values}"))
    if rules.get("free_service_scope") not in FreeServiceScope.values:
        problems.append(Problem(None, None, f"rule setting free_service_scope must be one of "
                                f"{FreeServiceScope.values}"))
    if not problems:
        card = RateCard(currency="XXX", effective_from=date.today(), **{k: rules[k] for k in RULE_FIELDS})
        try:
            card.clean()
        except ValidationError as exc:
            problems += [Problem(None, None, f"rules: {message}") for message in exc.messages]
    return problems


def _complete_rules(given: dict, title_model: str | None, effective_from: date | None) -> dict:
    """Given rules may leave settings out: those come from the defaults for the card's model."""
    model = given.get("pricing_model") or title_model or PricingModel.MESSAGE
    return {**default_rules(model, effective_from or date.today()), **given}


def _earlier_card(currency: str, effective_from: date) -> RateCard | None:
    """The latest card of the currency before this date: published first, a draft only if there is none."""
    earlier = RateCard.objects.filter(currency=currency, effective_from__lt=effective_from).exclude(
        status=CardStatus.SUPERSEDED
    )
    return (earlier.filter(status=CardStatus.PUBLISHED).order_by("-effective_from").first()
            or earlier.order_by("-effective_from", "-pk").first())


def _choose_rules(given: dict | None, title_model: str | None, currency: str, effective_from: date,
                  same_date: RateCard | None, notes: list[str]) -> tuple[dict, str]:
    """The rules of the imported card and where they come from (said in the report)."""
    if given is not None:
        rules = _complete_rules(given, title_model, effective_from)
        if title_model and rules["pricing_model"] != title_model:
            notes.append(f"The title says {PricingModel(title_model).label.lower()} but the rules given say "
                         f"{rules['pricing_model']}; using the rules given.")
        return rules, "the rules given"
    if same_date is not None:
        return same_date.rules_dict(), f"{same_date} (#{same_date.pk}), the existing card of that currency and date"
    previous = _earlier_card(currency, effective_from)
    if previous is not None and (title_model is None or previous.pricing_model == title_model):
        return previous.rules_dict(), f"{previous} (#{previous.pk}), the latest earlier {currency} card"
    model = title_model or PricingModel.MESSAGE
    why = (f"the latest earlier {currency} card, {previous}, is {PricingModel(previous.pricing_model).label.lower()}"
           if previous is not None else f"no earlier {currency} card")
    notes.append(f"Rules: defaults for a {PricingModel(model).label.lower()} card on {effective_from} ({why}); "
                 "check them in the admin before publishing.")
    return default_rules(model, effective_from), "defaults"


# --- Figures: what a card holds, to compare and to write ------------------------------------------------

RateKey = tuple[int, str]  # market id, category
TierKey = tuple[int, str, int]  # market id, category, start
TierValue = tuple[Decimal, Decimal | None]  # rate, Meta's vs. list rate label


@dataclass
class _Figures:
    rates: dict[RateKey, Decimal | None]
    tiers: dict[TierKey, TierValue]

    @classmethod
    def from_files(cls, rates: ParsedRates, tiers: ParsedTiers | None, market_ids: dict[str, int]) -> "_Figures":
        rate_figures = {(market_ids[row.market], category): value
                        for row in rates.rows for category, value in row.rates.items()}
        tier_figures = {}
        for block in tiers.blocks if tiers else []:
            for category, steps in block.tiers.items():
                for step in steps:
                    tier_figures[(market_ids[block.market], category, step.start)] = (step.rate, step.vs_list_rate)
        return cls(rate_figures, tier_figures)

    @classmethod
    def of_card(cls, card: RateCard) -> "_Figures":
        return cls(
            {(m, c): r for m, c, r in card.rates.values_list("market_id", "category", "rate")},
            {(m, c, s): (r, p) for m, c, s, r, p in card.tiers.values_list(
                "market_id", "category", "start", "rate", "vs_list_rate")},
        )

    def same_as(self, other: "_Figures") -> bool:
        return self.rates == other.rates and self.tiers == other.tiers

    def write(self, card: RateCard) -> None:
        Rate.objects.bulk_create(Rate(card=card, market_id=m, category=c, rate=r) for (m, c), r in self.rates.items())
        VolumeTier.objects.bulk_create(
            VolumeTier(card=card, market_id=m, category=c, start=s, rate=r, vs_list_rate=p)
            for (m, c, s), (r, p) in self.tiers.items()
        )


def _differences(old: _Figures, new: _Figures, names: dict[int, str], limit: int = 50) -> list[str]:
    """Rate cells that changed, markets added or dropped, and how many tier rows differ."""
    lines = []
    old_markets = {m for m, _ in old.rates}
    new_markets = {m for m, _ in new.rates}
    for market in sorted(new_markets - old_markets, key=names.get):
        lines.append(f"{names[market]}: new market")
    for market in sorted(old_markets - new_markets, key=names.get):
        lines.append(f"{names[market]}: no longer on the card")
    order = {c.value: i for i, c in enumerate(RATE_CATEGORIES)}
    common = sorted((k for k in new.rates if k[0] in old_markets), key=lambda k: (names[k[0]], order[k[1]]))
    for key in common:
        before, after = old.rates.get(key), new.rates[key]
        if before != after:
            lines.append(f"{names[key[0]]} {Category(key[1]).label}: {_show(before)} -> {_show(after)}")
    tier_changes = len(set(old.tiers.items()) ^ set(new.tiers.items()))
    if tier_changes:
        lines.append(f"{tier_changes} tier row{'s' if tier_changes != 1 else ''} added, removed or changed")
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more"]
    return lines


def _show(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:.{RATE_DECIMALS}f}"


# --- Import ---------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    action: str  # "created" | "updated" | "unchanged"
    card: RateCard | None  # None for a dry run
    currency: str
    effective_from: date
    pricing_model: str
    dry_run: bool = False
    published: bool = False
    markets: int = 0
    rates: int = 0  # cells with a rate
    not_available: int = 0  # n/a cells
    tiers: int = 0
    notes: list[str] = field(default_factory=list)
    rules: dict = field(default_factory=dict)
    rules_from: str = ""
    compared_with: str | None = None
    differences: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.currency} {self.effective_from.isoformat()}"

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    def __str__(self) -> str:
        would = "would be " if self.dry_run else ""
        if self.action == "unchanged":
            what = f"{self.name} unchanged (the same card is already there)"
        else:
            status = "published" if self.published else "draft"
            card = f" #{self.card.pk}" if self.card is not None else ""
            what = f"{self.name} {would}{self.action} ({status}{card})"
        counts = (f"{self.markets} markets, {self.rates} rates ({self.not_available} n/a), {self.tiers} tiers, "
                  f"{len(self.notes)} note{'s' if len(self.notes) != 1 else ''}")
        return f"{what}: {counts}"

    def describe(self) -> str:
        """The full report, several lines, for the command line."""
        lines = [str(self), f"Rules from {self.rules_from}."]
        lines += [f"Note: {note}" for note in self.notes]
        if self.compared_with:
            if self.differences:
                lines.append(f"Differences from {self.compared_with}:")
                lines += [f"  {line}" for line in self.differences]
            else:
                lines.append(f"Same rates and tiers as {self.compared_with}.")
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        return "\n".join(lines)


def import_card(
    rates: bytes,
    tiers: bytes | None = None,
    *,
    currency: str | None = None,
    effective_from: date | None = None,
    dry_run: bool = False,
    publish: bool = False,
    source: str = "",
    rules: dict | None = None,
    rates_name: str = "rates.csv",
    tiers_name: str = "tiers.csv",
    notes: str = "",
) -> ImportReport:
    """Check both files completely, then write the card in one transaction, or raise ImportRefused.

    The same files imported again change nothing. New figures for a date that has a draft replace the
    draft; new figures for a published card become a new draft that corrects it (published cards never
    change). `publish` publishes the result, superseding the card it corrects."""
    parsed_rates = parse_rates(rates, rates_name)
    parsed_tiers = parse_tiers(tiers, tiers_name) if tiers is not None else None
    report_notes: list[str] = []
    currency = _chosen(parsed_rates.currency, currency.upper() if currency else None, "currency", report_notes)
    effective_from = _chosen(parsed_rates.effective_from, effective_from, "effective date", report_notes)

    with transaction.atomic():
        problems, market_ids = _validate(parsed_rates, parsed_tiers, currency, effective_from)
        if rules is not None:
            problems += _rule_problems(_complete_rules(rules, parsed_rates.pricing_model, effective_from))
        if problems:
            raise ImportRefused(problems)
        figures = _Figures.from_files(parsed_rates, parsed_tiers, market_ids)
        plan = _Plan.make(currency, effective_from, figures, rules, parsed_rates.pricing_model, report_notes)
        report = plan.report(figures, market_ids, parsed_rates, report_notes, dry_run, publish)
        if tiers is None and report.rules["volume_tiers"] and report.pricing_model == PricingModel.MESSAGE:
            report_notes.append("No tiers file: until tiers are added, every message is priced at the list rate.")
        _note_untiered(parsed_rates, parsed_tiers, report_notes)
        if not dry_run and report.changed:
            report.card = plan.write(figures, publish=publish, source=_source(source, rates_name, tiers, tiers_name),
                                     notes=_card_notes(notes, parsed_rates, parsed_tiers))
            report.published = report.card.status == CardStatus.PUBLISHED
            _catalog_changed()
    return report


def _chosen(from_title, given, what: str, notes: list[str]):
    """The given value wins over the title's; a contradiction is worth a note."""
    if given is not None and from_title is not None and given != from_title:
        shown = meta_date(from_title) if isinstance(from_title, date) else from_title
        notes.append(f"The title line says {what} {shown}; using the {what} given, {given}.")
    return given if given is not None else from_title


def _note_untiered(rates: ParsedRates, tiers: ParsedTiers | None, notes: list[str]) -> None:
    """A tiered category with a rate but only n/a tier rows is priced at its list rate: legal, worth saying."""
    if tiers is None:
        return
    blocks = {block.market: block for block in tiers.blocks}
    missing = [f"{row.market} {Category(c).label}" for row in rates.rows for c in (t.value for t in TIERED_CATEGORIES)
               if row.rates.get(c) is not None and row.market in blocks and c not in blocks[row.market].tiers]
    if missing:
        notes.append(f"No tiers (list rate for every message): {', '.join(missing)}.")


def _source(source: str, rates_name: str, tiers: bytes | None, tiers_name: str) -> str:
    text = source or f"Imported from {rates_name}" + (f" and {tiers_name}" if tiers is not None else "")
    return text if len(text) <= SOURCE_MAX else text[: SOURCE_MAX - 1] + "…"


def _card_notes(notes: str, rates: ParsedRates, tiers: ParsedTiers | None) -> str:
    parts = [notes.strip()] if notes.strip() else []
    file_notes = rates.notes + (tiers.notes if tiers else [])
    if file_notes:
        parts.append("Notes in Meta's files:\n" + "\n".join(f"- {note}" for note in file_notes))
    return "\n\n".join(parts)


def _catalog_changed() -> None:
    # bulk_create sends no signals: tell the per-process caches (ratecards.catalog) that cards changed.
    from ratecards import catalog

    catalog.bump()


@dataclass
class _Plan:
    """What the import does: create, replace a draft, correct a published card, or nothing."""

    action: str
    currency: str
    effective_from: date
    rules: dict
    rules_from: str
    existing: RateCard | None  # the card left as is (unchanged) or replaced (draft)
    corrects: RateCard | None  # the published card a new draft corrects
    baseline: RateCard | None  # what differences are shown against

    @classmethod
    def make(cls, currency: str, effective_from: date, figures: _Figures, given_rules: dict | None,
             title_model: str | None, notes: list[str]) -> "_Plan":
        same_date = list(
            RateCard.objects.select_for_update()
            .filter(currency=currency, effective_from=effective_from)
            .exclude(status=CardStatus.SUPERSEDED)
            .order_by("-pk")
        )
        published = next((c for c in same_date if c.status == CardStatus.PUBLISHED), None)
        draft = next((c for c in same_date if c.status == CardStatus.DRAFT), None)
        rules, rules_from = _choose_rules(given_rules, title_model, currency, effective_from, draft or published,
                                          notes)
        plan = cls("created", currency, effective_from, rules, rules_from, None, None, None)
        for card in (published, draft):
            if card is not None and card.rules_dict() == rules and _Figures.of_card(card).same_as(figures):
                plan.action, plan.existing, plan.baseline = "unchanged", card, card
                return plan
        if draft is not None:
            plan.action, plan.existing, plan.baseline = "updated", draft, draft
        elif published is not None:
            plan.corrects = plan.baseline = published
            notes.append(f"{published} (#{published.pk}) is published and never changes: the import is a new "
                         "draft that corrects it.")
        else:
            plan.baseline = _earlier_card(currency, effective_from)
        return plan

    def report(self, figures: _Figures, market_ids: dict[str, int], rates: ParsedRates, notes: list[str],
               dry_run: bool, publish: bool) -> ImportReport:
        names = {pk: name for name, pk in market_ids.items()}
        values = list(figures.rates.values())
        report = ImportReport(
            action=self.action,
            card=self.existing if self.action == "unchanged" and not dry_run else None,
            currency=self.currency,
            effective_from=self.effective_from,
            pricing_model=self.rules["pricing_model"],
            dry_run=dry_run,
            published=self.existing is not None and self.existing.status == CardStatus.PUBLISHED,
            markets=len(rates.rows),
            rates=sum(v is not None for v in values),
            not_available=sum(v is None for v in values),
            tiers=len(figures.tiers),
            notes=notes,
            rules=self.rules,
            rules_from=self.rules_from,
        )
        if self.baseline is not None and self.action != "unchanged":
            report.compared_with = f"{self.baseline} (#{self.baseline.pk}, {self.baseline.status})"
            report.differences = _differences(_Figures.of_card(self.baseline), figures, names)
        if self.action == "unchanged" and publish and self.existing.status == CardStatus.DRAFT:
            report.action = "updated"
            report.notes.append("The same card was already there as a draft: it is published now.")
        return report

    def write(self, figures: _Figures, *, publish: bool, source: str, notes: str) -> RateCard:
        if self.action == "unchanged":
            card = self.existing
        elif self.existing is not None:
            card = self._replace_draft(figures, source, notes)
        else:
            card = RateCard(currency=self.currency, effective_from=self.effective_from, source=source,
                            notes=notes, copied_from=self.corrects, **self.rules)
            if self.corrects is not None:
                card.notes = f"Correction of {self.corrects} (card #{self.corrects.pk}).\n{notes}".strip()
            card.save()
            figures.write(card)
        if publish and card.status == CardStatus.DRAFT:
            card.publish()
        return card

    def _replace_draft(self, figures: _Figures, source: str, notes: str) -> RateCard:
        card = self.existing
        for name, value in self.rules.items():
            setattr(card, name, value)
        card.source = source
        if notes:
            card.notes = notes
        card.save()
        _delete_figures(card)
        figures.write(card)
        return card


def _delete_figures(card: RateCard) -> None:
    """Drop a draft's rates and tiers in two statements.

    The ORM's delete() would load every row and send post_delete for each (ratecards.catalog listens),
    hundreds of catalogue bumps for one card; the import bumps the catalogue once itself. Nothing refers
    to rates or tiers, so no cascade is skipped, and the card is a draft (ChildOfDraftMixin's rule)."""
    with connection.cursor() as cursor:
        for model in (Rate, VolumeTier):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE card_id = %s", [card.pk])


# --- Export ---------------------------------------------------------------------------------------------


def _meta_order(name: str) -> tuple[int, str]:
    """Meta's row order: countries A-Z, then North America, the 'Rest of' regions A-Z, and Other last."""
    if name == OTHER:
        return (3, "")
    if name.startswith("Rest of "):
        return (2, name)
    if name == "North America":
        return (1, "")
    return (0, name)


def _title(card: RateCard) -> str:
    unit = "conversation" if card.pricing_model == PricingModel.CONVERSATION else "message"
    return (f"Cost per {unit} in {card.currency} on the WhatsApp Business Platform, "
            f"effective {meta_date(card.effective_from)}")


def _writer() -> tuple[io.StringIO, "csv._writer"]:
    buffer = io.StringIO()
    return buffer, csv.writer(buffer, lineterminator="\r\n")  # Meta's files end lines with CRLF


def _card_rates(card: RateCard) -> dict[str, dict[str, Decimal | None]]:
    by_market: dict[str, dict[str, Decimal | None]] = {}
    for market, category, rate in card.rates.values_list("market__name", "category", "rate"):
        by_market.setdefault(market, {})[category] = rate
    return by_market


def export_rates_csv(card: RateCard) -> str:
    """The card's rates in Meta's layout; importing the text gives back the same rates."""
    buffer, writer = _writer()
    header = ["Market", "Currency", *(_header_cell(c) for c in RATE_CATEGORIES)]
    writer.writerow([_title(card)] + [""] * (len(header) - 1))
    writer.writerow(header)
    for market, rates in sorted(_card_rates(card).items(), key=lambda item: _meta_order(item[0])):
        writer.writerow([market, card.currency, *(_show_cell(rates.get(c.value)) for c in RATE_CATEGORIES)])
    return buffer.getvalue()


def _header_cell(category: Category) -> str:
    # Meta breaks the long header inside its cell: "Authentication-<line break>International".
    return category.label.replace("-", "-\n") if category == Category.AUTHENTICATION_INTERNATIONAL else category.label


def _show_cell(value: Decimal | None) -> str:
    return "n/a" if value is None else _show(value)


def export_tiers_csv(card: RateCard) -> str | None:
    """The card's volume tiers in Meta's layout, or None when it has none."""
    tiers: dict[str, dict[str, list[tuple[int, Decimal, Decimal | None]]]] = {}
    for market, category, start, rate, percent in card.tiers.order_by("start").values_list(
        "market__name", "category", "start", "rate", "vs_list_rate"
    ):
        tiers.setdefault(market, {}).setdefault(category, []).append((start, rate, percent))
    if not tiers:
        return None
    rates = _card_rates(card)
    width = 2 + len(TIERED_CATEGORIES) * len(TIER_FIELDS)
    buffer, writer = _writer()
    writer.writerow([_title(card) + TIERS_TITLE_SUFFIX] + [""] * (width - 1))
    groups, subheadings, header = ["", ""], ["", ""], ["Market\n(per rate card)", "Currency"]
    for category in TIERED_CATEGORIES:
        groups += [category.label, "", "", "", ""]
        subheadings += ["Messages (per month)", "", "What we charge", "", ""]
        header += list(TIER_FIELDS)
    writer.writerows([groups, subheadings, header])
    for market in sorted(set(rates) | set(tiers), key=_meta_order):
        writer.writerows(_tier_block_rows(market, card.currency, tiers.get(market, {}), rates.get(market, {})))
    return buffer.getvalue()


def _tier_block_rows(market: str, currency: str, tiers: dict[str, list[tuple[int, Decimal, Decimal | None]]],
                     rates: dict[str, Decimal | None]) -> list[list[str]]:
    height = max([META_TIER_ROWS, *(len(steps) for steps in tiers.values())])
    rows = [[market if i == 0 else "", currency] for i in range(height)]
    for category in TIERED_CATEGORIES:
        steps = tiers.get(category.value, [])
        list_rate = rates.get(category.value) if rates.get(category.value) is not None else (
            steps[0][1] if steps else None)
        for i in range(height):
            if i >= len(steps):
                rows[i] += ["n/a"] * len(TIER_FIELDS)
                continue
            start, rate, percent = steps[i]
            end = f"{steps[i + 1][0] - 1:,}" if i + 1 < len(steps) else "--"
            rows[i] += [f"{start:,}", end, "List rate" if i == 0 else "Tier rate", _show(rate),
                        _vs_list_rate(rate, list_rate, percent)]
    return rows


def _vs_list_rate(rate: Decimal, list_rate: Decimal | None, stored: Decimal | None) -> str:
    """Meta's 'vs. List rate' column: its own label when the import kept one, else computed from the
    four-decimal rates to the whole percent (Meta computes from unrounded rates, so a computed figure
    can be off; it is a label, never used to price)."""
    if stored is not None:
        percent = stored
    elif list_rate:
        percent = ((rate / list_rate - 1) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    else:
        percent = Decimal(0)
    text = f"{percent.normalize():f}" if percent else "0"
    return f"{text}%"


__all__ = [
    "ImportRefused",
    "ImportReport",
    "ParsedRates",
    "ParsedTiers",
    "Problem",
    "default_rules",
    "export_rates_csv",
    "export_tiers_csv",
    "import_card",
    "meta_date",
    "parse_rates",
    "parse_tiers",
    "validate",
]
