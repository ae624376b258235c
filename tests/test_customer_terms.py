"""A customer's overrides on its plan's terms: the one pure function, each override alone, none, all."""

from __future__ import annotations

from decimal import Decimal

import pytest

from customers.terms import NO_OVERRIDES, TermsOverrides, effective_terms, plan_refuses_overrides
from plans.pricing import TermsSnapshot

D = Decimal
PLAN = TermsSnapshot(
    markup_percent={"marketing": D(10), "utility": D(20), "authentication": D(5), "service": D(1)},
    fee_per_message=D("0.001"), fee_per_conversation=D("0.02"), fee_per_receptive_window=D("0.01"),
    charge_utility_in_window=True, monthly_fee=D(99), discount_percent=D(5))


def fields(terms: TermsSnapshot) -> dict:
    return {"markup": dict(terms.markup_percent), "fee_per_message": terms.fee_per_message,
            "fee_per_conversation": terms.fee_per_conversation,
            "fee_per_receptive_window": terms.fee_per_receptive_window,
            "charge_utility_in_window": terms.charge_utility_in_window, "monthly_fee": terms.monthly_fee,
            "discount_percent": terms.discount_percent}


def test_no_override_keeps_every_term_of_the_plan():
    assert effective_terms(PLAN, NO_OVERRIDES) == PLAN
    assert NO_OVERRIDES.empty


@pytest.mark.parametrize("category", ["marketing", "utility", "authentication", "service"])
def test_a_markup_override_replaces_that_categorys_markup_alone(category):
    found = fields(effective_terms(PLAN, TermsOverrides(markup_percent={category: D("37.5")})))
    expected = fields(PLAN)
    expected["markup"][category] = D("37.5")
    assert found == expected


@pytest.mark.parametrize("name, value", [("fee_per_message", D("0.0025")), ("monthly_fee", D(40)),
                                         ("discount_percent", D("12.5"))])
def test_each_money_override_replaces_that_term_alone(name, value):
    found = fields(effective_terms(PLAN, TermsOverrides(**{name: value})))
    assert found == fields(PLAN) | {name: value}


def test_an_override_of_zero_is_zero_not_the_plans_value():
    zero = TermsOverrides(markup_percent={"marketing": D(0)}, fee_per_message=D(0), monthly_fee=D(0),
                          discount_percent=D(0))
    terms = effective_terms(PLAN, zero)
    assert (terms.markup("marketing"), terms.fee_per_message, terms.monthly_fee, terms.discount_percent) == (0, 0, 0, 0)
    assert not zero.empty


def test_every_override_at_once_keeps_what_customers_cannot_override():
    every = TermsOverrides(markup_percent={"marketing": D(50), "utility": D(0), "authentication": D(100),
                                           "service": D(2)},
                           fee_per_message=D("0.01"), discount_percent=D(10), monthly_fee=D(20))
    assert fields(effective_terms(PLAN, every)) == {
        "markup": {"marketing": D(50), "utility": D(0), "authentication": D(100), "service": D(2)},
        "fee_per_message": D("0.01"), "monthly_fee": D(20), "discount_percent": D(10),
        # Not in a customer's price book: the plan's own.
        "fee_per_conversation": D("0.02"), "fee_per_receptive_window": D("0.01"), "charge_utility_in_window": True}
    # Authentication-international takes the authentication markup, as on the plan.
    assert effective_terms(PLAN, every).markup("authentication_international") == D(100)


@pytest.mark.parametrize("overrides, problem", [
    ({"fee_per_message": D("-0.001")}, "fee_per_message must be zero or more"),
    ({"monthly_fee": D(-1)}, "monthly_fee must be zero or more"),
    ({"discount_percent": D("100.1")}, "discount_percent must be from 0 to 100"),
    ({"markup_percent": {"marketing": D(-1)}}, "a markup must be zero or more"),
    ({"markup_percent": {"calls": D(1)}}, "unknown: ['calls']"),
])
def test_overrides_out_of_bounds_are_refused(overrides, problem):
    with pytest.raises(ValueError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        TermsOverrides(**overrides)


@pytest.mark.parametrize("kind, refused", [("money", False), ("package", True), ("credit", True), ("", True)])
def test_overrides_apply_to_a_money_plan_only_and_are_refused_elsewhere(kind, refused):
    discount = TermsOverrides(discount_percent=D(10))
    assert (plan_refuses_overrides(kind, discount) is not None) == refused
    assert plan_refuses_overrides(kind, NO_OVERRIDES) is None  # no overrides: any plan, or none
