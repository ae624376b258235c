"""Factories for tests (and a shell): users in the quote roles, a money plan, a saved quote.

Plain functions, no test framework: tests call them inside their own database access.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group, Permission, User

from customers.models import Customer
from ratecards.snapshots import Catalog
from calculator.engine.estimate import Assumptions, EstimateLine, EstimateRequest
from plans.models import PlanTerms, PricePlan
from quotes.build import price_quote
from quotes.models import Quote
from quotes.requests import StoredRequest
from quotes.saving import save_quote

SALES = "Sales"
SALES_MANAGERS = "Sales managers"
QUOTE_DAY = date(2026, 11, 1)


GROUP_PERMISSIONS = {SALES: ["add_quote", "change_quote", "view_quote"],
                     SALES_MANAGERS: ["add_quote", "change_quote", "view_quote", "manage_all_quotes"]}


def group(name: str) -> Group:
    """The group the data migration made; made again after a flush (browser tests flush between tests)."""
    found, created = Group.objects.get_or_create(name=name)
    if created:
        found.permissions.set(Permission.objects.filter(content_type__app_label="quotes",
                                                        codename__in=GROUP_PERMISSIONS[name]))
    return found


def user(username: str, *groups: str, staff: bool = False, superuser: bool = False) -> User:
    made = User.objects.create_user(username, f"{username}@example.com", "a-long-test-password",
                                    is_staff=staff or superuser, is_superuser=superuser)
    for name in groups:
        made.groups.add(group(name))
    return made


def money_plan(name: str = "Acme standard", currency: str = "USD", **terms) -> PricePlan:
    plan = PricePlan.objects.create(name=name, unit="money", currency=currency)
    defaults = {"markup_marketing": Decimal(10), "markup_utility": Decimal(20), "fee_per_message": Decimal("0.001"),
                "fee_per_receptive_window": Decimal("0.01"), "monthly_fee": Decimal(99), "discount_percent": Decimal(5)}
    PlanTerms.objects.create(plan=plan, effective_from=date(2025, 1, 1), **(defaults | terms))
    return plan


def india_mix(on: date = QUOTE_DAY, **assumptions) -> StoredRequest:
    request = EstimateRequest(
        lines=(EstimateLine(country="IN", marketing=Decimal(1000), utility=Decimal(5000), service=Decimal(3000)),),
        assumptions=Assumptions(**{k: Decimal(v) for k, v in assumptions.items()}),
    )
    return StoredRequest(request, on, None, "USD")


def quote(owner: User, customer: str = "Acme Ltd", plan: PricePlan | None = None, stored: StoredRequest | None = None,
          **fields) -> Quote:
    figures, problems = price_quote(Catalog(), stored or india_mix(), plan, fields.pop("quote_currency", None),
                                    fields.pop("tax_country", ""))
    assert not problems, problems
    return save_quote(owner=owner, figures=figures, customer=customer, plan=plan,
                      valid_until=fields.pop("valid_until", date(2027, 1, 1)), **fields)


def customer(owner: User, name: str = "Acme Ltd", plan: PricePlan | None = None, country: str = "IN",
             currency: str = "USD", **fields) -> Customer:
    made = Customer(owner=owner, name=name, price_plan=plan, country=country, currency=currency, **fields)
    made.full_clean()
    made.save()
    return made
