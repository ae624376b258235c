"""The calculator's estimate as a CSV file: one row per card, market and category, then the totals."""

from __future__ import annotations

import io

from django.http import HttpResponse

from calculator.calls_page import calls_csv_rows
from calculator.engine.money import round_money
from calculator.engine.vocabulary import count_cents
from calculator.forms import PREFIX, CalculatorInput
from calculator.page import Page
from calculator.regimes import Regime
from pricing_site.downloads import csv_download
from pricing_site.spreadsheets import csv_writer

CSV_HEADER = ["card", "effective_from", "rules", "in_force", "market", "category", "charged", "amount", "currency"]


def estimate_csv(page: Page) -> HttpResponse:
    name = f"whatsapp-estimate-{page.input.on.isoformat()}.csv"
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    if not page.regimes:
        writer.writerow(["field", "message"])
        for field_name, message in _errors(page.input) or [("lines", "give at least one country with monthly counts")]:
            writer.writerow([field_name, message])
        return csv_download(buffer.getvalue(), name, status=400)
    writer.writerow(CSV_HEADER)
    for regime in page.regimes:
        writer.writerows(_csv_rows(regime))
    if page.calls and page.calls.result:  # calls are priced with the calling card of the date asked for
        calls = page.calls.result
        head = [calls.card_name or "no calling card",
                calls.card_effective_from.isoformat() if calls.card_effective_from else "", "calls", "yes"]
        writer.writerows(calls_csv_rows(head, calls))
    return csv_download(buffer.getvalue(), name)


def _csv_rows(regime: Regime) -> list[list[str]]:
    result, card = regime.result, regime.result.card
    head = [card.name, card.effective_from.isoformat(), regime.title, "yes" if regime.current else "no"]
    currency = result.currency
    rows = []
    for market in result.by_market:
        for category, amount in market.rounded_by_category.items():
            charged = market.charged.get(category, 0)
            if charged or amount:
                rows.append(head + [market.market, category, _count(charged), str(amount), currency])
        rows.append(head + [market.market, "all", _count(sum(market.charged.values())), str(market.rounded_total),
                            currency])
    for category, amount in result.rounded_by_category.items():
        rows.append(head + ["all", category, _count(result.charged_by_category.get(category, 0)), str(amount),
                            currency])
    agent = result.meta_business_agent
    if agent is not None:  # charged = tokens; no amount where the currency has no rate
        amount = "" if agent.amount is None else str(round_money(agent.amount, currency))
        rows.append(head + ["all", "meta_business_agent", _count(agent.tokens), amount, currency])
    rows.append(head + ["all", "list_total", "", str(result.rounded_list_total), currency])
    rows.append(head + ["all", "tier_savings", "", str(result.rounded_tier_savings), currency])
    rows.append(head + ["all", "total", _count(sum(result.charged_by_category.values())), str(result.rounded_total),
                        currency])
    return rows


def _count(value) -> str:
    return count_cents(value, grouped=False)


def _errors(calc: CalculatorInput) -> list[tuple[str, str]]:
    found = [(name, message) for name, messages in calc.form.errors.items() for message in messages]
    for index, form in enumerate(calc.formset.forms):
        found += [(f"{PREFIX}-{index}-{name}", message) for name, messages in form.errors.items()
                  for message in messages]
    return found
