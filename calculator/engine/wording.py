"""Counts in words: "1 free-form message", "2 free-form messages", "12.5 utility messages".

Warnings count things; a count of exactly one takes the singular, every other count (0, 2, 1.5) the
plural, as English does.
"""

from __future__ import annotations

from decimal import Decimal


def count_text(count: Decimal | int) -> str:
    """A count as a person reads it: 1,250 or 12.5, without exponent or trailing zeros."""
    count = Decimal(count)
    if count == count.to_integral_value():
        return f"{int(count):,}"
    return f"{count.normalize():,f}"


def counted(count: Decimal | int, singular: str, plural: str | None = None) -> str:
    """``count`` followed by the noun, singular for exactly one ("1 free-form message")."""
    noun = singular if Decimal(count) == 1 else (plural or singular + "s")
    return f"{count_text(count)} {noun}"
