"""The one vocabulary for showing prices and counts: category labels, currency symbols, count texts.

Used by templates (through the template filters), charts, PDFs, CSVs, the API and the engine's own
warnings, so a category or a count reads the same everywhere. Pure Python, like the rest of the engine.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .cards import CATEGORIES
from .money import round_money

CATEGORY_LABELS = {
    "marketing": "Marketing",
    "utility": "Utility",
    "authentication": "Authentication",
    "authentication_international": "Authentication-international",
    "service": "Service",
    # Conversation categories of older provider credit tables.
    "business_initiated": "Business-initiated",
    "user_initiated": "User-initiated",
    # Meta's webhook pricing categories that are not rate-card categories.
    "referral_conversion": "Free entry point",
    "unknown": "No category",
}
PRICED_CATEGORY_LABELS = {category: CATEGORY_LABELS[category] for category in CATEGORIES}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "INR": "₹", "GBP": "£"}
CENT = Decimal("0.01")


def category_label(category: str) -> str:
    """"Authentication-international"; an unknown category in words ("new_kind" -> "New kind")."""
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize() or "No category")


def currency_prefix(currency: str) -> str:
    """"$" for USD; the code and a space for a currency without a symbol here ("CHF ")."""
    return CURRENCY_SYMBOLS.get(currency, f"{currency} ")


def money_text(amount: Decimal | None, currency: str) -> str:
    """An unrounded amount as shown: "$1,234.56" (rounded once, by money.round_money); "—" for None."""
    if amount is None:
        return "—"
    rounded = round_money(Decimal(amount), currency)
    sign = "−" if rounded < 0 else ""
    return f"{sign}{currency_prefix(currency)}{abs(rounded):,}"


def count_text(value: Decimal | int | None) -> str:
    """A count of messages as people read it, grouped (1,250,000). Counts of an estimate are expectations
    and may be fractional: from 100 on they are shown whole (203,924), below to at most 2 places (12.5)."""
    if value is None:
        return "—"
    number = Decimal(value)
    if abs(number) >= 100:
        return f"{number.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    number = number.quantize(CENT)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def count_json(value: Decimal) -> int | float:
    """A count as a JSON number: whole counts as integers, expected (fractional) counts to 2 places."""
    rounded = value.quantize(CENT)
    if rounded == rounded.to_integral_value():
        return int(rounded)
    return float(rounded)


def count_cents(value: Decimal | int, *, grouped: bool) -> str:
    """A count to 2 places for files and documents, without ".00" for whole counts: "1250", "12.50";
    grouped: "1,250"."""
    text = f"{Decimal(value):,.2f}" if grouped else f"{Decimal(value):.2f}"
    return text[:-3] if text.endswith(".00") else text


def exact_count_text(count: Decimal | int) -> str:
    """A count in full, without exponent or trailing zeros: 1,250 or 12.5."""
    count = Decimal(count)
    if count == count.to_integral_value():
        return f"{int(count):,}"
    return f"{count.normalize():,f}"


def plain_number(number: Decimal) -> str:
    """A Decimal without exponent, grouping or trailing zeros, as typed into a form: 30, 0.5, 1000000."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def grouped_number(text: str) -> str:
    """A decimal string with its whole part grouped, its decimals as they are: "-1234.50" -> "-1,234.50"."""
    sign = "-" if text.startswith("-") else ""
    whole, dot, fraction = text.lstrip("-+").partition(".")
    return f"{sign}{int(whole):,}{dot}{fraction}"


def counted(count: Decimal | int, singular: str, plural: str | None = None) -> str:
    """``count`` followed by the noun, singular for exactly one, as English does: "1 free-form message",
    "2,000 messages", "12.5 utility messages", "0 lines"."""
    noun = singular if Decimal(count) == 1 else (plural or singular + "s")
    return f"{exact_count_text(count)} {noun}"


RATE_PLACES = 4  # a card's rates have four decimals
MOST_RATE_PLACES = 8


def tier_step(index: int, steps: int) -> str:
    """A volume tier as it is said everywhere (page, quote, PDF, usage): "step 2 of 6". ``index`` counts
    from 0, the list rate (step 1); ``steps`` is the ladder's length, the list rate included."""
    return f"step {int(index) + 1} of {int(steps)}"


def to_next_step(count: Decimal | int) -> str:
    """"14,000,001 more messages to the next step" ("1 more message ..." for one)."""
    noun = "message" if Decimal(count) == 1 else "messages"
    return f"{count_text(count)} more {noun} to the next step"


def rate_places(value: Decimal, beside: Decimal | None = None) -> int:
    """Decimal places that show ``value`` (a blended rate) differently from ``beside`` (the list rate) when
    they differ: four, a card's own, or more up to eight ($0.0340 list, $0.033995 blended)."""
    if beside is None or value == beside:
        return RATE_PLACES
    for places in range(RATE_PLACES, MOST_RATE_PLACES + 1):
        step = Decimal(1).scaleb(-places)
        if value.quantize(step, rounding=ROUND_HALF_UP) != Decimal(beside).quantize(step, rounding=ROUND_HALF_UP):
            return places
    return MOST_RATE_PLACES


def rate_number(value: Decimal, beside: Decimal | None = None) -> str:
    """A per-message rate without its currency: 0.0340, or a blended rate with the places it needs."""
    places = rate_places(Decimal(value), beside)
    return f"{Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}"
