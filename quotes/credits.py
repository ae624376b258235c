"""A credit plan in a quote: the stored JSON of its credits, in the table's own unit (per conversation or
per message), what the table does not price, and how the counts were reached; the credits' money where the
plan has a money price per credit in the quote's currency on its date, else the words "credits only".

A per-message table is quoted in messages and never speaks of conversations. A per-conversation table
(the shipped 2023 example) on a per-message card says so and how messages became conversations.
"""

from __future__ import annotations

from datetime import date

from calculator.engine.cards import Rules
from calculator.engine.money import ZERO, round_money
from calculator.engine.vocabulary import CATEGORY_LABELS, count_cents, count_json, plain_number
from plans.pricing import CREDIT_PER_CONVERSATION, CREDIT_UNIT, CreditMoney, CreditPrice, CreditTerms

NO_MONEY_PRICE = "credits only: no money price per credit is set"
REASONS = {"not_offered": "the table does not offer it (N/A)", "no_row": "the table has no row for it"}


def _label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category.replace("_", "-").capitalize())


def credit_money_json(money: CreditMoney, effective_from: date) -> dict:
    """Credits in money as stored: the currency, the price per credit and the day that price starts, the total
    (a comparison row carries this much; the quote's own ``credits.money`` more)."""
    return {"currency": money.currency, "per_credit": plain_number(money.per_credit),
            "effective_from": effective_from.isoformat(), "total": str(money.total)}


def credit_money_text(stored: dict) -> str:
    """The words of a stored ``credit_money_json``: at what price per credit, from when."""
    return (f"at {stored['per_credit']} {stored['currency']} per credit (the plan's price from "
            f"{stored['effective_from']})")


def credits_json(credits: CreditPrice, table: CreditTerms, money: CreditMoney | None = None,
                 money_from: date | None = None, money_to: date | None = None) -> dict:
    """The quote's ``credits``: per category the count (in the table's unit) and credits; what is not priced;
    the money (per market and total) at the plan's price per credit, or None and the words why not."""
    noun = table.noun
    totals = dict.fromkeys(credits.categories, ZERO)
    counts = dict.fromkeys(credits.categories, ZERO)
    for market in credits.markets:
        for category in credits.categories:
            totals[category] += market.credits.get(category, ZERO)
            counts[category] += market.conversations.get(category, ZERO)
    return {
        "unit": table.unit,
        "table_from": table.effective_from.isoformat(),
        "categories": [{"category": c, "label": _label(c), noun: count_json(counts[c]),
                        "credits": str(round_money(totals[c], CREDIT_UNIT))} for c in credits.categories],
        "total": str(credits.rounded_total),
        "not_priced": [{"market": m.market, "category": m.category, "label": _label(m.category),
                        noun: count_json(m.count), "reason": m.reason,
                        "text": f"{m.market}, {_label(m.category).lower()}: {count_cents(m.count, grouped=True)} "
                                f"{noun} not priced in credits: {REASONS[m.reason]}"}
                       for m in credits.not_priced],
        "money": None if money is None else _money_json(credits, money, money_from, money_to),
        "money_text": NO_MONEY_PRICE if money is None else "",
    }


def _money_json(credits: CreditPrice, money: CreditMoney, money_from: date, money_to: date | None) -> dict:
    head = credit_money_json(money, money_from)
    return head | {
        "effective_to": money_to.isoformat() if money_to else None,
        "by_market": [{"market": m.market, "credits": str(round_money(m.total, CREDIT_UNIT)), "money": str(amount)}
                      for m, amount in zip(credits.markets, money.markets)],
        "text": credit_money_text(head),
    }


def credits_market_json(credits: CreditPrice, table: CreditTerms, index: int, money: CreditMoney | None = None) -> dict:
    market = credits.markets[index]
    return {
        "money": None if money is None else str(money.markets[index]),
        "unit": table.unit,
        table.noun: {c: count_json(v) for c, v in market.conversations.items()},
        "by_category": {c: str(v) for c, v in market.rounded_credits.items()},
        "total": str(round_money(market.total, CREDIT_UNIT)),
        "not_priced": list(market.not_priced),
    }


def credit_notes(plan_name: str, table: CreditTerms, rules: Rules, on: date, windows) -> list[str]:
    """How the credits were counted, in the table's unit (the quote's method notes)."""
    since = table.effective_from.isoformat()
    if table.unit != CREDIT_PER_CONVERSATION:
        return [f"Credits per message from {plan_name}'s credit table in force on {on.isoformat()} (from {since}): "
                "every message sent is charged its category's credits, templates (utility inside an open chat too) "
                "and free-form replies as service, whatever Meta charges."]
    notes = [f"Credits per conversation from {plan_name}'s credit table in force on {on.isoformat()} (from "
             f"{since}); conversations the customer starts are its user-initiated or service conversations, "
             f"estimated as service messages ÷ replies per service conversation ≈ {count_cents(windows, grouped=True)} "
             "a month."]
    if not rules.per_conversation:
        notes.append(f"{plan_name}'s credit table is per conversation while Meta's card is per message: messages "
                     "were converted to conversations as templates ÷ templates per conversation.")
    return notes
