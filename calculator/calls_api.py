"""The JSON API's `calls` lines (spec/api.md, "Estimate extras"): input, output and their OpenAPI schema.

`"calls": [{"country": "IN", "business_initiated_minutes": 1000, "average_call_seconds": 56,
"user_initiated_minutes": 500}]` on an estimate: each estimate (each date) prices the calls with the
calling card in force then; `by_category` gains `calls`, the total includes them, and the estimate
gains a `calls` breakdown per market with each rate's reliability.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from calculator.api_input import Problems, is_object_of, read_country, read_number
from calculator.api_output import money, rate_text
from calculator.engine.vocabulary import count_json as count
from calculator.calls_pricing import CallsAsk
from calculator.engine.calls import CallsMarketResult, CallsResult
from calculator.engine.estimate import EstimateResult

MAX_CALLS_LINES = 1_000
MAX_MINUTES = Decimal(10) ** 10
MAX_CALL_SECONDS = Decimal(86_400)
CALLS_LINE_FIELDS = {"market", "country", "phone", "business_initiated_minutes", "average_call_seconds",
                     "user_initiated_minutes"}


def read_calls(data: dict, problems: Problems) -> list[CallsAsk]:
    """The request's `calls` list (absent: none); every offending field named."""
    if "calls" not in data:
        return []
    raw = data["calls"]
    if not isinstance(raw, list):
        problems.append(("calls", "must be a list of calls lines, e.g. [{\"country\": \"IN\", "
                                  "\"business_initiated_minutes\": 1000, \"average_call_seconds\": 56}]"))
        return []
    if len(raw) > MAX_CALLS_LINES:
        problems.append(("calls", f"at most {MAX_CALLS_LINES:,} calls lines (got {len(raw):,})"))
        return []
    found = [_read_line(item, index, problems) for index, item in enumerate(raw)]
    return [line for line in found if line is not None]


def _read_line(data: Any, index: int, problems: Problems) -> CallsAsk | None:
    where_name = f"calls[{index}]"
    prefix = where_name + "."
    before = len(problems)
    if not is_object_of(data, where_name, CALLS_LINE_FIELDS, "a market, country or phone and minutes", problems):
        return None
    named = [key for key in ("market", "country", "phone") if data.get(key) not in (None, "")]
    if len(named) != 1:
        problems.append((where_name, "name the called numbers by exactly one of market, country or phone"
                         + (f" (got {', '.join(named)})" if named else "")))
    where: dict[str, str | None] = {}
    if "market" in named:
        if isinstance(data["market"], str) and len(data["market"]) <= 80:
            where["market"] = data["market"].strip()
        else:
            problems.append((prefix + "market", "must be a market name, e.g. Rest of Africa"))
    if "country" in named:
        where["country"] = read_country(data["country"], prefix + "country", problems)
    if "phone" in named:
        if isinstance(data["phone"], str) and len(data["phone"]) <= 40:
            where["phone"] = data["phone"]
        else:
            problems.append((prefix + "phone", "must be a phone number written as text, e.g. \"+919800000001\""))
    minutes = {}
    for name in ("business_initiated_minutes", "user_initiated_minutes"):
        if name in data:
            value = read_number(data[name], prefix + name, problems, low=Decimal(0), high=MAX_MINUTES,
                                low_text="must be zero or more minutes")
            if value is not None:
                minutes[name] = value
    seconds = None
    if "average_call_seconds" in data:
        seconds = read_number(data["average_call_seconds"], prefix + "average_call_seconds", problems,
                              low=Decimal(1), high=MAX_CALL_SECONDS, low_text="must be at least 1 second",
                              high_text=f"must be at most {MAX_CALL_SECONDS:,} seconds (a day)")
    elif minutes.get("business_initiated_minutes", 0) > 0:
        problems.append((prefix + "average_call_seconds",
                         "give the average call length in seconds: each call is billed in whole 6-second pulses"))
    if len(problems) > before:
        return None
    return CallsAsk(**where, **minutes, average_call_seconds=seconds if seconds is not None else Decimal(60))


