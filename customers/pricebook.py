"""A customer's price book in words, and its workspace's last full month priced on its terms.

The month: Meta's charge per market and category is what ``usage.charges`` stored when the messages
were loaded (the card in force on each message's day, tiers counted), read per market with
``usage.prepaid.market_usages`` (the reader the dashboard's package uses). The customer's price is the
plan's one function in ``plans.pricing``, as a quote's: ``price_plan`` for a money plan with the
customer's effective terms (``customers.terms.effective_terms``), ``price_package`` for a package,
``price_credits`` (and ``credits_in_money`` where the plan has a money price per credit in the shown
currency) for a credit plan. Nothing here is new arithmetic.

Amounts are in the customer's currency: Meta's charges (the card's, USD) and the plan's fees converted
at the admin's exchange rate in force on the month's last day (``plans.models.conversion``, the quotes'
rates), which the page names. Without a rate for Meta's charges the month is shown in USD and the page
says why; without one for the plan's fees the price is not shown, and the page says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from calculator.engine.cards import CATEGORIES
from calculator.engine.money import ZERO, round_money
from calculator.engine.vocabulary import CATEGORY_LABELS, plain_number
from customers.models import Customer
from customers.terms import effective_terms, plan_refuses_overrides
from plans.models import Conversion, NoExchangeRate, PricePlan, conversion
from plans.pricing import (CREDIT_PER_CONVERSATION, CREDIT_UNIT, MARKUP_CATEGORIES, CreditMoney, CreditPrice,
                           MarketUsage, PackagePrice, PackageSnapshot, PlanPrice, TermsSnapshot, credits_in_money,
                           price_credits, price_package, price_plan)
from usage.models import CURRENCY
from usage.prepaid import market_usages, month_end


def last_full_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def price_book_lines(customer: Customer, on: date) -> list[str]:
    """The price book as a salesperson reads it: the plan, then each override or "the plan's"."""
    plan = customer.price_plan
    if plan is None:
        return ["No default price plan: quotes are at Meta's prices unless a plan is chosen on the quote."]
    lines = [f"Default price plan: {plan.name} ({plan.get_unit_display().lower()}"
             + (f", fees in {plan.currency})." if plan.currency else ").")]
    if plan.unit != "money":
        lines.append(f"Quoted on the {plan.kind} plan's own terms: a {plan.kind} plan takes no overrides.")
        return lines
    stored = plan.terms_on(on)
    base = stored.as_terms() if stored else None
    overrides = customer.overrides
    for category in MARKUP_CATEGORIES:
        own = overrides.markup_percent.get(category)
        plan_value = f"the plan's {plain_number(base.markup(category))}%" if base else "the plan's"
        label = CATEGORY_LABELS[category]
        lines.append(f"{label} markup: {plain_number(own)}% (instead of {plan_value})" if own is not None
                     else f"{label} markup: {plan_value}")
    for name, label, unit in (("fee_per_message", "Fee per message Meta charges", f" {plan.currency}"),
                              ("monthly_fee", "Monthly platform fee", f" {plan.currency}"),
                              ("discount_percent", "Discount off the whole price", "%")):
        own = getattr(overrides, name)
        plan_value = f"the plan's {plain_number(getattr(base, name))}{unit}" if base else "the plan's"
        lines.append(f"{label}: {plain_number(own)}{unit} (instead of {plan_value})" if own is not None
                     else f"{label}: {plan_value}")
    if base is None:
        lines.append(f"{plan.name} has no terms in force on {on.isoformat()}: quotes cannot be priced on it today.")
    return lines


@dataclass(frozen=True)
class MonthOnTerms:
    """A workspace's month: Meta's charge and the customer's price on its plan (rounded for display), in the
    customer's currency, or the card's when no exchange rate is in force (``notes`` says which and why)."""

    month: date
    currency: str
    paid_messages: int
    meta: Decimal
    price: Decimal | None  # None: no plan (Meta's charge is the price), or credits without a money price
    kind: str  # the plan's kind: "money", "package", "credit"; "" without a plan or when it cannot be priced
    rows: list[dict]
    notes: list[str]
    extras: list[tuple[str, Decimal]] = field(default_factory=list)  # a money plan's fees and discount
    package: dict | None = None  # a package's units and money (``_package_figures``)
    credits: CreditPrice | None = None
    credit_money: CreditMoney | None = None
    credit_noun: str = ""  # "conversations" or "messages": the credit table's unit
    conversion: str = ""  # how Meta's charges were converted into ``currency`` ("" when they were not)

    @property
    def credits_total(self) -> Decimal | None:
        return None if self.credits is None else self.credits.rounded_total


def _shown_in(wanted: str, on: date) -> tuple[Conversion, str, list[str]]:
    """Meta's charges (the card's currency) in the customer's currency at the rate the quotes use on the
    date; in the card's currency, saying so, when no rate is in force."""
    try:
        found = conversion(CURRENCY, wanted, on)
    except NoExchangeRate:
        return conversion(CURRENCY, CURRENCY, on), "", [
            f"Shown in {CURRENCY}, the card's currency, not in the customer's {wanted}: no {CURRENCY} to {wanted} "
            f"exchange rate is in force on {on.isoformat()} (an admin enters one under Price plans > Exchange rates)."]
    if not found.needed:
        return found, "", []
    return found, f"{found.description()}; the rate in force on {on.isoformat()}, the month's last day.", []


