"""Saving a priced quote: one place that turns figures and the form's (or API's) fields into a Quote."""

from __future__ import annotations

from datetime import date

from customers.models import Customer
from plans.models import PricePlan
from quotes.build import QuoteFigures
from quotes.models import Quote


def save_quote(*, owner, figures: QuoteFigures, customer: str, plan: PricePlan | None, valid_until: date | None,
               notes: str = "", notes_for_customer: bool = False, calculator_query: str = "",
               duplicated_from: Quote | None = None, customer_record: Customer | None = None) -> Quote:
    return Quote.objects.create(
        owner=owner, customer=customer.strip(), customer_record=customer_record, price_plan=plan,
        plan_name=plan.name if plan else "",
        priced_on=date.fromisoformat(figures.result["on"]), valid_until=valid_until, currency=figures.currency,
        meta_total=figures.meta_total, total=figures.total, credits_total=figures.credits_total,
        tax_country=figures.tax_country, tax_name=figures.tax.rate.name if figures.tax and figures.tax.rate else "",
        tax_rate=figures.tax.rate.rate if figures.tax and figures.tax.rate else None,
        tax_total=figures.tax.tax if figures.tax else 0,
        notes=notes, notes_for_customer=notes_for_customer, request=figures.request,
        calculator_query=calculator_query, card_ids=figures.card_ids, result=figures.result,
        duplicated_from=duplicated_from,
    )
