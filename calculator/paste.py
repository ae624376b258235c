"""Paste numbers: a list of recipients' phone numbers becomes estimate lines, one per country.

The text is one number a line, or CSV with the numbers in one column (found by its header, "phone",
"mobile", "number"..., or else as the first cell of a row that looks like a phone number). Each
distinct number is one recipient; numbers that cannot be read are listed back with their line and the
reason in the user's words. A number without a country code is one of the business's country (when it
is given); WhatsApp's own forms are read (Mexico's ``+52 1 ...``). The numbers are used either as
recipients (each gets so many messages a month) or as the country split of a monthly total (each
country's share of the numbers is its share of the messages).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import phonenumbers
from django import forms
from django.http import QueryDict

from calculator.counts import CountField, CountRefused, parse_count
from calculator.engine.limits import MAX_COUNT, MAX_PASTED_NUMBERS
from calculator.forms import PREFIX, LineForm, country_code, country_names, with_management
from calculator.engine.markets import InvalidPhoneNumber, MarketMap
from calculator.engine.vocabulary import plain_number

MAX_NUMBERS = MAX_PASTED_NUMBERS
RECIPIENTS, SPLIT = "recipients", "split"
MAX_PASTE_CHARS = 2_000_000  # a CSV export's rows, with more columns than the number
MAX_SHOWN_INVALID = 50
MAX_LINE = 4096  # characters in one pasted line: a CSV row with a phone column fits many times over
HEADER_WORDS = ("phone", "mobile", "msisdn", "number", "whatsapp", "wa_id", "cell", "tel")
PHONE_LIKE = re.compile(r"^\s*\+?[\d\s().\-/]{6,}\s*$")


class PasteForm(forms.Form):
    numbers = forms.CharField(
        label="Phone numbers", widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off",
                                                            "placeholder": "+91 98765 43210\n+55 11 91234-5678\n..."}),
        help_text="One number a line with its country code, or paste a CSV file's rows (the phone column is found "
                  "by its header).",
        max_length=MAX_PASTE_CHARS,
    )
    category = forms.ChoiceField(label="Count them as", initial="marketing", choices=[
        ("marketing", "Marketing"), ("utility", "Utility"), ("authentication", "Authentication"),
        ("service", "Service"),
    ])
    use = forms.ChoiceField(label="Use the numbers", initial=RECIPIENTS, required=False, widget=forms.RadioSelect, choices=[
        (RECIPIENTS, "One recipient per number"), (SPLIT, "As my country split of a monthly total"),
    ])
    per_recipient = forms.DecimalField(label="Messages per person a month", initial=1, min_value=0,
                                       max_value=10_000, decimal_places=2, required=False,
                                       help_text="For one recipient per number.",
                                       widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}))
    monthly_total = CountField(label="Messages a month in all", high=MAX_COUNT,
                               help_text="For a country split: shared by the countries as their numbers are.")

    def clean(self):
        data = super().clean()
        data["use"] = data.get("use") or RECIPIENTS
        if data.get("use") == SPLIT and not data.get("monthly_total") and "monthly_total" not in self.errors:
            self.add_error("monthly_total", "enter the messages a month to split by country, e.g. 200.000")
        if data.get("use") != SPLIT and data.get("per_recipient") is None and "per_recipient" not in self.errors:
            data["per_recipient"] = Decimal(1)
        return data

    def clean_numbers(self) -> str:
        """At most MAX_PASTED_NUMBERS lines with something on them: each is parsed as a phone number
        (about 100 µs each), so a bigger paste is refused whole rather than read for seconds."""
        text = self.cleaned_data["numbers"]
        lines = sum(1 for line in text.splitlines() if line.strip())
        if lines > MAX_PASTED_NUMBERS + 1:  # + a CSV header row
            raise forms.ValidationError(
                "paste at most %(most)s numbers at a time (this has %(lines)s lines); split the list and paste "
                "the rest after", params={"most": f"{MAX_PASTED_NUMBERS:,}", "lines": f"{lines:,}"},
                code="too_many")
        return text


@dataclass
class Invalid:
    line: int
    text: str
    reason: str


@dataclass
class PasteResult:
    by_country: Counter = field(default_factory=Counter)  # ISO code: distinct recipients
    markets: dict[str, str] = field(default_factory=dict)  # ISO code: market
    invalid: list[Invalid] = field(default_factory=list)
    duplicates: int = 0
    too_many: bool = False
    home: str | None = None  # the country of numbers written without a country code
    added: dict[str, Decimal] = field(default_factory=dict)  # ISO code: messages added (merge_lines)

    @property
    def recipients(self) -> int:
        return sum(self.by_country.values())

    @property
    def shown_invalid(self) -> list[Invalid]:
        return self.invalid[:MAX_SHOWN_INVALID]

    def countries(self) -> list[tuple[str, str, str, int, Decimal | None]]:
        """(code, name, market, recipients, messages added), most recipients first."""
        names = country_names()
        return [(code, names.get(code, code), self.markets[code], n, self.added.get(code))
                for code, n in self.by_country.most_common()]

    @property
    def home_name(self) -> str | None:
        return country_names().get(self.home) if self.home else None


def _rows(text: str) -> tuple[list[list[str]], list[Invalid]]:
    """Each line read as one CSV row; a line too long to be a row of phone numbers (or one the csv module
    refuses: its field limit is 131,072 characters) is reported and read as empty."""
    rows, unreadable = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE:
            unreadable.append(Invalid(number, line[:60], f"the line is {len(line):,} characters long; at most "
                                                         f"{MAX_LINE:,} fit a row of phone numbers"))
            rows.append([])
            continue
        try:
            rows.append(next(csv.reader([line]), []))
        except csv.Error as exc:
            unreadable.append(Invalid(number, line[:60], f"not a CSV row ({exc})"))
            rows.append([])
    return rows, unreadable


def _candidates(text: str) -> tuple[list[tuple[int, str]], list[Invalid]]:
    """(line number, cell) for each row's phone cell, rows without one giving their whole text; and the
    lines that could not be read at all."""
    rows, unreadable = _rows(text)
    column = None
    first = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if first is not None and len(rows[first]) > 1 and not any(PHONE_LIKE.match(cell) for cell in rows[first]):
        headers = [cell.strip().lower() for cell in rows[first]]
        column = next((i for i, h in enumerate(headers) if any(word in h for word in HEADER_WORDS)), None)
        rows[first] = []  # a header row, not a number
    found = []
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if column is not None and column < len(cells):
            found.append((number, cells[column]))
        else:
            found.append((number, next((cell for cell in cells if PHONE_LIKE.match(cell)), ",".join(row).strip())))
    return found, unreadable


def read_numbers(text: str, market_map: MarketMap, home: str | None = None) -> PasteResult:
    """``home``: the business's country, for numbers written without a country code."""
    result = PasteResult(home=home)
    seen = set()
    candidates, result.invalid = _candidates(text)
    if len(candidates) > MAX_NUMBERS:
        result.too_many = True
        candidates = candidates[:MAX_NUMBERS]
    for line, cell in candidates:
        try:
            found = market_map.resolve_phone(cell, home)
        except InvalidPhoneNumber:
            result.invalid.append(Invalid(line, cell[:60], refusal(cell, home)))
            continue
        if found.country is None:
            result.invalid.append(Invalid(line, cell[:60], "not a number in any one country"))
            continue
        if found.e164 in seen:
            result.duplicates += 1
            continue
        seen.add(found.e164)
        result.by_country[found.country] += 1
        result.markets[found.country] = found.market
    result.invalid.sort(key=lambda invalid: invalid.line)
    return result


