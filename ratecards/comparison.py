"""What changed between two cards, market by market and category by category (the quarterly review),
and which card a draft will take over from (what its workspace compares it with)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ratecards.models import RULE_FIELDS, TIERED_CATEGORIES, CardStatus, Category, RateCard

PERCENT = Decimal("0.1")
CATEGORY_LABELS = {c.value: c.label for c in Category}


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
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)

    @property
    def change_percent(self) -> Decimal | None:
        if self.old is None or self.new is None or self.old == 0:
            return None
        return ((self.new - self.old) / self.old * 100).quantize(PERCENT)


Steps = tuple[tuple[int, Decimal], ...]  # (first message of the step, rate), in order


@dataclass(frozen=True)
class TierChange:
    """The volume tiers of one market and category, where the two cards' steps differ."""

    market: str
    category: str
    old: Steps
    new: Steps

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, self.category)


@dataclass(frozen=True)
class RuleChange:
    name: str  # the rule's field name (RULE_FIELDS)
    label: str  # what the admin calls it
    old: object
    new: object


@dataclass(frozen=True)
class CardComparison:
    old: RateCard
    new: RateCard
    changes: list[RateChange]  # only the cells that differ
    unchanged_count: int
    markets_added: list[str]
    markets_removed: list[str]
    rule_changes: list[RuleChange]
    tier_changes: list[TierChange]

    @property
    def currency_differs(self) -> bool:
        return self.old.currency != self.new.currency


def _rates(card: RateCard) -> dict[tuple[str, str], Decimal | None]:
    return {(m, c): r for m, c, r in card.rates.values_list("market__name", "category", "rate")}


def _tiers(card: RateCard) -> dict[tuple[str, str], Steps]:
    found: dict[tuple[str, str], list[tuple[int, Decimal]]] = {}
    for market, category, start, rate in card.tiers.values_list("market__name", "category", "start", "rate"):
        found.setdefault((market, category), []).append((start, rate))
    return {key: tuple(sorted(steps)) for key, steps in found.items()}


def _rule_value(card: RateCard, name: str) -> object:
    field = RateCard._meta.get_field(name)
    value = getattr(card, name)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


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
        RuleChange(name, str(RateCard._meta.get_field(name).verbose_name).capitalize(), _rule_value(old, name),
                   _rule_value(new, name))
        for name in RULE_FIELDS if getattr(old, name) != getattr(new, name)
    ]
    old_tiers, new_tiers = _tiers(old), _tiers(new)
    tier_keys = sorted(set(old_tiers) | set(new_tiers), key=lambda k: (k[0], order.get(k[1], 99)))
    tier_changes = [TierChange(m, c, old_tiers.get((m, c), ()), new_tiers.get((m, c), ()))
                    for m, c in tier_keys if old_tiers.get((m, c), ()) != new_tiers.get((m, c), ())]
    return CardComparison(
        old=old,
        new=new,
        changes=changes,
        unchanged_count=unchanged,
        markets_added=sorted(new_markets - old_markets),
        markets_removed=sorted(old_markets - new_markets),
        rule_changes=rule_changes,
        tier_changes=tier_changes,
    )


def card_it_supersedes(card: RateCard) -> RateCard | None:
    """What a card takes over from once published: the published card of its currency and date (which it
    supersedes as a correction), else the latest published card of its currency before its date."""
    published = RateCard.objects.published().filter(currency=card.currency).exclude(pk=card.pk)
    same_date = published.filter(effective_from=card.effective_from).first()
    if same_date is not None:
        return same_date
    return published.filter(effective_from__lt=card.effective_from).order_by("-effective_from").first()


def card_before(card: RateCard) -> RateCard | None:
    """The card a comparison puts before this one: for a draft what it will take over from; for a
    published or superseded card the published card in force the day before it starts."""
    if card.status == CardStatus.DRAFT:
        return card_it_supersedes(card)
    return (RateCard.objects.published().filter(currency=card.currency, effective_from__lt=card.effective_from)
            .exclude(pk=card.pk).order_by("-effective_from").first())


def default_pair(today: date) -> tuple[RateCard, RateCard] | None:
    """What the compare page shows first: the newest draft (else today's USD card) against the card before it."""
    newest = RateCard.objects.filter(status=CardStatus.DRAFT).order_by("-created_at", "-pk").first()
    if newest is None:
        newest = RateCard.objects.in_force("USD", today)
    old = newest and card_before(newest)
    return (old, newest) if old is not None else None


def missing_tiers(card: RateCard) -> bool:
    """A per-message card whose rules say tiers apply, but which has no tier at all."""
    return card.volume_tiers and not card.tiers.filter(category__in=[c.value for c in TIERED_CATEGORIES]).exists()
