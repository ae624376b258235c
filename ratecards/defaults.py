"""The shipped default data, loaded by `migrate` (see RatecardsConfig.ready).

Each piece (the market mapping, then each card of `data/ratecards/manifest.json`) is loaded once, and a
SeedRecord remembers it with a fingerprint of its shipped files, so a later migrate neither duplicates it
nor brings back something an admin deleted on purpose. The cards go through the same importer as an
admin's upload, published, with the rules the manifest gives for them.

When a release ships different data for a piece a site already has (the fingerprint differs, or the
record comes from a release that kept none), the next migrate corrects the site:

* a card arrives as a NEW published card that supersedes the one the seeding loaded (a published card
  never changes, and quotes priced on the old one keep it). A card an admin made or corrected for that
  currency and date wins: it is left alone. Same figures and rules: nothing is written.
* mapping rows that an earlier release shipped and that are listed in `calling-codes-superseded.csv` are
  replaced by the current shipped row of the same prefix and dates, where the database still holds them
  exactly as shipped (a row an admin changed or deleted stays as the admin left it).

This runs after every `migrate`, at test database set-up and after every TransactionTestCase flush, so it
must stay fast: one query when nothing changed, bulk inserts, a handful of queries per piece.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import logging
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, transaction

from ratecards import catalog
from ratecards.importer import ImportRefused, import_card, parse_rates
from ratecards.models import (
    AgentTokenRate,
    CardStatus,
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
SUPERSEDED_CALLING_CODES = DATA / "calling-codes-superseded.csv"
CARDS = DATA / "ratecards"
MANIFEST = CARDS / "manifest.json"
MAPPING_SEED = "mapping"
# Meta Business Agent: USD 2.00 per million tokens from 2026-08-01 (docs/pricing-rules.md). Migration 0004 seeds it
# on a real database; this reloads it after a flush (tests) under the same seed name.
AGENT_RATE_SEED = "agent-rate:usd-2026-08-01"
AGENT_RATE = {"currency": "USD", "effective_from": date(2026, 8, 1), "per_million_tokens": Decimal("2.0000"),
              "source": "Meta: messages written by Meta Business Agent, USD 2.00 per million tokens from 2026-08-01"}
SEEDED_MODELS = (SeedRecord, Market, MarketMapping, RateCard, Rate, VolumeTier, AgentTokenRate)


def load_after_migrate(sender, **kwargs) -> None:
    using = kwargs.get("using", DEFAULT_DB_ALIAS)
    # The importer reads and writes the default database; another alias is left alone.
    if using != DEFAULT_DB_ALIAS or not schema_is_current(kwargs.get("apps"), SEEDED_MODELS):
        return
    load_defaults(verbosity=kwargs.get("verbosity", 1))


def load_defaults(verbosity: int = 1) -> None:
    records = {record.name: record for record in SeedRecord.objects.all()}
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    mapping = records.get(MAPPING_SEED)
    if mapping is None:
        load_mapping(manifest)
    elif mapping.version != mapping_fingerprint():
        correct_mapping(mapping)
    for entry in manifest:
        record = records.get(card_seed_name(entry))
        if record is None:
            load_card(entry, verbosity=verbosity)
        elif record.version != card_fingerprint(entry):
            correct_card(entry, record, verbosity=verbosity)
    if AGENT_RATE_SEED not in records:
        with transaction.atomic():
            AgentTokenRate.objects.get_or_create(
                currency=AGENT_RATE["currency"], effective_from=AGENT_RATE["effective_from"], defaults=AGENT_RATE)
            SeedRecord.objects.create(name=AGENT_RATE_SEED)


def schema_is_current(migrated_apps, models) -> bool:
    """Whether the database has every column the given models write: after `migrate ratecards zero`,
    or a migrate back to an older state, there is nothing (or not enough) to load into."""
    if migrated_apps is None:
        return True
    for model in models:
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


@functools.cache  # the shipped files do not change while the process runs
def _file_digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest() if path.exists() else b""


def card_fingerprint(entry: dict) -> str:
    """What a shipped card is made of: its manifest entry (rules, provenance) and its files' bytes."""
    digest = hashlib.sha256(json.dumps(entry, sort_keys=True).encode())
    for name in (entry["rates_file"], entry.get("tiers_file")):
        if name:
            digest.update(_file_digest(CARDS / name))
    return digest.hexdigest()[:32]


def mapping_fingerprint() -> str:
    digest = hashlib.sha256(_file_digest(CALLING_CODES))
    digest.update(_file_digest(SUPERSEDED_CALLING_CODES))
    return digest.hexdigest()[:32]


# --- Markets and the mapping ----------------------------------------------------------------------------


def load_mapping(manifest: list[dict]) -> None:
    """Markets (every market of the calling-code table, of any shipped card, and Other) and the dated
    rules of Meta's calling-code table."""
    rows = _mapping_rows(CALLING_CODES)
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
        SeedRecord.objects.create(name=MAPPING_SEED, version=mapping_fingerprint())
        catalog.bump()


