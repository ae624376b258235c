"""A customer's own terms on top of its price plan: pure Python, Decimal, no ORM.

A customer's price book is a default price plan plus optional overrides. Each override left empty
(``None``) keeps the plan's value; one that is set replaces it (a markup of 0 is "no markup", not "the
plan's"). ``effective_terms`` is the one place that combines them: a money plan's ``TermsSnapshot`` in,
the customer's effective ``TermsSnapshot`` out; ``plans.pricing.price_plan`` then prices it as any plan.

Overrides change a money plan's terms only. A package or credit plan has no markup, message fee,
platform fee or discount of the kind a money plan has, so a customer whose default plan is a package
or credits plan may not have overrides (``plan_refuses_overrides``: the forms, the admin and the API
refuse, nothing vanishes silently); its terms are its plan's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping

from plans.pricing import HUNDRED, MARKUP_CATEGORIES, TermsSnapshot
from calculator.engine.money import ZERO

# The customer's fields that hold overrides (customers.models.Customer), in the forms' order.
OVERRIDE_NAMES = (*(f"markup_{category}" for category in MARKUP_CATEGORIES), "fee_per_message", "discount_percent",
                  "monthly_fee")


@dataclass(frozen=True, slots=True)
class TermsOverrides:
    """A customer's overrides: ``None`` keeps the plan's value. Fees are in the plan's currency."""

    markup_percent: Mapping[str, Decimal | None] = field(default_factory=dict)
    fee_per_message: Decimal | None = None
    discount_percent: Decimal | None = None
    monthly_fee: Decimal | None = None

    def __post_init__(self) -> None:
        unknown = set(self.markup_percent) - set(MARKUP_CATEGORIES)
        if unknown:
            raise ValueError(f"markups are per {', '.join(MARKUP_CATEGORIES)}; unknown: {sorted(unknown)}")
        object.__setattr__(self, "markup_percent", MappingProxyType(
            {c: self.markup_percent[c] for c in MARKUP_CATEGORIES if self.markup_percent.get(c) is not None}))
        for name in ("fee_per_message", "monthly_fee"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be zero or more")
        if any(value < 0 for value in self.markup_percent.values()):
            raise ValueError("a markup must be zero or more (use the discount to sell below Meta's price)")
        if self.discount_percent is not None and not ZERO <= self.discount_percent <= HUNDRED:
            raise ValueError("discount_percent must be from 0 to 100")

    @property
    def empty(self) -> bool:
        return not self.markup_percent and all(
            getattr(self, name) is None for name in ("fee_per_message", "discount_percent", "monthly_fee"))


NO_OVERRIDES = TermsOverrides()


def effective_terms(plan: TermsSnapshot, overrides: TermsOverrides) -> TermsSnapshot:
    """The plan's terms with each override that is set in place of the plan's value."""
    markups = {c: overrides.markup_percent.get(c, plan.markup_percent[c]) for c in MARKUP_CATEGORIES}
    return replace(
        plan,
        markup_percent=markups,
        fee_per_message=plan.fee_per_message if overrides.fee_per_message is None else overrides.fee_per_message,
        discount_percent=plan.discount_percent if overrides.discount_percent is None else overrides.discount_percent,
        monthly_fee=plan.monthly_fee if overrides.monthly_fee is None else overrides.monthly_fee,
    )


def plan_refuses_overrides(plan_kind: str, overrides: TermsOverrides) -> str | None:
    """Why overrides cannot apply to a plan of this kind ("money", "package", "credit"; "" without a
    plan), or None when they can."""
    if overrides.empty or plan_kind == "money":
        return None
    if not plan_kind:
        return ("overrides change a money plan's terms: choose a money price plan as the default plan, or leave "
                "the overrides empty")
    return (f"a {plan_kind} plan has no markups, message fee, platform fee or discount to override: leave the "
            "overrides empty, or choose a money plan")