def refusal(cell: str, home: str | None) -> str:
    """Why a pasted number was refused, in the words of someone who pasted it."""
    text = cell.strip()
    digits = re.sub(r"\D", "", text)
    names = country_names()
    if not text:
        return "the phone column is empty"
    if re.search(r"[^\d\s().\-/+]", text):
        return "not a phone number: only digits, spaces, +, ( ) and - are read"
    if len(digits) < 6:
        return "too short for a phone number"
    international = text.startswith(("+", "00"))
    if not international and not home:
        return ("no country code: write it as +34 612 345 678, or fill in your business's country so numbers "
                "without one count as there")
    try:
        number = phonenumbers.parse("+" + text[2:] if text.startswith("00") else text, None if international else home)
    except phonenumbers.NumberParseException:
        return "not a country calling code we know: check the digits after the +"
    region = phonenumbers.region_code_for_number(number)
    if region and region in names:
        where = names[region] if international else f"{names[home]} (no country code, so your business's country)"
        return f"not a valid number in {where}: check how many digits it has"
    return "not a country calling code we know: check the digits after the +"


def split_counts(result: PasteResult, total: Decimal) -> dict[str, Decimal]:
    """A monthly total shared by country as the numbers are, in whole messages that add up to the total
    (largest remainders get the messages left over)."""
    recipients = result.recipients
    if not recipients:
        return {}
    exact = {code: total * n / recipients for code, n in result.by_country.items()}
    counts = {code: value.to_integral_value(ROUND_FLOOR) for code, value in exact.items()}
    left = int(total - sum(counts.values()))
    for code in sorted(exact, key=lambda c: (counts[c] - exact[c], c))[:left]:
        counts[code] += 1
    return counts


def merge_lines(data: QueryDict, result: PasteResult, category: str, per_recipient: Decimal | None,
                split_total: Decimal | None = None) -> QueryDict:
    """The estimate's query with the pasted recipients added: to the line of the same country where
    there is one, else as new lines; blank lines are dropped. Each number is a recipient of
    ``per_recipient`` messages, or with ``split_total`` the countries share that total as their numbers
    do. ``result.added`` says what each country got."""
    data = with_management(data)
    total = int(data[f"{PREFIX}-TOTAL_FORMS"])
    lines = []
    for index in range(total):
        values = {name: data.get(f"{PREFIX}-{index}-{name}", "") for name in LineForm.base_fields}
        if any(value.strip() for value in values.values()):
            lines.append(values)
    by_country = {country_code(line["country"]): line for line in lines if country_code(line["country"])}
    shares = split_counts(result, split_total) if split_total else {}
    for code, recipients in result.by_country.most_common():
        messages = shares[code] if split_total else (recipients * per_recipient).quantize(Decimal(1), ROUND_HALF_UP)
        result.added[code] = messages
        line = by_country.get(code)
        if line is None:
            line = by_country[code] = {name: "" for name in LineForm.base_fields} | {"country": code}
            lines.append(line)
        # A count is whole: 3 people x 1.5 messages = 4.5 -> 5 (half up)
        line[category] = plain_number(_number(line[category]) + messages)
    merged = data.copy()
    for key in list(merged):
        if key.startswith(f"{PREFIX}-") and key[len(PREFIX) + 1:].split("-")[0].isdigit():
            del merged[key]
    for index, line in enumerate(lines):
        for name, value in line.items():
            if value != "":
                merged[f"{PREFIX}-{index}-{name}"] = value
    merged[f"{PREFIX}-TOTAL_FORMS"] = str(max(len(lines), 1))
    return merged


def _number(text: str) -> Decimal:
    """A line's count as the form reads it ("200.000" is 200,000); 0 for a text that is not a count."""
    try:
        return Decimal(parse_count(text) or 0)
    except CountRefused:
        return Decimal(0)
