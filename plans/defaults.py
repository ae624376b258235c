"""The shipped example credit table, loaded by `migrate` (see PlansConfig.ready).

Loaded once ever, like the rate cards' default data (`ratecards.defaults`): a SeedRecord remembers it,
so a later migrate does not bring back a table an admin deleted on purpose.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, transaction

from plans.models import CreditRate, PricePlan, load_credit_table
from ratecards.defaults import schema_is_current
from ratecards.models import SeedRecord

CREDIT_SEED = "credit-table"


def load_after_migrate(sender, **kwargs) -> None:
    if kwargs.get("using", DEFAULT_DB_ALIAS) != DEFAULT_DB_ALIAS:
        return
    if not schema_is_current(kwargs.get("apps"), (SeedRecord, PricePlan, CreditRate)):
        return
    load_defaults()


def load_defaults() -> None:
    if not SeedRecord.objects.filter(name=CREDIT_SEED).exists():
        with transaction.atomic():
            load_credit_table()
            SeedRecord.objects.create(name=CREDIT_SEED)
