"""A package plan in a quote: the stored JSON of its units, overage and effective price, the plan's terms
as the customer reads them, and how the units were counted (see ``plans.pricing.price_package``).

Every amount is rounded once, here, from its unrounded value (money by ``round_money`` in the quote's
currency, the effective price per message by ``round_unit_price``); units are counts (``count_json``).
"""

from __future__ import annotations

from calculator.engine.money import round_money, round_unit_price
from calculator.engine.vocabulary import CATEGORY_LABELS, count_json, grouped_number
from plans.models import PackageTerms
from plans.pricing import PackagePrice


def package_totals_json(package: PackagePrice) -> dict:
    """``totals.package`` (docs/api.md): units used, included and over, the overage and the price a message."""
    currency = package.currency
    effective = package.effective_price_per_message
    return {
        "included_units": count_json(package.included_units),
        "used_units": count_json(package.used_units),
        "overage_units": count_json(package.overage_units),
        "unused_units": count_json(package.unused_units),
        "overage": str(round_money(package.overage, currency)),
        "overage_per_unit": f"{package.overage_per_unit.normalize():f}",
        "monthly_fee": str(round_money(package.monthly_fee, currency)),
        "package_total": str(round_money(package.package_total, currency)),
        "meta_charges": "on_top" if package.meta_on_top else "included",
        "messages": count_json(package.messages),
        "effective_price_per_message": None if effective is None else str(round_unit_price(effective)),
    }


def package_market_json(package: PackagePrice, index: int) -> dict:
    """One market's units: per template category, receptive windows, utility inside them."""
    market = package.markets[index]
    rows = [{"kind": category, "label": CATEGORY_LABELS[category], "units": count_json(units)}
            for category, units in market.templates.items() if units > 0]
    if market.receptive_windows > 0:
        rows.append({"kind": "receptive_windows", "label": "Conversations the customer starts",
                     "units": count_json(market.receptive_windows)})
    if market.utility_in_window > 0:
        rows.append({"kind": "utility_in_window", "label": "Utility inside those conversations",
                     "units": count_json(market.utility_in_window)})
    return {"rows": rows, "used_units": count_json(market.used), "messages": count_json(market.messages)}


def package_terms_json(terms: PackageTerms) -> dict:
    return {name: str(getattr(terms, name)) for name in (
        "monthly_fee", "included_units", "units_marketing", "units_utility", "units_authentication",
        "units_per_receptive_window", "overage_per_unit")} | {
        "utility_in_window_consumes_units": terms.utility_in_window_consumes_units,
        "meta_charges": terms.meta_charges}


def package_price_list(terms: PackageTerms, currency: str) -> list[str]:
    """The package as the customer reads it (shown on the quote)."""
    units = lambda value: grouped_number(f"{value.normalize():f}")  # noqa: E731
    found = [f"Package: {round_money(terms.monthly_fee, currency)} {currency} a month including "
             f"{units(terms.included_units)} units; unused units do not roll over",
             f"Each template consumes units: marketing {units(terms.units_marketing)}, utility "
             f"{units(terms.units_utility)}, authentication {units(terms.units_authentication)}",
             f"Each conversation the customer starts consumes {units(terms.units_per_receptive_window)} units; "
             "free-form messages inside the 24-hour window are free",
             "Utility templates inside a conversation the customer started consume their units"
             if terms.utility_in_window_consumes_units
             else "Utility templates inside a conversation the customer started are free",
             f"Beyond the included units: {terms.overage_per_unit.normalize():f} {currency} a unit",
             "Meta's charges are passed through on top of the package" if terms.meta_charges == "on_top"
             else "Meta's charges are included in the package"]
    return found


def package_notes(package: PackagePrice) -> list[str]:
    """How the units were counted, in words (the quote's method notes)."""
    notes = ["Package units are counted on every template sent, whatever Meta charges (templates sent inside "
             "a free entry point window too); conversations the customer starts are estimated as service "
             "messages ÷ replies per service conversation; utility inside them as utility × share sent while "
             "the chat is open."]
    effective = package.effective_price_per_message
    if effective is not None:
        notes.append("The effective price per message is the month's total ÷ every message sent (templates and "
                     "free-form replies).")
    return notes
