"""A card's rates and tiers arranged for people: one row per market, one column per category."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ratecards.models import TIERED_CATEGORIES, Category, RateCard


@dataclass
class TierRow:
    start: int
    end: int | None
    rate: Decimal
    list_rate: Decimal | None

    @property
    def change_percent(self) -> Decimal | None:
        if not self.list_rate:
            return None
        return ((self.rate - self.list_rate) / self.list_rate * 100).quantize(Decimal("0.1"))


@dataclass
class MarketRow:
    market: str
    rates: list[Decimal | None]
    tiers: dict[str, list[TierRow]] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)  # the category of each rate, in the same order

    @property
    def cells(self) -> list[tuple[str, Decimal | None]]:
        return list(zip(self.codes, self.rates))


@dataclass
class CardGrid:
    categories: list[tuple[str, str]]
    tiered_categories: list[tuple[str, str]]
    rows: list[MarketRow]


def tier_rows(starts_and_rates: list[tuple[int, Decimal]], list_rate: Decimal | None) -> list[TierRow]:
    """Tiers from their starts: each ends the message before the next one starts; the last is open."""
    ordered = sorted(starts_and_rates)
    rows = []
    for index, (start, rate) in enumerate(ordered):
        end = ordered[index + 1][0] - 1 if index + 1 < len(ordered) else None
        rows.append(TierRow(start, end, rate, list_rate))
    return rows


def card_grid(card: RateCard) -> CardGrid:
    categories = [(c.value, c.label) for c in Category]
    rates: dict[str, dict[str, Decimal | None]] = {}
    for market, category, rate in card.rates.values_list("market__name", "category", "rate"):
        rates.setdefault(market, {})[category] = rate
    tiers: dict[tuple[str, str], list[tuple[int, Decimal]]] = {}
    for market, category, start, rate in card.tiers.values_list("market__name", "category", "start", "rate"):
        tiers.setdefault((market, category), []).append((start, rate))
    markets = sorted(set(rates) | {m for m, _ in tiers}, key=lambda name: (name == "Other", name.startswith("Rest of"), name))
    rows = []
    for market in markets:
        row = MarketRow(market, [rates.get(market, {}).get(code) for code, _ in categories],
                        codes=[code for code, _ in categories])
        for category in TIERED_CATEGORIES:
            if (market, category.value) in tiers:
                row.tiers[category.label] = tier_rows(tiers[(market, category.value)], rates.get(market, {}).get(category.value))
        rows.append(row)
    return CardGrid(categories, [(c.value, c.label) for c in TIERED_CATEGORIES], rows)
