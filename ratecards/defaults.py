"""The shipped default data, loaded by `migrate` (see RatecardsConfig.ready).

Each piece (the market mapping, then each card of `data/ratecards/manifest.json`) is loaded once ever:
a SeedRecord remembers it, so a later migrate neither duplicates it nor brings back something an admin
deleted on purpose. The cards go through the same importer as an admin's upload, published, with the
rules the manifest gives for them.

This runs after every `migrate`, at test database set-up and after every TransactionTestCase flush, so it
must stay fast: bulk inserts, a handful of queries per piece.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, transaction

from ratecards.models import (
    AgentTokenRate,
    FreeServiceScope,
    Market,
    MarketMapping,
    Rate,
    RateCard,
    SeedRecord,
    VolumeTier,
)

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
CALLING_CODES = DATA / "calling-codes.csv"
CARDS = DATA / "ratecards"
MANIFEST = CARDS / "manifest.json"
MAPPING_SEED = "mapping"
CREDIT_SEED = "credit-table"
# Meta Business Agent: USD 2.00 per million tokens from 2026-08-01 (pricing-rules.md). Migration 0004 seeds it
# on a real database; this reloads it after a flush (tests) under the same seed name.
AGENT_RATE_SEED = "agent-rate:usd-2026-08-01"
AGENT_RATE = {"currency": "USD", "effective_from": date(2026, 8, 1), "per_million_tokens": Decimal("2.0000"),
              "source": "Meta: messages written by Meta Business Agent, USD 2.00 per million tokens from 2026-08-01"}


def load_after_migrate(sender, **kwargs) -> None:
    using = kwargs.get("using", DEFAULT_DB_ALIAS)
    # The importer reads and writes the default database; another alias is left alone.
    if using != DEFAULT_DB_ALIAS or not _schema_is_current(kwargs.get("apps")):
        return
    load_defaults(verbosity=kwargs.get("verbosity", 1))


def load_defaults(verbosity: int = 1) -> None:
    done = set(SeedRecord.objects.values_list("name", flat=True))
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    if MAPPING_SEED not in done:
        load_mapping(manifest)
    for entry in manifest:
        if card_seed_name(entry) not in done:
            load_card(entry, verbosity=verbosity)
    if CREDIT_SEED not in done:
        from plans.models import load_credit_table

        with transaction.atomic():
            load_credit_table()
            SeedRecord.objects.create(name=CREDIT_SEED)
    if AGENT_RATE_SEED not in done:
        with transaction.atomic():
            AgentTokenRate.objects.get_or_create(
                currency=AGENT_RATE["currency"], effective_from=AGENT_RATE["effective_from"], defaults=AGENT_RATE)
            SeedRecord.objects.create(name=AGENT_RATE_SEED)


def _schema_is_current(migrated_apps) -> bool:
    """Whether the database has every column the current models write: after `migrate ratecards zero`,
    or a migrate back to an older state, there is nothing (or not enough) to load into."""
    if migrated_apps is None:
        return True
    from plans.models import CreditRate, PricePlan

    for model in (SeedRecord, Market, MarketMapping, RateCard, Rate, VolumeTier, PricePlan, CreditRate,
                  AgentTokenRate):
        try:
            migrated = migrated_apps.get_model(model._meta.app_label, model._meta.model_name)
        except LookupError:
            return False
        have = {f.column for f in migrated._meta.concrete_fields}
        if not {f.column for f in model._meta.concrete_fields} <= have:
            return False
    return True


def card_seed_name(entry: dict) -> str:
    return f"card:{entry['id']}"


# --- Markets and the mapping ----------------------------------------------------------------------------


def load_mapping(manifest: list[dict]) -> None:
    """Markets (every market of the calling-code table, of any shipped card, and Other) and the dated
    rules of Meta's calling-code table."""
    rows = list(csv.DictReader(io.StringIO(CALLING_CODES.read_text(encoding="utf-8"))))
    names = {row["market"] for row in rows} | {"Other"}
    for entry in manifest:
        names |= _markets_of_card(entry)
    with transaction.atomic():
        ids = _ensure_markets(names)
        MarketMapping.objects.bulk_create(
            MarketMapping(
                market_id=ids[row["market"]],
                country=row["country"],
                iso2=row["iso2"],
                calling_code=row["calling_code"],
                prefix=row["prefix"],
                effective_from=_date_or_none(row["effective_from"]),
                effective_to=_date_or_none(row["effective_to"]),
                note=row["note"],
            )
            for row in rows
        )
        SeedRecord.objects.create(name=MAPPING_SEED)
        _catalog_changed()


def _markets_of_card(entry: dict) -> frozenset[str]:
    return _markets_of_file(entry["rates_file"])


@functools.cache  # the shipped files do not change while the process runs; flushes reload often in tests
def _markets_of_file(rates_file: str) -> frozenset[str]:
    from ratecards.importer import parse_rates

    return frozenset(row.market for row in parse_rates((CARDS / rates_file).read_bytes(), rates_file).rows)


def _ensure_markets(names: set[str]) -> dict[str, int]:
    """Create the markets that are missing; return every market's id by name."""
    existing = set(Market.objects.filter(name__in=names).values_list("name", flat=True))
    Market.objects.bulk_create([Market(name=name) for name in sorted(names - existing)], ignore_conflicts=True)
    return dict(Market.objects.values_list("name", "id"))


def _date_or_none(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _catalog_changed() -> None:
    from ratecards import catalog

    catalog.bump()


# --- Cards ----------------------------------------------------------------------------------------------


def manifest_rules(rules: dict) -> dict:
    """The manifest's rules as RateCard fields: `billing_unit` is the pricing model, null scope is none."""
    fields = {key: value for key, value in rules.items() if key != "billing_unit"}
    fields["pricing_model"] = rules["billing_unit"]
    fields["free_service_scope"] = rules.get("free_service_scope") or FreeServiceScope.NONE.value
    return fields


def load_card(entry: dict, verbosity: int = 1) -> None:
    """Import one shipped card, published. A card an admin already made for that currency and date
    wins: the shipped one is then skipped (and remembered as loaded)."""
    from ratecards.importer import ImportRefused, import_card

    name = card_seed_name(entry)
    taken = RateCard.objects.filter(currency=entry["currency"], effective_from=entry["effective_from"]).exists()
    with transaction.atomic():
        if not taken:
            # A card needs its markets even if the mapping was loaded by an older release.
            _ensure_markets(_markets_of_card(entry))
            tiers_file = entry.get("tiers_file")
            try:
                import_card(
                    (CARDS / entry["rates_file"]).read_bytes(),
                    (CARDS / tiers_file).read_bytes() if tiers_file else None,
                    currency=entry["currency"],
                    effective_from=date.fromisoformat(entry["effective_from"]),
                    publish=True,
                    source=entry["provenance"],
                    notes=f"Shipped default card {entry['id']}.\nProvenance: {entry['provenance']}\n"
                    f"Reliability: {entry['reliability']}",
                    rules=manifest_rules(entry["rules"]),
                    rates_name=entry["rates_file"],
                    tiers_name=tiers_file or "tiers.csv",
                )
            except ImportRefused as refused:
                # Not remembered as loaded: the next migrate tries again once the mapping is fixed.
                log.warning("Shipped card %s not loaded:\n%s", entry["id"], refused)
                if verbosity:
                    print(f"Shipped card {entry['id']} not loaded:\n{refused}", file=sys.stderr)
                return
        SeedRecord.objects.create(name=name)