def calls_market_json(result: CallsMarketResult) -> dict:
    return {
        "market": result.market,
        "countries": list(result.countries),
        "priced": result.priced,
        "calls": count(result.calls),
        "business_initiated_minutes": count(result.talk_minutes),
        "billed_minutes": count(result.billed_minutes),
        "user_initiated_minutes": count(result.user_initiated_minutes),
        "user_initiated_charge": money(Decimal(0), result.currency),
        "total": money(result.cost, result.currency),
        "list_total": money(result.list_cost, result.currency),
        "tier_savings": money(result.tier_savings, result.currency),
        "per_minute": rate_text(result.per_minute),
        "ladder": [str(rate) for rate in result.ladder],
        "tiers_known": bool(result.ladder),
        "tiers": [{"tier": use.index, "minutes_range": use.label, "rate": str(use.rate), "calls": count(use.calls),
                   "billed_minutes": count(use.minutes), "amount": money(use.cost, result.currency)}
                  for use in result.tiers],
        "reliability": result.reliability,
        "basis": result.basis,
        "warnings": list(result.warnings),
    }


def calls_json(result: CallsResult) -> dict:
    return {
        "calling_card": None if result.card_id is None else {
            "id": result.card_id, "name": result.card_name,
            "effective_from": result.card_effective_from.isoformat(), "currency": result.currency},
        "note": result.note,
        "business_calls_allowed": result.business_calls_allowed,
        "total": money(result.total, result.currency),
        "billed_minutes": count(result.billed_minutes),
        "user_initiated_minutes": count(result.user_initiated_minutes),
        "by_market": [calls_market_json(m) for m in result.by_market],
        "warnings": list(result.warnings),
    }


def with_calls(body: dict, result: EstimateResult, calls: CallsResult) -> dict:
    """An estimate's JSON with its calls: `by_category.calls`, the total including them, a `calls`
    breakdown, and the calls' warnings next to the messages'."""
    currency = result.currency
    body = dict(body)
    body["messages_total"] = body["total"]  # the total before calls (messages, and any other extras)
    body["total"] = money(result.total + calls.total, currency)
    body["by_category"] = {**body["by_category"], "calls": money(calls.total, currency)}
    body["calls"] = calls_json(calls)
    body["warnings"] = list(body["warnings"]) + [w for w in calls.warnings if w not in body["warnings"]]
    return body


MINUTES = {"type": "number", "minimum": 0, "maximum": int(MAX_MINUTES), "description": "Minutes a month."}
CALLS_LINE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "description": "A month of WhatsApp calls to one market (named by exactly one of market, country or phone). "
                   "Business-initiated calls are billed per call in whole 6-second pulses; user-initiated "
                   "calls are free. Rates: a reconstructed table (Meta's own calling rate files were not "
                   "found), each market with its reliability.",
    "properties": {
        "market": {"type": "string", "example": "Rest of Africa"},
        "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "example": "IN"},
        "phone": {"type": "string", "example": "+919800000001"},
        "business_initiated_minutes": MINUTES,
        "average_call_seconds": {"type": "number", "minimum": 1, "maximum": int(MAX_CALL_SECONDS),
                                 "description": "Average connected length of a business-initiated call; "
                                                "required when business_initiated_minutes > 0."},
        "user_initiated_minutes": {**MINUTES, "description": "Minutes of calls users place (free; shown)."},
    },
}
CALLS_REQUEST_PROPERTY = {"type": "array", "items": CALLS_LINE_SCHEMA, "maxItems": MAX_CALLS_LINES}
CALLS_RESULT_SCHEMA = {
    "type": "object",
    "description": "Present when the request has calls. by_category.calls and total include them.",
    "properties": {
        "calling_card": {"type": ["object", "null"]},
        "note": {"type": "string"},
        "business_calls_allowed": {"type": "boolean"},
        "total": {"type": "string"},
        "billed_minutes": {"type": "number"},
        "user_initiated_minutes": {"type": "number"},
        "by_market": {"type": "array", "items": {"type": "object"}},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
