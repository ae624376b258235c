"""A count typed as people write it: "200.000" (Spanish, German...), "200,000", "200 000", "200k", "1.5M".

A count of messages (or tokens) is a whole number. Where a separator could be a decimal point or a
thousands separator, three digits after a single "." or "," make it a thousands separator ("200.000" is
two hundred thousand, as in Spain; "1,500" fifteen hundred, as in the US), anything else a decimal point
("12.5"), and a fraction is refused with a message saying so, never rounded or cut silently. An exponent
("2e5") is refused: nobody counts messages that way, and a typo must not become a count.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms

from calculator.engine.limits import MAX_NUMBER_CHARS
from calculator.engine.vocabulary import counted, plain_number

SPACES = re.compile(r"[\s_'\u00a0\u202f\u2009]")
SUFFIXES = {"k": 3, "m": 6, "mm": 6, "mn": 6, "mio": 6, "b": 9, "bn": 9}
WITH_SUFFIX = re.compile(r"^(\d+(?:[.,]\d+)?)([a-z]+)$")
GROUPED = re.compile(r"^[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*$")  # 200.000 / 1,000,000 / 1.000.000
BOTH = re.compile(r"^\d{1,3}(?:([.,])\d{3})*([.,])(\d+)$")  # 1.234,50 / 1,234.50: the last one is the point
PLAIN = re.compile(r"^\d+(?:[.,](\d+))?$")


class CountRefused(ValueError):
    """Why a text is not a count, in words a newcomer understands."""


class NegativeCount(CountRefused):
    """A count below zero: said without repeating the text ("must be zero or more")."""


def parse_count(text: str) -> int | None:
    """The whole number a person meant, or None for an empty text; raises CountRefused."""
    raw = str(text or "").strip()
    if not raw:
        return None
    if len(raw) > MAX_NUMBER_CHARS:
        raise CountRefused(f"is too long for a count (at most {MAX_NUMBER_CHARS} characters)")
    compact = SPACES.sub("", raw).lower()
    if compact.startswith("-"):
        raise NegativeCount("must be zero or more")
    compact = compact.removeprefix("+")
    if "e" in compact and re.fullmatch(r"[\d.,]+e[+-]?\d+", compact):
        raise CountRefused("is written with an exponent: write the count in digits, e.g. 200000 or 200k")
    if match := WITH_SUFFIX.match(compact):
        return _with_suffix(match.group(1), match.group(2))
    if GROUPED.match(compact):
        return int(re.sub(r"[.,]", "", compact))
    if match := BOTH.match(compact):
        if match.group(1) and match.group(1) == match.group(2):
            raise CountRefused("is not a number: use digits, e.g. 25000")
        return _whole(re.sub(r"[.,]", "", compact[:match.start(3) - 1]), match.group(3))
    if PLAIN.match(compact):
        whole, _, fraction = compact.replace(",", ".").partition(".")
        return _whole(whole, fraction)
    raise CountRefused("is not a number: use digits, e.g. 25000, 25.000 or 25k")


def _with_suffix(number: str, suffix: str) -> int:
    places = SUFFIXES.get(suffix)
    if places is None:
        raise CountRefused(f"'{suffix}' is not a unit we know: use k (thousand), M (million) or B (billion)")
    if GROUPED.match(number):  # "1,500k": fifteen hundred thousand
        number = re.sub(r"[.,]", "", number)
    value = Decimal(number.replace(",", ".")).scaleb(places)
    if value != value.to_integral_value():
        raise CountRefused(f"is {value.normalize():,f}: a count is a whole number")
    return int(value)


def _whole(whole: str, fraction: str) -> int:
    try:
        value = Decimal(f"{whole}.{fraction or 0}")
    except InvalidOperation:
        raise CountRefused("is not a number: use digits, e.g. 25000") from None
    if value != value.to_integral_value():
        low = int(value)
        raise CountRefused(f"is a fraction: a count is a whole number ({low:,} or {low + 1:,}, not {value.normalize():,f})")
    return int(value)


class CountField(forms.Field):
    """A whole count typed as text; ``noun`` names what is counted in the echo ("= 200,000 messages")."""

    echoes = True  # templates show echo() beside the field

    def __init__(self, *, high: Decimal, noun: str = "message", **kwargs):
        self.high, self.noun = high, noun
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off",
                                                           "placeholder": "0"}))
        super().__init__(**kwargs)

    def to_python(self, value) -> Decimal | None:
        try:
            count = parse_count(value)
        except NegativeCount as exc:
            raise forms.ValidationError(str(exc), code="min_value") from None
        except CountRefused as exc:
            raise forms.ValidationError("'%(text)s' %(reason)s", params={"text": str(value).strip()[:30],
                                                                       "reason": exc}, code="invalid") from None
        if count is None:
            return None
        if count > self.high:
            raise forms.ValidationError("'%(text)s' is %(count)s: must be at most %(high)s", code="max_value",
                                        params={"text": str(value).strip()[:30], "count": counted(count, self.noun),
                                                "high": f"{self.high:,}"})
        return Decimal(count)

    def prepare_value(self, value):
        return plain_number(value) if isinstance(value, Decimal) else value

    def echo(self, value: Decimal | None) -> str:
        """The count as read, for beside the field: "= 200,000 messages"."""
        return "" if value is None else f"= {counted(value, self.noun)}"