def correct_mapping(record: SeedRecord) -> None:
    """Replace the rows an earlier release shipped and this one corrects (calling-codes-superseded.csv)
    by this release's row of the same prefix and dates, where the database still has them as shipped."""
    current = {_rule_key(row): row for row in _mapping_rows(CALLING_CODES)}
    superseded = _mapping_rows(SUPERSEDED_CALLING_CODES) if SUPERSEDED_CALLING_CODES.exists() else []
    with transaction.atomic():
        ids = _ensure_markets({row["market"] for row in current.values()} | {"Other"})
        changed = False
        for old in superseded:
            stored = MarketMapping.objects.filter(
                market__name=old["market"], country=old["country"], iso2=old["iso2"],
                calling_code=old["calling_code"], prefix=old["prefix"],
                effective_from=_date_or_none(old["effective_from"]), effective_to=_date_or_none(old["effective_to"]),
                note=old["note"],
            )
            new = current.get(_rule_key(old))
            if new is None:
                changed |= stored.delete()[0] > 0
            else:
                changed |= stored.update(market_id=ids[new["market"]], country=new["country"], iso2=new["iso2"],
                                         calling_code=new["calling_code"], note=new["note"]) > 0
        record.version = mapping_fingerprint()
        record.save(update_fields=["version"])
        if changed:
            catalog.bump()


def _mapping_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _rule_key(row: dict[str, str]) -> tuple[str, str, str]:
    return (row["prefix"], row["effective_from"], row["effective_to"])


def _markets_of_card(entry: dict) -> frozenset[str]:
    return _markets_of_file(entry["rates_file"])


@functools.cache  # the shipped files do not change while the process runs; flushes reload often in tests
def _markets_of_file(rates_file: str) -> frozenset[str]:
    return frozenset(row.market for row in parse_rates((CARDS / rates_file).read_bytes(), rates_file).rows)


def _ensure_markets(names: set[str]) -> dict[str, int]:
    """Create the markets that are missing; return every market's id by name."""
    existing = set(Market.objects.filter(name__in=names).values_list("name", flat=True))
    Market.objects.bulk_create([Market(name=name) for name in sorted(names - existing)], ignore_conflicts=True)
    return dict(Market.objects.values_list("name", "id"))


def _date_or_none(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


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
    taken = RateCard.objects.filter(currency=entry["currency"], effective_from=entry["effective_from"]).exists()
    with transaction.atomic():
        card = None
        if not taken:
            card = _import_shipped(entry, verbosity)
            if card is None:
                return  # not remembered as loaded: the next migrate tries again once the mapping is fixed
        SeedRecord.objects.create(name=card_seed_name(entry), version=card_fingerprint(entry), card=card)


def correct_card(entry: dict, record: SeedRecord, verbosity: int = 1) -> None:
    """This release ships other data for a card the site has: a new published card supersedes the one
    the seeding loaded, if that one is still the published card of its date (not an admin's correction).
    A draft an admin is working on for that date is never replaced: the correction waits for it."""
    loaded = _loaded_card(entry, record)
    if loaded is not None and RateCard.objects.filter(
        currency=entry["currency"], effective_from=entry["effective_from"], status=CardStatus.DRAFT
    ).exists():
        message = (f"Shipped card {entry['id']} changed, but a draft for {entry['currency']} {entry['effective_from']} "
                   "is being edited: publish or delete it, then migrate again to load the corrected card.")
        log.warning(message)
        if verbosity:
            print(message, file=sys.stderr)
        return
    with transaction.atomic():
        if loaded is not None:
            card = _import_shipped(entry, verbosity)
            if card is None:
                return
            record.card = card
        record.version = card_fingerprint(entry)
        record.save(update_fields=["version", "card"])


def _loaded_card(entry: dict, record: SeedRecord) -> RateCard | None:
    """The published card this piece of shipped data put there, if it is still the one in force for its
    date. A record from a release that kept no card (version empty) is matched by the notes every
    shipped card starts with; an admin's correction starts with "Correction of"."""
    if record.card_id is not None:
        card = record.card
    elif not record.version:
        card = RateCard.objects.filter(
            currency=entry["currency"], effective_from=entry["effective_from"],
            notes__startswith=f"Shipped default card {entry['id']}.\n",
        ).order_by("-pk").first()
    else:
        return None  # loaded by this scheme and since deleted: an admin's choice
    if card is None or card.status != CardStatus.PUBLISHED:
        return None
    return card


def _import_shipped(entry: dict, verbosity: int) -> RateCard | None:
    """The shipped card imported and published (a correction when a published card of the date has other
    figures; nothing new when it has the same), or None when the importer refused it."""
    # A card needs its markets even if the mapping was loaded by an older release.
    _ensure_markets(_markets_of_card(entry))
    tiers_file = entry.get("tiers_file")
    try:
        report = import_card(
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
        log.warning("Shipped card %s not loaded:\n%s", entry["id"], refused)
        if verbosity:
            print(f"Shipped card {entry['id']} not loaded:\n{refused}", file=sys.stderr)
        return None
    return report.card
