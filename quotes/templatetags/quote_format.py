"""Figures as a reader expects them: thousands separated, from the stored strings (no float on the way)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from calculator.engine import vocabulary
from calculator.engine.vocabulary import grouped_number

register = template.Library()


@register.filter
def grouped(value) -> str:
    """"12345.60" -> "12,345.60"; counts (int or float) -> "12,345" or "12,345.5"; None and "" pass through."""
    if value is None or value == "":
        return "" if value is None else value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    return grouped_number(str(value) if isinstance(value, str) else format(number.normalize(), "f"))


# A volume tier in the words of the calculator page and every other document: "step 2 of 6".
tier_step = register.filter("tier_step", vocabulary.tier_step)
to_next_step = register.filter("to_next_step", vocabulary.to_next_step)


@register.filter
def money(value, currency: str = "") -> str:
    """A stored amount with separators and its currency: "12345.60", "EUR" -> "12,345.60 EUR"; a signed
    difference keeps its sign ("+1,000.00 EUR"); None and "" stay empty (nothing to show)."""
    if value is None or value == "":
        return ""
    text = str(value)
    sign = text[0] if text[0] in "+-" else ""
    shown = sign + grouped(text[len(sign):])
    return f"{shown} {currency}".rstrip()
