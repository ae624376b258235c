"""The pricing engine: what WhatsApp Business Platform messages cost, in pure Python.

No Django, no database, no request: callers build `CardSnapshot`s (from the database or the shipped
CSVs) and get frozen results of unrounded Decimals, rounded only for display by `round_money`.
"""

from .cards import CATEGORIES, TIERED, CardInfo, CardSnapshot, Rules, Tier, recipient_abroad, tier_group, tier_at
from .estimate import (
    FREE_REASONS,
    AssumptionOverrides,
    Assumptions,
    EstimateLine,
    EstimateRequest,
    EstimateResult,
    LineError,
    LineResult,
    MarketResult,
    TierStatus,
    estimate,
    graduated_cost,
)
from .money import MINOR_UNITS, round_money
from .replay import market_maps_by_period, replay
from .timeline import (
    KINDS,
    RESULT_TYPES,
    Event,
    EventError,
    EventResult,
    ReplayMarketResult,
    ReplayRequest,
    ReplayResult,
)

__all__ = [
    "CATEGORIES", "TIERED", "CardInfo", "CardSnapshot", "Rules", "Tier", "recipient_abroad", "tier_group",
    "tier_at",
    "FREE_REASONS", "AssumptionOverrides", "Assumptions", "EstimateLine", "EstimateRequest", "EstimateResult",
    "LineError", "LineResult", "MarketResult", "TierStatus", "estimate", "graduated_cost",
    "MINOR_UNITS", "round_money",
    "KINDS", "RESULT_TYPES", "Event", "EventError", "EventResult", "ReplayMarketResult", "ReplayRequest",
    "ReplayResult", "market_maps_by_period", "replay",
]
