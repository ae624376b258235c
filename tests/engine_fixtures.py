"""Engine test data: CardSnapshots built from the shipped rate-card CSVs, without Django or the importer.

A deliberately small reader of Meta's layout (see the data README): rows after the header row whose
first word is "Market" (notes above it may start with "Marketing"); rates one row per market; volume
tiers six rows per market, five columns per category (From, To, Rate type, Rate, vs. List rate).
Tests also build synthetic cards with `make_card`.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from calculator.engine import CATEGORIES, TIERED, CardSnapshot, Rules, Tier, market_maps_by_period
from calculator.engine.markets import MappingRule, MarketMap

DATA = Path(__file__).resolve().parent.parent / "ratecards" / "data"
CARDS = DATA / "ratecards"
RATE_COLUMNS = ("marketing", "utility", "authentication", "authentication_international", "service")
RULE_FIELDS = ("utility_free_in_service_window", "service_charged", "free_service_allowance",
               "free_service_scope", "volume_tiers", "conversation_hours", "service_window_hours",
               "free_entry_point_hours")


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def _after_header(rows: list[list[str]]) -> list[list[str]]:
    header = next(i for i, row in enumerate(rows) if row and row[0].split()[:1] == ["Market"])
    return [row for row in rows[header + 1:] if any(cell.strip() for cell in row)]


def _number(cell: str) -> int | None:
    cell = cell.strip()
    return None if cell == "--" else int(cell.replace(",", ""))


def read_rates(path: Path) -> dict[str, dict[str, Decimal | None]]:
    rates = {}
    for row in _after_header(_rows(path)):
        cells = [cell.strip() for cell in row[2:2 + len(RATE_COLUMNS)]]
        rates[row[0].strip()] = {category: None if cell == "n/a" else Decimal(cell)
                                 for category, cell in zip(RATE_COLUMNS, cells)}
    return rates


def read_tiers(path: Path) -> dict[tuple[str, str], tuple[Tier, ...]]:
    ladders: dict[tuple[str, str], list[Tier]] = {}
    market = ""
    for row in _after_header(_rows(path)):
        market = row[0].strip() or market
        for offset, category in enumerate(TIERED):
            start, end, _kind, rate = (cell.strip() for cell in row[2 + 5 * offset:6 + 5 * offset])
            if start != "n/a":
                ladders.setdefault((market, category), []).append(Tier(_number(start), _number(end), Decimal(rate)))
    return {key: tuple(ladder) for key, ladder in ladders.items()}


@lru_cache(maxsize=None)
def mapping_rules() -> tuple[MappingRule, ...]:
    with (DATA / "calling-codes.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(
            MappingRule(row["market"], row["iso2"], row["country"], row["calling_code"], row["prefix"],
                        date.fromisoformat(row["effective_from"]) if row["effective_from"] else None,
                        date.fromisoformat(row["effective_to"]) if row["effective_to"] else None)
            for row in csv.DictReader(handle)
        )


def market_map(on: date) -> MarketMap:
    return MarketMap.for_date(mapping_rules(), on)


market_map_of_day = market_maps_by_period(mapping_rules())  # one MarketMap per period, for replays


@lru_cache(maxsize=None)
def manifest() -> dict[str, dict]:
    return {entry["id"]: entry for entry in json.loads((CARDS / "manifest.json").read_text())}


@lru_cache(maxsize=None)
def load_card(card_id: str) -> CardSnapshot:
    """A shipped card by its manifest id, e.g. "usd-2026-10-01" or "usd-2024-11-01-conversation"."""
    entry = manifest()[card_id]
    effective_from = date.fromisoformat(entry["effective_from"])
    rules = Rules(pricing_model=entry["pricing_model"],
                  **{name: entry["rules"][name] for name in RULE_FIELDS if name in entry["rules"]})
    tiers = read_tiers(CARDS / entry["tiers_file"]) if entry["tiers_file"] else {}
    return CardSnapshot(id=list(manifest()).index(card_id) + 1, name=f"{entry['currency']} {entry['effective_from']}",
                        currency=entry["currency"], effective_from=effective_from, rules=rules,
                        rates=read_rates(CARDS / entry["rates_file"]), tiers=tiers,
                        market_map=market_map(effective_from), source=entry["provenance"])


def rates_of(card_id: str) -> dict[str, dict[str, Decimal | None]]:
    """The card's rates as the CSV gives them, for tests that compute expected amounts."""
    return read_rates(CARDS / manifest()[card_id]["rates_file"])


PER_MESSAGE_2026 = Rules(pricing_model="message", utility_free_in_service_window=False, service_charged=True,
                         free_service_allowance=1000, free_service_scope="phone_number", volume_tiers=True)


def make_card(rates: dict[str, dict[str, str | None]], rules: Rules = PER_MESSAGE_2026,
              tiers: dict[tuple[str, str], list[tuple[int, int | None, str]]] | None = None,
              on: date = date(2026, 10, 1), currency: str = "USD", name: str = "test card") -> CardSnapshot:
    """A synthetic card: rates as strings, tiers as (start, end, rate) rows; the real mapping of ``on``."""
    return CardSnapshot(
        id=0, name=name, currency=currency, effective_from=on, rules=rules,
        rates={market: {category: None if row.get(category) is None else Decimal(row[category])
                        for category in CATEGORIES} for market, row in rates.items()},
        tiers={key: tuple(Tier(start, end, Decimal(rate)) for start, end, rate in rows)
               for key, rows in (tiers or {}).items()},
        market_map=market_map(on),
    )
