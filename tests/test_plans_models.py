"""Price plans, their terms, credit rates and exchange rates: bad input refused, dated lookups right."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from plans.models import (
    CreditRate,
    ExchangeRate,
    NoExchangeRate,
    PlanTerms,
    PlanUnit,
    PricePlan,
    conversion,
    load_credit_table,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def plan():
    return PricePlan.objects.create(name="Acme standard", unit=PlanUnit.MONEY, currency="USD")


def refused_by_database(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_a_money_plan_without_a_currency_is_refused_with_a_message_and_by_the_database():
    plan = PricePlan(name="No currency", unit=PlanUnit.MONEY, currency="")
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert "needs the currency of its fees" in str(refused.value)
    refused_by_database(plan.save)


def test_a_currency_must_be_an_iso_code():
    with pytest.raises(ValidationError, match="three capital letters"):
        PricePlan(name="x", unit=PlanUnit.MONEY, currency="usd").full_clean()


def test_a_credit_plan_needs_no_currency():
    PricePlan(name="Credits", unit=PlanUnit.CREDITS, currency="").full_clean()


@pytest.mark.parametrize("field", ["fee_per_message", "fee_per_conversation", "fee_per_receptive_window",
                                   "monthly_fee", "markup_marketing", "markup_service"])
def test_a_negative_fee_or_markup_is_refused_with_a_message_and_by_the_database(plan, field):
    terms = PlanTerms(plan=plan, effective_from=date(2026, 1, 1), **{field: D("-0.01")})
    with pytest.raises(ValidationError) as refused:
        terms.full_clean()
    assert "cannot be negative" in str(refused.value.message_dict[field])
    refused_by_database(terms.save)


def test_a_discount_over_100_percent_is_refused(plan):
    terms = PlanTerms(plan=plan, effective_from=date(2026, 1, 1), discount_percent=D(120))
    with pytest.raises(ValidationError, match="from 0 to 100"):
        terms.full_clean()
    refused_by_database(terms.save)


def test_overlapping_terms_are_refused_with_both_periods_named(plan):
    PlanTerms.objects.create(plan=plan, effective_from=date(2026, 1, 1), effective_to=date(2026, 6, 30))
    overlapping = PlanTerms(plan=plan, effective_from=date(2026, 6, 1))
    with pytest.raises(ValidationError) as refused:
        overlapping.full_clean()
    assert "2026-06-01 to open" in str(refused.value) and "2026-01-01 to 2026-06-30" in str(refused.value)
    PlanTerms(plan=plan, effective_from=date(2026, 7, 1)).full_clean()  # the next day is fine


def test_terms_starting_the_same_day_are_refused_by_the_database(plan):
    PlanTerms.objects.create(plan=plan, effective_from=date(2026, 1, 1))
    refused_by_database(lambda: PlanTerms.objects.create(plan=plan, effective_from=date(2026, 1, 1)))


def test_terms_ending_before_they_start_are_refused(plan):
    terms = PlanTerms(plan=plan, effective_from=date(2026, 1, 2), effective_to=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="before the first day"):
        terms.full_clean()
    refused_by_database(terms.save)


def test_the_terms_in_force_are_the_latest_started_and_not_ended(plan):
    PlanTerms.objects.create(plan=plan, effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31), monthly_fee=1)
    PlanTerms.objects.create(plan=plan, effective_from=date(2026, 3, 1), monthly_fee=2)
    assert plan.terms_on(date(2024, 12, 31)) is None
    assert plan.terms_on(date(2025, 6, 1)).monthly_fee == 1
    assert plan.terms_on(date(2026, 1, 15)) is None  # a gap between terms
    assert plan.terms_on(date(2030, 1, 1)).monthly_fee == 2


def test_a_credit_plan_takes_no_money_terms():
    credits = PricePlan.objects.create(name="Credits", unit=PlanUnit.CREDITS)
    with pytest.raises(ValidationError, match="credit plan"):
        PlanTerms(plan=credits, effective_from=date(2026, 1, 1)).full_clean()


def test_the_example_credit_table_is_one_plan_with_not_offered_as_none():
    assert load_credit_table() == 192
    plan = PricePlan.objects.get(name="example-credits")
    assert plan.is_credits
    old = plan.credit_table_on(date(2023, 4, 1)).rates
    assert old[("Brazil", "business_initiated")] == D("13.5")
    new = plan.credit_table_on(date(2026, 11, 1)).rates
    assert ("Brazil", "business_initiated") not in new
    assert new[("India", "authentication")] is None  # N/A: not offered
    assert new[("Brazil", "marketing")] == D("16.5")


def test_overlapping_credit_rates_for_a_region_and_category_are_refused():
    plan = PricePlan.objects.create(name="Credits", unit=PlanUnit.CREDITS)
    CreditRate.objects.create(plan=plan, effective_from=date(2023, 6, 1), region="India", category="marketing", credits=2)
    overlapping = CreditRate(plan=plan, effective_from=date(2024, 1, 1), region="India", category="marketing", credits=3)
    with pytest.raises(ValidationError, match="overlaps"):
        overlapping.full_clean()
    CreditRate(plan=plan, effective_from=date(2024, 1, 1), region="Brazil", category="marketing", credits=3).full_clean()


def test_negative_credits_are_refused_by_the_database():
    plan = PricePlan.objects.create(name="Credits", unit=PlanUnit.CREDITS)
    refused_by_database(lambda: CreditRate.objects.create(plan=plan, effective_from=date(2023, 6, 1), region="India",
                                                          category="marketing", credits=-1))


# --- Exchange rates ---------------------------------------------------------------------------------------

def test_the_exchange_rate_in_force_is_the_latest_entered_on_or_before_the_date():
    ExchangeRate.objects.create(base="USD", quote="EUR", rate=D("0.90"), effective_from=date(2026, 1, 1))
    ExchangeRate.objects.create(base="USD", quote="EUR", rate=D("0.95"), effective_from=date(2026, 10, 1), source="ECB")
    assert conversion("USD", "EUR", date(2026, 6, 1)).rate == D("0.90")
    found = conversion("USD", "EUR", date(2026, 11, 1))
    assert found.rate == D("0.95") and not found.inverse
    assert "1 USD = 0.95 EUR" in found.description() and "ECB" in found.description()


def test_the_inverse_of_an_entered_rate_is_used_and_said():
    ExchangeRate.objects.create(base="EUR", quote="USD", rate=D("1.25"), effective_from=date(2026, 1, 1))
    found = conversion("USD", "EUR", date(2026, 6, 1))
    assert found.rate == D("0.8")
    assert found.inverse and "inverse of 1 EUR = 1.25 USD" in found.description()


def test_no_rate_is_invented():
    ExchangeRate.objects.create(base="USD", quote="EUR", rate=D("0.90"), effective_from=date(2026, 1, 1))
    with pytest.raises(NoExchangeRate, match="no USD to EUR exchange rate in force on 2025-12-31"):
        conversion("USD", "EUR", date(2025, 12, 31))
    with pytest.raises(NoExchangeRate):
        conversion("USD", "INR", date(2026, 6, 1))


def test_the_same_currency_needs_no_rate():
    assert conversion("USD", "USD", date(2026, 1, 1)).rate == 1


def test_an_exchange_rate_must_be_positive_and_between_two_currencies():
    with pytest.raises(ValidationError):
        ExchangeRate(base="USD", quote="USD", rate=1, effective_from=date(2026, 1, 1)).full_clean()
    refused_by_database(lambda: ExchangeRate.objects.create(base="USD", quote="EUR", rate=0, effective_from=date(2026, 1, 1)))
    refused_by_database(lambda: ExchangeRate.objects.create(base="USD", quote="USD", rate=1, effective_from=date(2026, 1, 1)))


def test_the_admin_refuses_overlapping_terms_entered_on_one_form(admin_client, plan):
    def terms(i, start, end=""):
        return {f"terms-{i}-effective_from": start, f"terms-{i}-effective_to": end,
                **{f"terms-{i}-{name}": "0" for name in ("markup_marketing", "markup_utility", "markup_authentication",
                                                        "markup_service", "fee_per_message", "fee_per_conversation",
                                                        "fee_per_receptive_window", "monthly_fee", "discount_percent")}}
    data = {"name": plan.name, "unit": "money", "currency": "USD", "notes": "",
            "terms-TOTAL_FORMS": "2", "terms-INITIAL_FORMS": "0", **terms(0, "2026-01-01"), **terms(1, "2026-03-01")}
    response = admin_client.post(f"/admin/plans/priceplan/{plan.pk}/change/", data)
    assert response.status_code == 200
    assert "overlap" in response.content.decode()
    assert not PlanTerms.objects.exists()


def test_the_admin_refuses_a_money_plan_without_currency(admin_client):
    response = admin_client.post("/admin/plans/priceplan/add/", {
        "name": "Nameless", "unit": "money", "currency": "", "notes": "",
        "terms-TOTAL_FORMS": "0", "terms-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert "needs the currency of its fees" in response.content.decode()
    assert not PricePlan.objects.filter(name="Nameless").exists()
