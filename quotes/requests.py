"""A quote's estimate request as stored JSON (decimal strings, the API's field names) and back.

The stored form is the API's body with every number written as a string, so no float ever touches it
and a quote can be repriced (or duplicated) from exactly what it was priced from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from calculator.engine.estimate import (ASSUMPTION_FIELDS, COUNT_FIELDS, AssumptionOverrides, Assumptions, EstimateLine,
                                         EstimateRequest)
from quotes.calls import calls_from_json

WHERE_FIELDS = ("market", "country", "phone")


@dataclass(frozen=True)
class StoredRequest:
    request: EstimateRequest
    on: date
    compare_on: list[date] | None  # None: the default comparison
    currency: str
    calls: tuple = ()  # CallsAsk lines (quotes/calls.py); stored under "calls"


def _text(number: Decimal) -> str:
    return format(number, "f")


def request_json(request: EstimateRequest, on: date, compare_on: list[date] | None, currency: str) -> dict:
    body = {
        "on": on.isoformat(),
        "currency": currency,
        "business_country": request.business_country,
        "auth_international": request.auth_international,
        "business_phone_numbers": request.business_phone_numbers,
        "assumptions": {name: _text(getattr(request.assumptions, name)) for name in ASSUMPTION_FIELDS},
        "lines": [_line_json(line) for line in request.lines],
    }
    if compare_on is not None:
        body["compare_on"] = [d.isoformat() for d in compare_on]
    if request.meta_business_agent_tokens is not None:
        body["meta_business_agent_tokens"] = _text(request.meta_business_agent_tokens)
    return body


def _line_json(line: EstimateLine) -> dict:
    found = {name: getattr(line, name) for name in WHERE_FIELDS if getattr(line, name) is not None}
    found |= {name: _text(getattr(line, name)) for name in COUNT_FIELDS}
    own = {name: _text(getattr(line.assumptions, name)) for name in ASSUMPTION_FIELDS
           if getattr(line.assumptions, name) is not None}
    if own:
        found["assumptions"] = own
    return found


def request_from_json(body: dict) -> StoredRequest:
    lines = tuple(
        EstimateLine(
            **{name: line[name] for name in WHERE_FIELDS if name in line},
            **{name: Decimal(line[name]) for name in COUNT_FIELDS if name in line},
            assumptions=AssumptionOverrides(**{k: Decimal(v) for k, v in line.get("assumptions", {}).items()}),
        )
        for line in body["lines"]
    )
    request = EstimateRequest(
        lines=lines,
        assumptions=Assumptions(**{k: Decimal(v) for k, v in body.get("assumptions", {}).items()}),
        business_country=body.get("business_country"),
        auth_international=bool(body.get("auth_international")),
        business_phone_numbers=int(body.get("business_phone_numbers", 1)),
        meta_business_agent_tokens=Decimal(body["meta_business_agent_tokens"])
        if body.get("meta_business_agent_tokens") is not None else None,
    )
    compare_on = [date.fromisoformat(d) for d in body["compare_on"]] if "compare_on" in body else None
    return StoredRequest(request, date.fromisoformat(body["on"]), compare_on, body["currency"],
                         calls_from_json(body.get("calls", [])))
