"""Engine results as the JSON API's documented shapes (docs/api.md): amounts are decimal strings
rounded to the currency's minor unit (by the engine's one rounding helper), counts are numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Mapping

from calculator.engine.agent import AgentCharge
from calculator.engine.cards import CATEGORIES, CardInfo
from calculator.engine.estimate import EstimateResult, MarketResult, TierStatus
from calculator.engine.money import round_money
from calculator.engine.timeline import EventResult, ReplayResult
from calculator.engine.staleness import StaleRules
from calculator.engine.vocabulary import count_json


def money(value: Decimal, currency: str) -> str:
    return str(round_money(value, currency))


def rate_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def card_json(card: CardInfo) -> dict:
    rules = card.rules
    return {
        "id": card.id,
        "name": card.name,
        "effective_from": card.effective_from.isoformat(),
        "pricing_model": card.pricing_model,
        "currency": card.currency,
        "source": card.source,
        "rules": {
            "utility_free_in_service_window": rules.utility_free_in_service_window,
            "service_charged": rules.service_charged,
            "free_service_allowance": rules.free_service_allowance,
            "free_service_scope": rules.free_service_scope,
            "volume_tiers": rules.volume_tiers,
            "conversation_hours": rules.conversation_hours,
            "service_window_hours": rules.service_window_hours,
            "free_entry_point_hours": rules.free_entry_point_hours,
        },
    }


def amounts(values: Mapping[str, Decimal], currency: str, keys=CATEGORIES) -> dict[str, str]:
    return {key: money(values.get(key, Decimal(0)), currency) for key in keys}


def counts(values: Mapping[str, Decimal], keys=CATEGORIES) -> dict[str, int | float]:
    return {key: count_json(values.get(key, Decimal(0))) for key in keys}


def tier_json(tier: TierStatus) -> dict:
    blended = tier.blended_rate
    return {
        "category": tier.category,
        "count": count_json(tier.count),
        "charged": count_json(tier.charged),
        "tier": tier.tier_index,
        "tiers": tier.tier_count,
        "rate": rate_text(tier.rate_now),
        "next_tier_starts_at": tier.next_start,
        "messages_to_next_tier": None if tier.to_next is None else count_json(tier.to_next),
        "next_rate": rate_text(tier.next_rate),
        "blended_rate": None if blended is None else str(blended.quantize(Decimal("0.000001"))),
        "savings": money(tier.savings, tier.currency),
    }


def market_json(result: MarketResult) -> dict:
    return {
        "market": result.market,
        "total": money(result.total, result.currency),
        "list_total": money(result.list_total, result.currency),
        "tier_savings": money(result.tier_savings, result.currency),
        "by_category": amounts(result.by_category, result.currency),
        "charged": counts(result.charged),
        "free": {reason: count_json(value) for reason, value in result.free.items()},
        "tiers": [tier_json(t) for t in result.tiers],
    }


def estimate_json(result: EstimateResult) -> dict:
    currency = result.currency
    return {
        "on": result.on.isoformat(),
        "rate_card": card_json(result.card),
        "total": money(result.total, currency),
        "list_total": money(result.list_total, currency),
        "tier_savings": money(result.tier_savings, currency),
        "by_category": amounts(result.by_category, currency),
        "charged": counts(result.charged_by_category),
        "free": {reason: count_json(value) for reason, value in result.free_by_reason.items()},
        "by_market": [market_json(m) for m in result.by_market],
        "warnings": list(result.warnings),
        "notes": list(result.notes),
        "stale_rules": stale_rules_json(result.stale_rules),
    } | agent_fields(result)


def agent_fields(result: EstimateResult) -> dict:
    """Meta Business Agent, when the request asked: its amount in by_category (null without a rate: never
    an invented figure) and how it was priced."""
    agent = result.meta_business_agent
    if agent is None:
        return {}
    amount = None if agent.amount is None else money(agent.amount, result.currency)
    by_category = {**amounts(result.by_category, result.currency), "meta_business_agent": amount}
    return {"by_category": by_category, "meta_business_agent": agent_json(agent, result.currency)}


def agent_json(agent: AgentCharge, currency: str) -> dict:
    return {
        "tokens": count_json(agent.tokens),
        "status": agent.status,
        "rate_per_million_tokens": None if agent.rate is None else str(agent.rate.per_million),
        "rate_effective_from": None if agent.rate is None else agent.rate.effective_from.isoformat(),
        "amount": None if agent.amount is None else money(agent.amount, currency),
        "note": agent.note or agent.warning or None,
    }


def stale_rules_json(stale: StaleRules | None) -> dict | None:
    """Why the card's rules are out of date, for programs: the card used, the newer rules, where to price."""
    if stale is None:
        return None
    return {
        "card": stale.card.name,
        "rules": card_json(stale.card)["rules"],
        "newer_rules_from": stale.newer_from.isoformat(),
        "newer_card": stale.newer.name,
        "newer_rules": card_json(stale.newer)["rules"],
        "changes": list(stale.changes),
        "current_currencies": list(stale.current_currencies),
    }


def estimates_json(currency: str, results: list[EstimateResult]) -> dict:
    first = results[0]
    return {
        "currency": currency,
        "estimates": [estimate_json(r) for r in results],
        "lines": [
            {"market": line.market, "country": line.country, "authentication_international": line.authentication_international}
            for line in first.lines
        ],
    }


def event_json(result: EventResult) -> dict:
    if result.type == "inbound":
        return {"charged": False, "type": "inbound"}
    return {"charged": result.charged, "type": result.type, "category": result.category,
            "amount": str(result.amount), "market": result.market}


def replay_json(result: ReplayResult) -> dict:
    currency = result.currency
    body = {
        "rate_cards": [card_json(card) for card in result.cards],
        "total": money(result.total, currency),
        "by_category": amounts(result.by_category, currency),
        "charged": {category: result.charged.get(category, 0) for category in CATEGORIES},
        "by_type": dict(result.by_type),
        "by_market": [
            {"market": m.market, "total": money(m.total, currency), "by_category": amounts(m.by_category, currency),
             "charged": {category: m.charged.get(category, 0) for category in CATEGORIES}}
            for m in result.by_market
        ],
        "events": [event_json(e) for e in result.events],
        "warnings": list(result.warnings),
    }
    if len(result.cards) == 1:
        body = {"rate_card": card_json(result.cards[0])} | body
    return body
