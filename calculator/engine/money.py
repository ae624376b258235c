"""Money: Decimal amounts and the one place where they are rounded.

Rates carry four decimals and counts may be fractional expectations, so every figure is kept at full
Decimal precision while it is computed. Rounding is a matter of display: only figures shown to a user
(or sent in the JSON API) are rounded, each from its own unrounded value. A total is therefore the
rounded sum of unrounded parts, and may differ by a cent from the sum of the rounded parts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

MINOR_UNITS = {"USD": 2, "EUR": 2, "INR": 2}
DEFAULT_MINOR_UNIT = 2
ZERO = Decimal(0)

_QUANTUM: dict[str, Decimal] = {}


def quantum(currency: str) -> Decimal:
    """The smallest shown amount of a currency (Decimal("0.01") for two minor digits)."""
    step = _QUANTUM.get(currency)
    if step is None:
        step = _QUANTUM[currency] = Decimal(1).scaleb(-MINOR_UNITS.get(currency, DEFAULT_MINOR_UNIT))
    return step


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round an amount for display: half up, to the currency's minor unit (2 places unless listed).

    This is the only rounding in the engine and it is applied only to figures that are shown: the
    engine computes and returns unrounded Decimals, and result objects round on the way out. Round a
    total from its unrounded value, never by adding rounded parts.
    """
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


class RoundedAmounts:
    """The ``rounded_*`` figures of a result, for display: its ``total`` and ``by_category`` (every result)
    and its ``list_total`` (estimates), each rounded from its own unrounded value in ``currency``."""

    __slots__ = ()
    total: Decimal
    by_category: dict
    currency: str

    @property
    def rounded_total(self) -> Decimal:
        return round_money(self.total, self.currency)

    @property
    def rounded_list_total(self) -> Decimal:
        return round_money(self.list_total, self.currency)  # type: ignore[attr-defined]

    @property
    def rounded_by_category(self) -> dict[str, Decimal]:
        return {category: round_money(cost, self.currency) for category, cost in self.by_category.items()}


UNIT_PRICE_PLACES = 4  # prices per message or unit are shown like Meta's rates: four decimals


def round_unit_price(amount: Decimal) -> Decimal:
    """Round a price per message (e.g. a package's effective price) for display: half up, four places."""
    return amount.quantize(Decimal(1).scaleb(-UNIT_PRICE_PLACES), rounding=ROUND_HALF_UP)
