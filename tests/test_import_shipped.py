"""After `migrate`, the shipped mapping and every manifest card are in the database, exactly as the files say.

The files are read here independently of the importer, with the csv module, so a misreading importer
cannot agree with itself.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from ratecards import defaults
from ratecards.models import CardStatus, Market, MarketMapping, RateCard, SeedRecord
from tests.import_helpers import CALLING_CODES, manifest, shipped

CATEGORY_COLUMNS = ("marketing", "utility", "authentication", "authentication_international", "service")
TIER_GROUPS = {"utility": 2, "authentication": 7, "authentication_international": 12}


def rows_after_header(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # The header's first cell is "Market" (rates) or "Market<line break>(per rate card)" (tiers).
    header = next(i for i, row in enumerate(rows) if row and row[0].split("\n")[0].strip() == "Market")
    return [row for row in rows[header + 1:] if any(cell.strip() for cell in row)]


def expected_rates(rates_file: str) -> dict[tuple[str, str], Decimal | None]:
    expected = {}
    for row in rows_after_header(shipped(rates_file)):
        for category, cell in zip(CATEGORY_COLUMNS, row[2:7]):
            expected[(row[0], category)] = None if cell == "n/a" else Decimal(cell)
    return expected


def expected_tiers(tiers_file: str) -> set[tuple[str, str, int, Decimal]]:
    expected, market = set(), None
    for row in rows_after_header(shipped(tiers_file)):
        market = row[0] or market
        for category, column in TIER_GROUPS.items():
            start, rate = row[column], row[column + 3]
            if start != "n/a":
                expected.add((market, category, int(start.replace(",", "")), Decimal(rate)))
    return expected


def card_of(entry: dict) -> RateCard:
    return RateCard.objects.get(currency=entry["currency"], effective_from=entry["effective_from"],
                                status=CardStatus.PUBLISHED)


@pytest.mark.django_db
@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["id"])
def test_every_manifest_card_is_published_with_its_rules(entry):
    card = card_of(entry)
    rules = entry["rules"]
    assert card.pricing_model == rules["billing_unit"] == entry["pricing_model"]
    for name in ("service_window_hours", "free_entry_point_hours", "utility_free_in_service_window",
                 "service_charged", "free_service_allowance", "volume_tiers"):
        assert getattr(card, name) == rules[name], name
    assert card.free_service_scope == (rules["free_service_scope"] or "")
    assert card.conversation_hours == rules.get("conversation_hours", 24)


@pytest.mark.django_db
@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["id"])
def test_every_shipped_rate_is_in_the_database_exactly(entry):
    card = card_of(entry)
    stored = {(m, c): r for m, c, r in card.rates.values_list("market__name", "category", "rate")}
    assert stored == expected_rates(entry["rates_file"])


@pytest.mark.django_db
@pytest.mark.parametrize("entry", [e for e in manifest() if e["tiers_file"]], ids=lambda e: e["id"])
def test_every_shipped_tier_row_is_in_the_database_exactly(entry):
    card = card_of(entry)
    stored = set(card.tiers.values_list("market__name", "category", "start", "rate"))
    assert stored == expected_tiers(entry["tiers_file"])


@pytest.mark.django_db
def test_the_conversation_based_card_has_no_tiers():
    card = RateCard.objects.get(currency="USD", effective_from=date(2024, 11, 1))
    assert card.pricing_model == "conversation"
    assert not card.tiers.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["id"])
def test_shipped_cards_say_where_their_figures_come_from(entry):
    card = card_of(entry)
    assert entry["provenance"].startswith(card.source.removesuffix("…"))
    assert len(card.source) <= RateCard._meta.get_field("source").max_length
    assert entry["provenance"] in card.notes
    assert f"Reliability: {entry['reliability']}" in card.notes


@pytest.mark.django_db
def test_todays_usd_card_is_the_one_of_october_2026():
    card = RateCard.objects.in_force("USD", date(2026, 11, 22))
    assert card.name == "USD 2026-10-01"
    assert card.service_charged and not card.utility_free_in_service_window


@pytest.mark.django_db
def test_every_mapping_row_is_loaded():
    rows = list(csv.DictReader(io.StringIO(CALLING_CODES.read_text(encoding="utf-8"))))
    stored = set(
        MarketMapping.objects.values_list(
            "market__name", "country", "iso2", "calling_code", "prefix", "effective_from", "effective_to", "note"
        )
    )
    expected = {
        (r["market"], r["country"], r["iso2"], r["calling_code"], r["prefix"],
         date.fromisoformat(r["effective_from"]) if r["effective_from"] else None,
         date.fromisoformat(r["effective_to"]) if r["effective_to"] else None, r["note"])
        for r in rows
    }
    assert stored == expected
    assert MarketMapping.objects.count() == len(rows)


@pytest.mark.django_db
def test_markets_cover_the_mapping_every_card_and_other():
    names = set(Market.objects.values_list("name", flat=True))
    assert "Other" in names
    for entry in manifest():
        assert set(m for m, _ in expected_rates(entry["rates_file"])) <= names


@pytest.mark.django_db
def test_loading_the_defaults_again_changes_nothing():
    before = (RateCard.objects.count(), MarketMapping.objects.count(), Market.objects.count())
    defaults.load_defaults()
    assert (RateCard.objects.count(), MarketMapping.objects.count(), Market.objects.count()) == before
    assert set(SeedRecord.objects.values_list("name", flat=True)) == {"mapping", "credit-table", "example-package", defaults.AGENT_RATE_SEED} | {
        f"card:{e['id']}" for e in manifest()
    } | {"calling:usd-2025-08-01"}  # the shipped calling card (ratecards/calling_import.py)


@pytest.mark.django_db
def test_what_an_admin_deleted_is_not_brought_back_by_the_next_migrate():
    MarketMapping.objects.filter(prefix="1809").delete()
    # A published card cannot be deleted through the models; unpublish it behind their back first.
    RateCard.objects.filter(currency="EUR").update(status=CardStatus.DRAFT)
    RateCard.objects.filter(currency="EUR").delete()
    defaults.load_defaults()
    assert not MarketMapping.objects.filter(prefix="1809").exists()
    assert not RateCard.objects.filter(currency="EUR").exists()


@pytest.mark.django_db
def test_a_card_missing_from_the_seed_records_is_loaded_on_the_next_migrate():
    entry = next(e for e in manifest() if e["currency"] == "EUR")
    RateCard.objects.filter(currency="EUR").update(status=CardStatus.DRAFT)
    RateCard.objects.filter(currency="EUR").delete()
    SeedRecord.objects.filter(name=f"card:{entry['id']}").delete()
    defaults.load_defaults()
    card = card_of(entry)
    stored = {(m, c): r for m, c, r in card.rates.values_list("market__name", "category", "rate")}
    assert stored == expected_rates(entry["rates_file"])
