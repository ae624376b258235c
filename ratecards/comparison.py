"""What changed between two cards, market by market and category by category (the quarterly review)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ratecards.models import RULE_FIELDS, Category, RateCard

PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class RateChange:
    market: str
    category: str
    old: Decimal | None
    new: Decimal | None

    @property
    def kind(self) -> str:
        if self.old is None and self.new is None:
            return "same"
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        if self.new > self.old:
            return "up"
        if self.new < self.old:
            return "down"
        return "same"

    @property
    def change_percent(self) -> Decimal | None:
        if self.old is None or self.new is None or self.old == 0:
            return None
        return ((self.new - self.old) / self.old * 100).quantize(PERCENT)


@dataclass(frozen=True)
class CardComparison:
    old: RateCard
    new: RateCard
    changes: list[RateChange]  # only the cells that differ
    unchanged_count: int
    markets_added: list[str]
    markets_removed: list[str]
    rule_changes: list[tuple[str, object, object]]

    @property
    def currency_differs(self) -> bool:
        return self.old.currency != self.new.currency


def _rates(card: RateCard) -> dict[tuple[str, str], Decimal | None]:
    return {(m, c): r for m, c, r in card.rates.values_list("market__name", "category", "rate")}


def compare_cards(old: RateCard, new: RateCard) -> CardComparison:
    old_rates, new_rates = _rates(old), _rates(new)
    old_markets = {m for m, _ in old_rates}
    new_markets = {m for m, _ in new_rates}
    order = {c.value: i for i, c in enumerate(Category)}
    keys = sorted(set(old_rates) | set(new_rates), key=lambda k: (k[0], order.get(k[1], 99)))
    changes, unchanged = [], 0
    for market, category in keys:
        change = RateChange(market, category, old_rates.get((market, category)), new_rates.get((market, category)))
        if change.kind == "same":
            unchanged += 1
        else:
            changes.append(change)
    rule_changes = [
        (name, getattr(old, name), getattr(new, name)) for name in RULE_FIELDS if getattr(old, name) != getattr(new, name)
    ]
    return CardComparison(
        old=old,
        new=new,
        changes=changes,
        unchanged_count=unchanged,
        markets_added=sorted(new_markets - old_markets),
        markets_removed=sorted(old_markets - new_markets),
        rule_changes=rule_changes,
    )
