"""The shipped example credit table and example package plan, loaded by `migrate` (see PlansConfig.ready).

Loaded once ever, like the rate cards' default data (`ratecards.defaults`): a SeedRecord remembers each,
so a later migrate does not bring back a plan an admin deleted on purpose.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, transaction

from plans.models import CreditRate, MetaCharges, PackageTerms, PlanUnit, PricePlan, load_credit_table
from ratecards.defaults import schema_is_current
from ratecards.models import SeedRecord

CREDIT_SEED = "credit-table"
PACKAGE_SEED = "example-package"
EXAMPLE_PACKAGE = "example-package"
# An example only, not any provider's offer: 10,000 units a month for 250 USD, one unit a template or a
# receptive window (utility inside it too), 0.05 USD a unit beyond, Meta's charges passed through on top.
EXAMPLE_PACKAGE_TERMS = {
    "effective_from": date(2025, 7, 1), "monthly_fee": Decimal("250.00"), "included_units": Decimal(10000),
    "units_marketing": Decimal(1), "units_utility": Decimal(1), "units_authentication": Decimal(1),
    "units_per_receptive_window": Decimal(1), "utility_in_window_consumes_units": True,
    "overage_per_unit": Decimal("0.05"), "meta_charges": MetaCharges.ON_TOP,
}


def load_after_migrate(sender, **kwargs) -> None:
    if kwargs.get("using", DEFAULT_DB_ALIAS) != DEFAULT_DB_ALIAS:
        return
    if not schema_is_current(kwargs.get("apps"), (SeedRecord, PricePlan, CreditRate, PackageTerms)):
        return
    load_defaults()


def load_defaults() -> None:
    if not SeedRecord.objects.filter(name=CREDIT_SEED).exists():
        with transaction.atomic():
            load_credit_table()
            SeedRecord.objects.create(name=CREDIT_SEED)
    if not SeedRecord.objects.filter(name=PACKAGE_SEED).exists():
        with transaction.atomic():
            load_example_package()
            SeedRecord.objects.create(name=PACKAGE_SEED)


def load_example_package() -> PricePlan:
    plan, created = PricePlan.objects.get_or_create(name=EXAMPLE_PACKAGE, defaults={
        "unit": PlanUnit.PACKAGE, "currency": "USD",
        "notes": "An example package plan shipped with the product, not any provider's real offer: change or "
                 "delete it.",
    })
    if created:
        PackageTerms.objects.create(plan=plan, **EXAMPLE_PACKAGE_TERMS)
    return plan
