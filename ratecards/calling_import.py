"""Importing a calling rate table into a calling rate card, and loading the shipped one at migrate.

The whole file is read and checked before anything is written (ratecards.calling_table); markets must
already exist (they come with the calling-code mapping), and the card is written in one transaction.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, transaction

from ratecards import catalog
from ratecards.calling_models import CallingMarketRate, CallingRateCard
from ratecards.calling_table import CallingTableRefused, parse_calling_table
from ratecards.models import Market, SeedRecord

log = logging.getLogger(__name__)

CALLING = Path(__file__).resolve().parent / "data" / "calling"
SHIPPED = CALLING / "usd-calling-rates-2025-08-01.csv"
SHIPPED_FROM = date(2025, 8, 1)
SHIPPED_SEED = "calling:usd-2025-08-01"
SHIPPED_SOURCE = ("Reconstructed USD table (Meta's own calling rate files were not found): a reseller's "
                  "published rates / 1.05; reliability and basis per row")


def import_calling_card(data: bytes, name: str, *, effective_from: date, currency: str | None = None,
                        publish: bool = False, source: str = "", notes: str = "",
                        reconstructed: bool = True) -> CallingRateCard:
    """A new calling card (draft unless ``publish``) from a table in the shipped layout, or
    CallingTableRefused naming every problem (nothing written)."""
    table = parse_calling_table(data, name)
    if currency and currency.upper() != table.currency:
        raise CallingTableRefused([f"{name}: the file's currency is {table.currency}, not {currency.upper()}"])
    markets = dict(Market.objects.filter(name__in=[r.market for r in table.rates]).values_list("name", "id"))
    unknown = [r.market for r in table.rates if r.market not in markets]
    if unknown:
        raise CallingTableRefused([f"{name}: unknown markets {', '.join(unknown)} (add them, or fix the names)"])
    with transaction.atomic():
        card = CallingRateCard.objects.create(currency=table.currency, effective_from=effective_from,
                                              source=source[:300], notes=notes, reconstructed=reconstructed)
        CallingMarketRate.objects.bulk_create(
            CallingMarketRate(card=card, market_id=markets[r.market], per_minute=r.per_minute,
                              reliability=r.reliability, basis=r.basis,
                              **{f"tier_{n}": rate for n, rate in enumerate(r.ladder, start=1)})
            for r in table.rates)
        if publish:
            card.publish()
        _catalog_changed()
    return card


def load_shipped_calling_card(sender=None, **kwargs) -> None:
    """post_migrate: the shipped USD calling card, once ever (an admin's deletion is respected)."""
    if kwargs.get("using", DEFAULT_DB_ALIAS) != DEFAULT_DB_ALIAS or not _schema_is_current(kwargs.get("apps")):
        return
    if SeedRecord.objects.filter(name=SHIPPED_SEED).exists():
        return
    with transaction.atomic():
        taken = CallingRateCard.objects.filter(currency="USD", effective_from=SHIPPED_FROM).exists()
        if not taken:
            try:
                import_calling_card(SHIPPED.read_bytes(), SHIPPED.name, effective_from=SHIPPED_FROM, publish=True,
                                    source=SHIPPED_SOURCE, notes="Shipped default calling card; see "
                                    "ratecards/data/calling/README.md for how it was built.")
            except CallingTableRefused as refused:  # markets missing: try again at the next migrate
                log.warning("Shipped calling card not loaded:\n%s", refused)
                return
        SeedRecord.objects.create(name=SHIPPED_SEED)


def _schema_is_current(migrated_apps) -> bool:
    if migrated_apps is None:
        return True
    for model in (SeedRecord, Market, CallingRateCard, CallingMarketRate):
        try:
            migrated = migrated_apps.get_model(model._meta.app_label, model._meta.model_name)
        except LookupError:
            return False
        if not {f.column for f in model._meta.concrete_fields} <= {f.column for f in migrated._meta.concrete_fields}:
            return False
    return True


def _catalog_changed() -> None:
    catalog.bump()
