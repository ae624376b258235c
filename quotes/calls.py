"""Calls in a quote: the calls lines stored with the request, priced with the calling card in force on the
quote's date, converted like Meta's message charges, and added to Meta's total and the provider's.

A price plan's terms are written for messages (markups per category, fees per message or conversation),
so calls are quoted at Meta's price and the quote says so. Meta's own calling rate files were not
found: the quote carries the reconstructed table's note and each market's reliability.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from calculator.engine.vocabulary import count_json as count
from calculator.calls_api import calls_json, with_calls
from calculator.calls_pricing import CallsAsk, price_calls
from ratecards.snapshots import Catalog
from calculator.engine.calls import CallsResult
from calculator.engine.money import round_money

Problems = list[tuple[str, str]]
ASK_NUMBERS = ("business_initiated_minutes", "average_call_seconds", "user_initiated_minutes")


def calls_to_json(asks) -> list[dict]:
    found = []
    for ask in asks:
        line = {name: getattr(ask, name) for name in ("market", "country", "phone") if getattr(ask, name) is not None}
        found.append(line | {name: format(getattr(ask, name), "f") for name in ASK_NUMBERS})
    return found


def calls_from_json(lines: list[dict]) -> tuple[CallsAsk, ...]:
    return tuple(CallsAsk(**{name: line[name] for name in ("market", "country", "phone") if name in line},
                          **{name: Decimal(line[name]) for name in ASK_NUMBERS if name in line})
                 for line in lines)


def add_quote_calls(catalog: Catalog, stored, figures, *, meta_rate: Decimal, messages_meta: Decimal,
                    provider: Decimal, currency: str, estimate_result):
    """The quote's figures with its calls; (None, problems) when a calls line names no market."""
    calls, problems = price_calls(catalog, list(stored.calls), stored.currency, stored.on,
                                  stored.request.business_country)
    if problems:
        return None, problems
    calls_meta = calls.total * meta_rate
    result = dict(figures.result)

    def money(amount: Decimal) -> str:
        return str(round_money(amount, currency))

    result["calls"] = _calls_section(calls, meta_rate, money)
    totals = dict(result["totals"])
    totals["messages_meta"] = totals["meta"]
    totals["calls"] = money(calls_meta)
    totals["meta"] = money(messages_meta + calls_meta)
    totals["provider"] = money(provider + calls_meta)
    result["totals"] = totals
    estimate = dict(result["estimate"])
    estimate["estimates"] = [with_calls(estimate["estimates"][0], estimate_result, calls)] + estimate["estimates"][1:]
    result["estimate"] = estimate
    result["method"] = list(result["method"]) + [
        "Calls are quoted at Meta's price per minute (each call billed in whole 6-second pulses; calls customers "
        "place are free)" + (": the price plan's terms cover messages only." if result.get("plan") else ".")]
    result["warnings"] = list(result["warnings"]) + [w for w in calls.warnings if w not in result["warnings"]]
    request = dict(figures.request)
    request["calls"] = calls_to_json(stored.calls)
    return replace(figures, result=result, request=request, meta_total=round_money(messages_meta + calls_meta, currency),
                   total=round_money(provider + calls_meta, currency)), []


def _calls_section(calls: CallsResult, meta_rate: Decimal, money) -> dict:
    found = calls_json(calls)  # amounts in the card's currency, as the API gives them
    found["meta_total"] = money(calls.total * meta_rate)
    found["rows"] = [{
        "market": m.market, "countries": list(m.countries), "calls": count(m.calls),
        "billed_minutes": count(m.billed_minutes), "user_initiated_minutes": count(m.user_initiated_minutes),
        "rate": None if m.rate_now is None else str(m.rate_now), "tiers_known": bool(m.ladder),
        "tier": m.tier_reached + 1 if m.tiers and m.ladder else None, "priced": m.priced,
        "meta": money(m.cost * meta_rate), "reliability": m.reliability or "unknown",
    } for m in calls.by_market]
    return found