def month_on_terms(customer: Customer, today: date) -> MonthOnTerms | None:
    """The workspace's last full month, Meta's charge and the customer's price; None without a workspace."""
    if customer.workspace_id is None:
        return None
    month = last_full_month(today)
    on = month_end(month)
    usages = market_usages(customer.workspace, month)
    meta_rate, described, notes = _shown_in(customer.currency, on)
    currency = meta_rate.quote
    found = {"month": month, "currency": currency, "conversion": described,
             "paid_messages": int(sum((sum(u.messages.values(), ZERO) for u in usages), ZERO)),
             "meta": round_money(sum((sum(u.meta_cost.values(), ZERO) for u in usages), ZERO) * meta_rate.rate,
                                 currency)}
    plan = customer.price_plan
    refused = plan_refuses_overrides(plan.kind if plan else "", customer.overrides)
    if plan is None:
        notes.append("No default price plan: the customer pays Meta's charge.")
        priced = {}
    elif refused:  # the forms refuse this; a plan changed under the customer is said, not priced around
        notes.append(f"{plan.name}: {refused}.")
        priced = {}
    elif plan.is_credits:
        priced = _on_credits(plan, usages, currency, on, notes)
    else:
        priced = _on_plan(customer, plan, usages, meta_rate, on, notes)
    rows = priced.pop("rows", None) or _rows(usages, None, meta_rate.rate, currency)
    return MonthOnTerms(**found, price=priced.pop("price", None), kind=priced.pop("kind", ""), rows=rows,
                        notes=notes, **priced)


def _on_plan(customer: Customer, plan: PricePlan, usages: tuple[MarketUsage, ...], meta: Conversion, on: date,
             notes: list[str]) -> dict:
    """A money or package plan: its fees in the shown currency at the quotes' rate, then its one function."""
    currency = meta.quote
    terms, problem = (_package_terms(plan, on) if plan.is_package else _terms(customer, plan, on))
    if problem:
        notes.append(problem)
        return {}
    try:
        fees = conversion(plan.currency, currency, on)
    except NoExchangeRate:
        notes.append(f"{plan.name}'s fees are in {plan.currency}, and no {plan.currency} to {currency} exchange rate "
                     f"is in force on {on.isoformat()}: the price is not shown (an admin enters one under Price "
                     "plans > Exchange rates).")
        return {}
    if fees.needed and fees.base != meta.base:  # the same pair as Meta's charges is named once, above
        notes.append("The plan's fees: " + fees.description() + ".")
    if plan.is_package:
        package = price_package(terms, usages, currency, meta_rate=meta.rate, fee_rate=fees.rate)
        notes.append("Units count every template delivered (utility inside an open chat "
                     f"{'too' if terms.utility_in_window_consumes_units else 'not'}) and each customer who wrote on "
                     "a day as one conversation they started; free-form replies are free. Unused units do not roll "
                     "over.")
        return {"kind": "package", "package": _package_figures(package), "price": round_money(package.total, currency),
                "rows": _package_rows(package)}
    priced = price_plan(terms, usages, currency, meta_rate=meta.rate, fee_rate=fees.rate)
    if terms.fee_per_conversation:
        notes.append("Conversation fees count each message Meta charged as one conversation (the quotes' default "
                     "of one template a conversation).")
    if terms.charge_utility_in_window:
        notes.append("Utility inside the service window is not counted from stored messages: the price leaves it "
                     "out.")
    extras = [(label, round_money(amount, currency)) for label, amount in (
        ("Chats customers started", priced.receptive_windows), ("Monthly platform fee", priced.monthly_fee),
        (f"Discount {plain_number(priced.discount_percent)}%", -priced.discount)) if amount]
    return {"kind": "money", "price": round_money(priced.total, currency), "extras": extras,
            "rows": _rows(usages, priced, meta.rate, currency)}


