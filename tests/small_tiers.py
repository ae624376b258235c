"""A USD card from 2027-01-01 like 2026-10-01's, with India utility tiers made small so a handful of messages
climbs them: positions 1-2 at 0.0014, 3-4 at 0.0013, 5-100 at 0.0012, from 101 at 0.0011 (four steps).
Used by the usage tests (charges, Meta's counting, the forecast)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ratecards.models import Market, RateCard, VolumeTier

SMALL_INDIA_UTILITY_TIERS = ((0, "0.0014"), (3, "0.0013"), (5, "0.0012"), (101, "0.0011"))


def publish_small_tiers(**changes) -> RateCard:
    """Publish the card; ``changes`` set other fields of it first (e.g. free_service_allowance=2)."""
    base = RateCard.objects.get(currency="USD", effective_from=date(2026, 10, 1), status="published")
    draft = base.new_draft()
    draft.effective_from = date(2027, 1, 1)
    for name, value in changes.items():
        setattr(draft, name, value)
    draft.save()
    india = Market.objects.get(name="India")
    VolumeTier.objects.filter(card=draft, market=india, category="utility").delete()
    VolumeTier.objects.bulk_create(VolumeTier(card=draft, market=india, category="utility", start=start,
                                              rate=Decimal(rate)) for start, rate in SMALL_INDIA_UTILITY_TIERS)
    draft.publish()
    return draft
