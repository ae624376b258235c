"""A customer's price book in words, and its workspace's last full month priced on its terms.

The month: Meta's charge per market and category is what ``usage.charges`` stored when the messages
were loaded (the card in force on each message's day, tiers counted); the customer's price is
``plans.pricing.price_plan`` over those charges with the customer's effective terms
(``customers.terms.effective_terms``). Nothing here is new arithmetic: a query of the stored daily sums,
then the plan's one function. Amounts are in the workspace's currency (USD); the plan's fees are
converted at the admin's exchange rate when the plan is in another currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from calculator.engine.cards import CATEGORIES
from calculator.engine.money import ZERO, round_money
from calculator.engine.vocabulary import CATEGORY_LABELS
from customers.models import Customer
from customers.terms import effective_terms, plan_refuses_overrides
from plans.models import NoExchangeRate, PricePlan, conversion
from plans.pricing import MARKUP_CATEGORIES, MarketUsage, PlanPrice, TermsSnapshot, price_plan
from usage.models import CURRENCY, Message, Outcome, units_to_money
from usage.prepaid import month_end
from usage.summary import daily


def last_full_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


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
        plan_value = f"the plan's {_number(base.markup(category))}%" if base else "the plan's"
        label = CATEGORY_LABELS[category]
        lines.append(f"{label} markup: {_number(own)}% (instead of {plan_value})" if own is not None
                     else f"{label} markup: {plan_value}")
    for name, label, unit in (("fee_per_message", "Fee per message Meta charges", f" {plan.currency}"),
                              ("monthly_fee", "Monthly platform fee", f" {plan.currency}"),
                              ("discount_percent", "Discount off the whole price", "%")):
        own = getattr(overrides, name)
        plan_value = f"the plan's {_number(getattr(base, name))}{unit}" if base else "the plan's"
        lines.append(f"{label}: {_number(own)}{unit} (instead of {plan_value})" if own is not None
                     else f"{label}: {plan_value}")
    if base is None:
        lines.append(f"{plan.name} has no terms in force on {on.isoformat()}: quotes cannot be priced on it today.")
    return lines


@dataclass(frozen=True)
class MonthOnTerms:
    """A workspace's month: Meta's charge and the customer's price (rounded for display)."""

    month: date
    currency: str
    paid_messages: int
    meta: Decimal
    price: Decimal | None  # None: no money plan to price it on (Meta's charge is the price)
    rows: list[dict]
    notes: list[str]
    extras: list[tuple[str, Decimal]]  # the platform fee, chats' fees and the discount (negative)


def _month_usage(customer: Customer, month: date) -> list[MarketUsage]:
    """Per market, Meta's stored charge and the paid messages per category; the chats customers started."""
    rows = (daily(customer.workspace, month).filter(outcome=Outcome.PAID)
            .values("market", "category").annotate(m=Sum("messages"), c=Sum("charge_units")).order_by("market"))
    markets: dict[str, tuple[dict, dict]] = {}
    for row in rows:
        if row["category"] not in CATEGORIES:
            continue
        cost, messages = markets.setdefault(row["market"] or "Unknown", ({}, {}))
        cost[row["category"]] = cost.get(row["category"], ZERO) + units_to_money(row["c"])
        messages[row["category"]] = messages.get(row["category"], ZERO) + Decimal(row["m"])
    windows = (Message.objects.filter(workspace=customer.workspace, month=month, inbound=True)
               .values("contact", "day").distinct().count())
    found = [MarketUsage(market=market, meta_cost=cost, messages=messages, conversations={},
                         receptive_windows=ZERO, utility_in_window=ZERO, utility_rate=None)
             for market, (cost, messages) in markets.items()]
    if windows:
        found.append(MarketUsage(market="Chats customers started", meta_cost={}, messages={}, conversations={},
                                 receptive_windows=Decimal(windows), utility_in_window=ZERO, utility_rate=None))
    return found


def _terms(customer: Customer, on: date) -> tuple[TermsSnapshot | None, PricePlan | None, str | None]:
    plan = customer.price_plan
    if plan is None or plan.unit != "money":
        return None, plan, None
    stored = plan.terms_on(on)
    if stored is None:
        return None, plan, f"{plan.name} has no terms in force on {on.isoformat()}."
    if plan_refuses_overrides(plan.kind, customer.overrides):
        return None, plan, None
    return effective_terms(stored.as_terms(), customer.overrides), plan, None


def month_on_terms(customer: Customer, today: date) -> MonthOnTerms | None:
    """The workspace's last full month, Meta's charge and the customer's price; None without a workspace."""
    if customer.workspace_id is None:
        return None
    month = last_full_month(today)
    usages = _month_usage(customer, month)
    meta = sum((sum(u.meta_cost.values(), ZERO) for u in usages), ZERO)
    paid = int(sum((sum(u.messages.values(), ZERO) for u in usages), ZERO))
    notes = []
    terms, plan, problem = _terms(customer, month_end(month))
    priced: PlanPrice | None = None
    if problem:
        notes.append(problem)
    elif plan is None:
        notes.append("No default price plan: the customer pays Meta's charge.")
    elif terms is None:
        notes.append(f"{plan.name} is a {plan.kind} plan: this page prices money plans only; the workspace's own "
                     "dashboard shows a package's units.")
    else:
        try:
            fees = conversion(plan.currency, CURRENCY, month_end(month))
        except NoExchangeRate as exc:
            notes.append(f"{plan.name}'s fees cannot be shown in {CURRENCY}: {exc}.")
        else:
            priced = price_plan(terms, tuple(usages), CURRENCY, fee_rate=fees.rate)
            if fees.needed:
                notes.append("The plan's fees: " + fees.description() + ".")
            if terms.fee_per_conversation or terms.charge_utility_in_window:
                notes.append("Conversation fees and utility inside the service window are not counted from "
                             "stored messages: the price leaves them out.")
    rows = _rows(usages, priced)
    extras = []
    if priced is not None:
        extras = [(label, round_money(amount, CURRENCY)) for label, amount in (
            ("Chats customers started", priced.receptive_windows), ("Monthly platform fee", priced.monthly_fee),
            (f"Discount {priced.discount_percent.normalize():f}%", -priced.discount)) if amount]
    return MonthOnTerms(month, CURRENCY, paid, round_money(meta, CURRENCY),
                        round_money(priced.total, CURRENCY) if priced else None, rows, notes, extras)


def _rows(usages: list[MarketUsage], priced: PlanPrice | None) -> list[dict]:
    rows = []
    for index, usage in enumerate(usages):
        for category in CATEGORIES:
            if not usage.messages[category] and not usage.meta_cost[category]:
                continue
            price = priced.markets[index].provider[category] if priced else usage.meta_cost[category]
            rows.append({"market": usage.market, "category": CATEGORY_LABELS[category],
                         "messages": int(usage.messages[category]),
                         "meta": round_money(usage.meta_cost[category], CURRENCY),
                         "price": round_money(price, CURRENCY)})
    return rows