def _package_terms(plan: PricePlan, on: date) -> tuple[PackageSnapshot | None, str | None]:
    stored = plan.package_terms_on(on)
    if stored is None:
        return None, f"{plan.name} has no package terms in force on {on.isoformat()}."
    return stored.as_package(), None


def _terms(customer: Customer, plan: PricePlan, on: date) -> tuple[TermsSnapshot | None, str | None]:
    stored = plan.terms_on(on)
    if stored is None:
        return None, f"{plan.name} has no terms in force on {on.isoformat()}."
    return effective_terms(stored.as_terms(), customer.overrides), None


def _on_credits(plan: PricePlan, usages: tuple[MarketUsage, ...], currency: str, on: date, notes: list[str]) -> dict:
    """A credit plan: credits from its table in force on the date; money only at the plan's own price per
    credit in the shown currency (as a quote: never derived from another currency)."""
    table = plan.credit_table_on(on)
    if table is None:
        notes.append(f"{plan.name} has no credit rates in force on {on.isoformat()}.")
        return {}
    credits = price_credits(table.rates, usages, table.unit)
    if table.unit == CREDIT_PER_CONVERSATION:
        notes.append(f"{plan.name}'s credit table is per conversation (from {table.effective_from.isoformat()}): "
                     "each message Meta charged counts as one conversation (the quotes' default of one template a "
                     "conversation), and each customer who wrote on a day as one conversation they started.")
    else:
        notes.append(f"{plan.name}'s credit table is per message (from {table.effective_from.isoformat()}): every "
                     "message delivered is charged its category's credits, utility inside an open chat too, "
                     "free-form replies as service.")
    notes.extend(warning[0].upper() + warning[1:] + "." for warning in credits.warnings)
    price = plan.credit_money_on(on, currency)
    money = None if price is None else credits_in_money(credits, price.price_per_credit, currency)
    if money is None:
        notes.append(f"Credits only: {plan.name} has no money price per credit in {currency} on {on.isoformat()}.")
    else:
        notes.append(f"Money at {plain_number(price.price_per_credit)} {currency} per credit (the plan's price from "
                     f"{price.effective_from.isoformat()}).")
    rows = [{"market": market.market, "count": sum(market.conversations.values(), ZERO),
             "credits": round_money(market.total, CREDIT_UNIT),
             "money": money.markets[index] if money else None,
             "not_priced": ", ".join(c.replace("_", "-") for c in market.not_priced)}
            for index, market in enumerate(credits.markets)]
    return {"kind": "credit", "credits": credits, "credit_money": money, "credit_noun": table.noun,
            "price": money.total if money else None, "rows": rows}


def _package_figures(package: PackagePrice) -> dict:
    """What the package covers and what is over it, each money figure rounded once from its own value."""
    currency = package.currency
    return {"used_units": package.used_units, "included_units": package.included_units,
            "overage_units": package.overage_units, "overage_per_unit": plain_number(package.overage_per_unit),
            "overage": round_money(package.overage, currency), "monthly_fee": round_money(package.monthly_fee, currency),
            "meta_on_top": package.meta_on_top, "meta": round_money(package.meta_total, currency)}


def _package_rows(package: PackagePrice) -> list[dict]:
    return [{"market": market.market, "messages": market.messages, "units": market.used,
             "meta": round_money(market.meta, package.currency)} for market in package.markets]


def _rows(usages: tuple[MarketUsage, ...], priced: PlanPrice | None, meta_rate: Decimal, currency: str) -> list[dict]:
    """Per market and category with paid messages or a charge: Meta's (converted) and the price."""
    rows = []
    for index, usage in enumerate(usages):
        for category in CATEGORIES:
            if not usage.messages[category] and not usage.meta_cost[category]:
                continue
            meta = usage.meta_cost[category] * meta_rate
            price = priced.markets[index].provider[category] if priced else meta
            rows.append({"market": usage.market, "category": CATEGORY_LABELS[category],
                         "messages": int(usage.messages[category]),
                         "meta": round_money(meta, currency), "price": round_money(price, currency)})
    return rows
