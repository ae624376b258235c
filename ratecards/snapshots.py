"""Rate cards from the database as the engine's immutable snapshots, cached per catalogue version.

The views ask here for "the card in force on a date" and get a CardSnapshot; the engine never sees
the ORM. All lookups of one request go through one `Catalog`, read at one catalogue version, so a
request never mixes an old card with a newly published one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable
from decimal import Decimal

from calculator.engine.agent import AgentRate
from calculator.engine.cards import CardInfo, CardSnapshot, Rules, Tier, latest_in_force
from calculator.engine.replay import market_maps_by_period
from ratecards import catalog as ratecard_catalog
from calculator.engine.markets import MappingRule, MarketMap
from ratecards.models import RULE_FIELDS, AgentTokenRate, CardStatus, Market, PricingModel, RateCard


class NoCard(LookupError):
    """No published card of a currency on a date."""


@dataclass(frozen=True)
class CardListing:
    id: int
    currency: str
    effective_from: date
    pricing_model: str


def _rules(card: RateCard) -> Rules:
    return Rules(
        pricing_model=card.pricing_model,
        utility_free_in_service_window=card.utility_free_in_service_window,
        service_charged=card.service_charged,
        free_service_allowance=card.free_service_allowance,
        free_service_scope=card.free_service_scope or None,
        volume_tiers=card.volume_tiers,
        conversation_hours=card.conversation_hours,
        service_window_hours=card.service_window_hours,
        free_entry_point_hours=card.free_entry_point_hours,
    )


def _card_info(row: dict) -> CardInfo:
    rules = Rules(
        pricing_model=row["pricing_model"],
        utility_free_in_service_window=row["utility_free_in_service_window"],
        service_charged=row["service_charged"],
        free_service_allowance=row["free_service_allowance"],
        free_service_scope=row["free_service_scope"] or None,
        volume_tiers=row["volume_tiers"],
        conversation_hours=row["conversation_hours"],
        service_window_hours=row["service_window_hours"],
        free_entry_point_hours=row["free_entry_point_hours"],
    )
    name = f"{row['currency']} {row['effective_from'].isoformat()}"
    return CardInfo(row["pk"], name, row["currency"], row["effective_from"], row["pricing_model"], rules,
                    row["source"])


def build_snapshot(card: RateCard, market_map: MarketMap) -> CardSnapshot:
    rates: dict[str, dict[str, Decimal | None]] = {}
    for market, category, rate in card.rates.values_list("market__name", "category", "rate"):
        rates.setdefault(market, {})[category] = rate
    starts: dict[tuple[str, str], list[tuple[int, Decimal]]] = {}
    for market, category, start, rate in card.tiers.values_list("market__name", "category", "start", "rate"):
        starts.setdefault((market, category), []).append((start, rate))
    tiers = {}
    for key, steps in starts.items():
        steps.sort()
        tiers[key] = tuple(
            Tier(start, steps[i + 1][0] - 1 if i + 1 < len(steps) else None, rate) for i, (start, rate) in enumerate(steps)
        )
    return CardSnapshot(
        id=card.pk,
        name=card.name,
        currency=card.currency,
        effective_from=card.effective_from,
        rules=_rules(card),
        rates=rates,
        tiers=tiers,
        market_map=market_map,
        source=card.source,
    )


class Catalog:
    """The published cards and mappings at one catalogue version (one per request).

    The version token, the list of published cards, the mapping rules and the market names are read
    in one snapshot and cached under that token, so a card published while a request runs is either
    wholly seen or not at all. Card snapshots are read later, by id: a published card never changes.

    `draft`: a draft card priced as if it were published (staff trying it in the calculator; the view
    decides who may). It takes the place of a published card of its currency and date, and it and the
    listings that include it are kept in this request only, never in the shared per-version cache.
    """

    def __init__(self, draft: RateCard | None = None) -> None:
        self.draft = draft
        self._draft_snapshot: CardSnapshot | None = None
        with ratecard_catalog.consistent_reads():
            self.token = ratecard_catalog.current_token()
            self._cache = ratecard_catalog.memo(self.token)
            if "listings" not in self._cache:
                ratecard_catalog.mapping_rules(self._cache)
                self._cache["market_names"] = frozenset(Market.objects.values_list("name", flat=True))
                self._cache["listings"] = tuple(
                    CardListing(pk, currency, effective_from, model)
                    for pk, currency, effective_from, model in RateCard.objects.filter(status=CardStatus.PUBLISHED)
                    .order_by("currency", "effective_from")
                    .values_list("pk", "currency", "effective_from", "pricing_model")
                )

    def listings(self) -> tuple[CardListing, ...]:
        published = self._cache["listings"]
        if self.draft is None:
            return published
        draft = CardListing(self.draft.pk, self.draft.currency, self.draft.effective_from, self.draft.pricing_model)
        kept = [c for c in published if (c.currency, c.effective_from) != (draft.currency, draft.effective_from)]
        return tuple(sorted([*kept, draft], key=lambda c: (c.currency, c.effective_from)))

    def currencies(self, on: date | None = None) -> list[str]:
        """Currencies with a card in force on the date (any date when None)."""
        return sorted({c.currency for c in self.listings() if on is None or c.effective_from <= on})

    def listing_in_force(self, currency: str, on: date) -> CardListing | None:
        return latest_in_force((listing for listing in self.listings() if listing.currency == currency), on)

    def earliest(self, currency: str) -> CardListing | None:
        return next((c for c in self.listings() if c.currency == currency), None)

    def latest_conversation_card(self, currency: str) -> CardListing | None:
        found = None
        for listing in self.listings():
            if listing.currency == currency and listing.pricing_model == PricingModel.CONVERSATION:
                found = listing
        return found

    def card_infos(self) -> tuple[CardInfo, ...]:
        """Every published card's name, date and rules (no rates): what staleness is judged by."""
        found = self._cache.get("card_infos")
        if found is None:
            rows = (RateCard.objects.filter(status=CardStatus.PUBLISHED).order_by("currency", "effective_from")
                    .values("pk", "currency", "effective_from", "source", *RULE_FIELDS))
            found = self._cache["card_infos"] = tuple(_card_info(row) for row in rows)
        return found

    def agent_rates(self) -> tuple[AgentRate, ...]:
        """Meta Business Agent rates of every currency (admins edit them; the engine gets plain values)."""
        found = self._cache.get("agent_rates")
        if found is None:
            found = self._cache["agent_rates"] = tuple(
                AgentRate(currency, effective_from, per_million) for currency, effective_from, per_million
                in AgentTokenRate.objects.values_list("currency", "effective_from", "per_million_tokens"))
        return found

    def mapping_rules(self) -> tuple[MappingRule, ...]:
        return ratecard_catalog.mapping_rules(self._cache)

    def market_map_by_period(self) -> Callable[[date], MarketMap]:
        """A day's mapping, as one shared object for every day between two mapping changes (for replay)."""
        found = self._cache.get("maps_by_period")
        if found is None:
            found = self._cache["maps_by_period"] = market_maps_by_period(self.mapping_rules())
        return found

    def market_names(self) -> frozenset[str]:
        return self._cache["market_names"]

    def market_map(self, on: date) -> MarketMap:
        return ratecard_catalog.market_map(on, self._cache)

    def snapshot(self, card_id: int) -> CardSnapshot:
        if self.draft is not None and card_id == self.draft.pk:
            if self._draft_snapshot is None:
                self._draft_snapshot = build_snapshot(self.draft, self.market_map(self.draft.effective_from))
            return self._draft_snapshot
        key = ("card", card_id)
        snapshot = self._cache.get(key)
        if snapshot is None:
            card = RateCard.objects.get(pk=card_id)
            snapshot = build_snapshot(card, self.market_map(card.effective_from))
            self._cache[key] = snapshot
        return snapshot

    def card_in_force(self, currency: str, on: date) -> CardSnapshot:
        listing = self.listing_in_force(currency, on)
        if listing is None:
            first = self.earliest(currency)
            if first is None:
                raise NoCard(f"there is no {currency} rate card")
            raise NoCard(f"the first {currency} card starts on {first.effective_from.isoformat()}")
        return self.snapshot(listing.id)
