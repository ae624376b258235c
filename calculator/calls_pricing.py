"""Calls next to messages: the calling card in force, calls lines resolved to markets, priced by the engine.

Shared by the JSON API, the calculator page and quotes. The calling card is read once per catalogue
version (publishing or importing one bumps the version), like message cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ratecards.snapshots import Catalog
from calculator.engine.calls import CallingCard, CallsLine, CallsRequest, CallsResult, estimate_calls
from calculator.engine.money import ZERO
from ratecards import catalog as ratecard_catalog
from ratecards.calling_models import CallingRateCard
from calculator.engine.markets import InvalidPhoneNumber, UnknownCountry

Problems = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class CallsAsk:
    """One calls line as asked: recipients named by exactly one of market, country or phone."""

    market: str | None = None
    country: str | None = None
    phone: str | None = None
    business_initiated_minutes: Decimal = ZERO
    average_call_seconds: Decimal = Decimal(60)
    user_initiated_minutes: Decimal = ZERO


def calling_card_in_force(catalog: Catalog, currency: str, on: date) -> CallingCard | None:
    """The published calling card of the currency in force on the date, or None."""
    cache = ratecard_catalog.memo(catalog.token)
    key = ("calling", currency, on)
    if key not in cache:
        card = CallingRateCard.objects.in_force(currency, on)
        snapshots = cache.setdefault("calling_snapshots", {})
        if card is not None and card.pk not in snapshots:
            snapshots[card.pk] = card.snapshot()
        cache[key] = snapshots[card.pk] if card is not None else None
    return cache[key]


def resolve_calls(catalog: Catalog, asks: list[CallsAsk], on: date,
                  field_prefix: str = "calls") -> tuple[list[CallsLine], dict[str, list[str]], Problems]:
    """Each line's market by the mapping in force on the date; problems name the line's field."""
    market_map = catalog.market_map(on)
    known = catalog.market_names()
    lines: list[CallsLine] = []
    countries: dict[str, list[str]] = {}
    problems: Problems = []
    for index, ask in enumerate(asks):
        market, country = ask.market, ask.country
        try:
            if ask.phone is not None:
                found = market_map.resolve_phone(ask.phone)
                market, country = found.market, found.country
            elif ask.country is not None:
                market = market_map.resolve_country(ask.country).market
            elif market not in known:
                problems.append((f"{field_prefix}[{index}].market",
                                 f"'{market}' is not a market; known: {', '.join(sorted(known))}"))
                continue
        except InvalidPhoneNumber as exc:
            problems.append((f"{field_prefix}[{index}].phone", str(exc)))
            continue
        except UnknownCountry as exc:
            problems.append((f"{field_prefix}[{index}].country", str(exc)))
            continue
        lines.append(CallsLine(market, country, ask.business_initiated_minutes, ask.average_call_seconds,
                               ask.user_initiated_minutes))
        if country and country not in countries.setdefault(market, []):
            countries[market].append(country)
    return lines, countries, problems


def price_calls(catalog: Catalog, asks: list[CallsAsk], currency: str, on: date,
                business_country: str | None) -> tuple[CallsResult | None, Problems]:
    lines, countries, problems = resolve_calls(catalog, asks, on)
    if problems:
        return None, problems
    card = calling_card_in_force(catalog, currency, on)
    return estimate_calls(card, CallsRequest(tuple(lines), business_country), on, countries, currency), []
