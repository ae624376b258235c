"""What `migrate` leaves in an empty database besides the cards (tested in test_import_shipped)."""

from datetime import date
from decimal import Decimal

import pytest

from plans.defaults import load_defaults as load_plan_defaults
from plans.models import CreditRate, PricePlan
from ratecards.defaults import load_defaults as load_ratecard_defaults
from ratecards.models import RateCard, SeedRecord

pytestmark = pytest.mark.django_db


def test_the_example_credit_table_is_an_example_plan():
    plan = PricePlan.objects.get(name="example-credits")
    assert plan.unit == "credits"
    rates = CreditRate.objects.filter(plan=plan)
    assert rates.count() == 64 + 128  # 32 regions x 2 initiators (2023-03-15), x 4 categories (2023-06-01)
    assert rates.get(region="India", category="marketing", effective_from=date(2023, 6, 1)).credits == Decimal("2.5")
    assert rates.get(region="Argentina", category="user_initiated").effective_to == date(2023, 5, 31)


def test_not_offered_is_stored_as_no_figure():
    assert CreditRate.objects.get(region="India", category="authentication").credits is None


def test_todays_usd_card_is_the_2026_10_01_card():
    card = RateCard.objects.in_force("USD", date(2026, 11, 22))
    assert card.effective_from == date(2026, 10, 1)
    assert card.service_charged and card.free_service_allowance == 1000 and card.free_service_scope == "phone_number"


def test_a_piece_an_admin_deleted_is_not_loaded_again():
    PricePlan.objects.filter(name="example-credits").delete()
    assert SeedRecord.objects.filter(name="credit-table").exists()
    load_ratecard_defaults(verbosity=0)
    load_plan_defaults()
    assert not PricePlan.objects.filter(name="example-credits").exists()


def test_the_example_package_is_loaded_once_and_not_brought_back():
    # Shipped by plans.defaults: 250 USD a month for 10,000 units, 0.05 USD a unit beyond, Meta on top.
    plan = PricePlan.objects.get(name="example-package")
    assert plan.unit == "package" and plan.package_terms.get().overage_per_unit == Decimal("0.05")
    plan.delete()
    load_plan_defaults()
    assert SeedRecord.objects.filter(name="example-package").exists()
    assert not PricePlan.objects.filter(name="example-package").exists()
