"""What one request may ask for: every size and cost bound of the calculator, the API and the uploads.

One place for the figures (forms, the JSON API, the usage upload and the README quote them from here),
and the checks that need no Django: numbers read at the edge and JSON bodies before they are parsed.
Each bound is set so that the largest request it allows still answers in about a second or two on a
small server (figures measured on the project's 2-core machine, issue 11):

- the calculator page renders about 10 ms per line (each line is a row of nine inputs), so a page has
  at most MAX_CALCULATOR_LINES lines: 50 lines render in about half a second; 1,000 took 10 s;
- a replay prices each event once per `cards_on` date (about 20 µs an event-card, plus the answer:
  about 100 bytes an event-card), so events x dates is at most MAX_REPLAY_EVENT_CARDS: 100,000
  event-cards answer in 2 to 5 s; 100,000 events on 10 dates took 15 to 25 s;
- pasted phone numbers are parsed one by one (about 100 µs each), so a paste holds at most
  MAX_PASTED_NUMBERS: 10,000 numbers take about a second; 50,000 took 5 to 10 s.

A request over a bound is refused whole with a 400 whose message names the bound (`OverBudget`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# --- numbers

MAX_COUNT = Decimal(10) ** 12  # messages of one category on one line, a month
MAX_AGENT_TOKENS = Decimal(10) ** 13  # Meta Business Agent tokens a month (USD 20 million at USD 2.00 a million)
MAX_PER_CONVERSATION = Decimal(10) ** 6
MAX_PHONE_NUMBERS = 100_000  # business phone numbers
MAX_NUMBER_CHARS = 40  # a number as written (digits, sign, point, exponent)
MAX_DECIMAL_PLACES = 6  # e.g. 0.333333 (a share) or 12.5 (messages); 1E-99999999 is refused
MAX_INTEGER_DIGITS = 14  # 10^13 has 14 digits; anything longer is over every bound above

# --- the calculator and the estimate API

MAX_LINES = 1_000  # lines of one estimate in the JSON API (about 1 ms each in the engine, no page)
MAX_CALCULATOR_LINES = 50  # lines (countries) on the calculator page, its CSV and a quote made from it
MAX_COMPARE_DATES = 10
MAX_PASTED_NUMBERS = 10_000  # phone numbers in one paste

# --- replay

MAX_EVENTS = 100_000
MAX_REPLAY_EVENT_CARDS = 100_000  # events x cards_on dates (1 when cards_on is absent)

# --- webhook files (usage): the upload page and `ingest_webhooks` alike, unless said otherwise

MAX_LINE = 4 * 1024 * 1024  # a longer line is reported and skipped, read through in pieces, never held
MAX_ELEMENT = 4 * 1024 * 1024  # an element of a JSON array larger than this is taken to be broken
MAX_DOCUMENT = 16 * 1024 * 1024  # a single JSON document over several lines (an analytics response)
MAX_DOCUMENT_LINES = 1_000_000  # lines of that document (more: the file is lines, not one document)
MAX_DOCUMENT_VALUES = 1_000_000  # JSON values in it, counted before parsing (about 100 bytes each parsed)
MAX_LEADING_BLANK = 1_000  # blank lines before the first record: more, and the file is not webhooks
SNIFF_NOT_WEBHOOKS = 200  # blank or broken lines with no envelope yet: the file is not webhooks
MOSTLY_NOT_WEBHOOKS = 100_000  # past this many blank or broken lines, more of them than envelopes: refused
# The upload page only (settings USAGE_UPLOAD_MAX_LINES and USAGE_UPLOAD_MAX_UNCOMPRESSED_MB override):
# 300,000 lines took 3.4 s of CPU and 18.5 s wall on the 2-core machine saturated by test runs, against
# gunicorn's 30 s timeout; 200,000 leaves room. 200,000 of Meta's lines are about 85 MB uncompressed.
UPLOAD_MAX_LINES = 200_000
UPLOAD_MAX_UNCOMPRESSED_MB = 256

# --- JSON bodies and documents

MAX_JSON_VALUES = 1_000_000  # arrays, objects and elements in one JSON body, counted before parsing


class OverBudget(ValueError):
    """A request asks for more than one request may do; the message names the bound (answered 400)."""


class NumberRefused(ValueError):
    """A number that is not a sane count, share or amount; the message says why, `kind` in one word."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind  # "not_a_number", "too_long", "not_finite", "too_precise" or "too_large"


def parse_decimal(text: str) -> Decimal:
    """A number as written by a person or a program, bounded before it is read; raises NumberRefused."""
    if len(text) > MAX_NUMBER_CHARS:
        raise NumberRefused(f"is too long for a number (at most {MAX_NUMBER_CHARS} characters)", "too_long")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise NumberRefused("is not a number", "not_a_number") from None
    return sane_decimal(number)


def sane_decimal(number: Decimal) -> Decimal:
    """The number with a plain exponent, or NumberRefused.

    Every number that reaches the engine or a stored quote passes here: its text form (``format(n, "f")``)
    is then at most MAX_INTEGER_DIGITS + MAX_DECIMAL_PLACES digits long. ``1E-99999999`` written out is
    100 MB, and ``0E-99999999`` is zero with as many zeros after the point: both are caught here by
    their exponent, without ever being expanded.
    """
    if not number.is_finite():
        raise NumberRefused("must be a finite number", "not_finite")
    _sign, digits, exponent = number.as_tuple()
    if len(digits) > MAX_NUMBER_CHARS:  # made by arithmetic, not read: still bounded
        raise NumberRefused(f"has more than {MAX_NUMBER_CHARS} digits", "too_long")
    if not any(digits):
        return Decimal(0)
    places = max(0, -(exponent + _trailing_zeros(digits)))
    if places > MAX_DECIMAL_PLACES:
        raise NumberRefused(f"has more than {MAX_DECIMAL_PLACES} decimal places", "too_precise")
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise NumberRefused(f"is too large (at most {MAX_INTEGER_DIGITS} digits before the point)", "too_large")
    if exponent > 0 or -exponent > MAX_DECIMAL_PLACES:  # 1E+3, or 1.000000000: the same number, plainly
        return number.quantize(Decimal(1).scaleb(-places))
    return number


def _trailing_zeros(digits: tuple[int, ...]) -> int:
    count = 0
    for digit in reversed(digits):
        if digit:
            break
        count += 1
    return count


def _json_number_text(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise OverBudget(f"a number in the JSON is longer than {MAX_NUMBER_CHARS} characters")
    return text


def json_decimal(text: str) -> Decimal:
    """`parse_float` for json.loads: a number token longer than MAX_NUMBER_CHARS is refused before it
    is read (a 16 MB run of digits would cost seconds); the others become Decimal, never float."""
    return Decimal(_json_number_text(text))


def json_int(text: str) -> int:
    """`parse_int` for json.loads, bounded like `json_decimal`."""
    return int(_json_number_text(text))


def json_values_bound(body: bytes, most: int = MAX_JSON_VALUES) -> None:
    """Refuse (OverBudget) a JSON text with more than `most` values, counted before parsing.

    Parsed JSON takes 50 to 100 bytes of memory per value however small its text ("[]," is three
    bytes): counting brackets and commas (a byte scan in C) bounds what parsing can cost.
    """
    values = body.count(b",") + body.count(b"[") + body.count(b"{")
    if values > most:
        raise OverBudget(f"the JSON holds more than {most:,} values (arrays, objects and elements)")
