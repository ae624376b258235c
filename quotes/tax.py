"""Tax on a quote: the arithmetic and the lines the customer reads (pure: no ORM, no Django).

A quote's net is the provider's amount before tax (``totals.provider``: Meta's pass-through charges and
the provider's own). The tax setting in force on the quote's date for the customer's country
(``quotes.models.TaxSetting``) gives a name and a rate; one rounding rule, through ``round_money``:

    tax   = round(round(net) x rate / 100)      half up, to the currency's minor unit
    gross = round(net) + tax

so the gross is always exactly the shown net plus the shown tax. No setting: tax 0.00, gross = net, and
the quote says "No tax applied" (nothing is invented). A credit quote carries no tax: its credits are
not money, and its money figures are Meta's charges shown for comparison (see docs/pricing-rules.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from calculator.engine.money import ZERO, round_money

HUNDRED = Decimal(100)
NO_TAX_TEXT = "No tax applied"
CREDITS_NO_TAX_TEXT = "No tax applied: credits are not money; tax is invoiced when credits are bought"


@dataclass(frozen=True)
class TaxRate:
    """A tax setting as priced: the customer's country, the tax's name and its rate in percent."""

    country: str
    name: str
    rate: Decimal
    effective_from: date

    @property
    def label(self) -> str:
        """ "VAT 19 %", "GST 7.5 %": the rate without trailing zeros."""
        return f"{self.name} {rate_text(self.rate)} %"


@dataclass(frozen=True)
class Taxed:
    """A net amount with its tax: every figure rounded, gross = net + tax exactly."""

    net: Decimal
    tax: Decimal
    gross: Decimal
    rate: TaxRate | None

    @property
    def applied(self) -> bool:
        return self.rate is not None


def rate_text(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


def tax_on(net: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The tax on a net amount: the rounded net times the rate in percent, rounded (half up)."""
    return round_money(round_money(net, currency) * rate / HUNDRED, currency)


def apply_tax(net: Decimal, rate: TaxRate | None, currency: str) -> Taxed:
    shown = round_money(net, currency)
    tax = tax_on(shown, rate.rate, currency) if rate is not None else round_money(ZERO, currency)
    return Taxed(shown, tax, shown + tax, rate)


def tax_json(taxed: Taxed, country: str, *, credits: bool = False) -> tuple[dict, dict]:
    """What a quote keeps: the totals' keys (``tax``, ``gross``, and ``tax_name``/``tax_rate`` when one
    applies) and the ``tax`` section (country, setting, the words shown)."""
    totals = {"tax": str(taxed.tax), "gross": str(taxed.gross)}
    section = {"country": country, "applied": taxed.applied}
    if taxed.rate is not None:
        totals |= {"tax_name": taxed.rate.name, "tax_rate": rate_text(taxed.rate.rate)}
        section |= {"name": taxed.rate.name, "rate": rate_text(taxed.rate.rate),
                    "effective_from": taxed.rate.effective_from.isoformat(), "label": taxed.rate.label}
    else:
        section["label"] = CREDITS_NO_TAX_TEXT if credits else NO_TAX_TEXT
    return totals, section


def comparison_tax_json(row: dict, rate: TaxRate | None, currency: str, country: str, *,
                        credits: bool = False) -> dict:
    """A comparison row's money as the quote's totals carry it, from the row's stored strings: Meta's
    charges, the provider's own (``own_charges``), the ``net`` (the provider's total, or Meta's where no
    money plan prices the messages), the ``tax`` at ``rate`` (the setting in force on the row's date) by the
    rule above, the ``gross``, and the words of the tax line (``tax_label``). A credit row, like a credit
    quote's totals: no tax, and no net or own charges (its money is its credits')."""
    net = Decimal(row["meta_total"] if row.get("provider_total") is None else row["provider_total"])
    taxed = apply_tax(net, rate, currency)
    totals, section = tax_json(taxed, country, credits=credits)
    if credits:
        return totals | {"tax_label": section["label"]}
    own = round_money(taxed.net - Decimal(row["meta_total"]), currency)
    return totals | {"own_charges": str(own), "net": str(taxed.net), "tax_label": section["label"]}


@dataclass(frozen=True)
class SummaryLine:
    key: str  # the CSV's category: meta_charges, own_charges, net, tax, gross
    label: str
    amount: str


def summary_lines(result: dict) -> list[SummaryLine]:
    """Meta's pass-through charges, the provider's own, the net, the tax and the gross, from a stored
    result. Quotes saved before taxes existed read as "No tax applied" with gross = net."""
    totals = result["totals"]
    currency = result["currency"]
    meta, net = Decimal(totals["meta"]), Decimal(totals["provider"])
    tax = Decimal(totals.get("tax", "0.00"))
    gross = Decimal(totals.get("gross", totals["provider"]))
    section = result.get("tax") or {}
    package = totals.get("package")
    included = bool(package) and package.get("meta_charges") != "on_top"
    meta_label = "Meta's charges (included in the package)" if included else "Meta's charges (pass-through)"
    tax_label = section.get("label") or NO_TAX_TEXT
    gross_label = f"Total incl. {section['name']}" if section.get("applied") else "Total"

    def money(amount: Decimal) -> str:
        return str(round_money(amount, currency))

    return [SummaryLine("meta_charges", meta_label, money(meta)),
            SummaryLine("own_charges", "Our charges", money(net - meta)),
            SummaryLine("net", "Net", money(net)),
            SummaryLine("tax", tax_label, money(tax)),
            SummaryLine("gross", gross_label, money(gross))]
