"""The market-resolution endpoint of the JSON API."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from pricing_site.api import api_errors, public_api
from ratecards import catalog
from calculator.engine.markets import InvalidPhoneNumber, UnknownCountry


def parse_iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a date: use YYYY-MM-DD, e.g. 2026-11-01") from None


@public_api("GET", "HEAD")
def resolve_market(request: HttpRequest) -> JsonResponse:
    phone, country = request.GET.get("phone"), request.GET.get("country")
    errors = []
    on = timezone.localdate()
    if request.GET.get("on"):
        try:
            on = parse_iso_date(request.GET["on"])
        except ValueError as exc:
            errors.append(("on", str(exc)))
    if (phone is None) == (country is None):
        errors.append(("phone", "give exactly one of phone (e.g. +18095550100) or country (e.g. DO)"))
    if errors:
        return api_errors(errors)
    market_map = catalog.market_map(on)
    try:
        found = market_map.resolve_phone(phone) if phone is not None else market_map.resolve_country(country)
    except InvalidPhoneNumber as exc:
        return api_errors([("phone", str(exc))])
    except UnknownCountry as exc:
        return api_errors([("country", str(exc))])
    body = {
        "on": on.isoformat(),
        "market": found.market,
        "country": found.country,
        "calling_code": found.calling_code,
        "prefix": found.prefix,
    }
    body = ({"phone": found.e164} if phone is not None else {"query_country": country}) | body
    return JsonResponse(body)
