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
    answer, problems = resolve_answer(request.GET.get("phone"), request.GET.get("country"), request.GET.get("on"))
    return api_errors(problems) if problems else JsonResponse(answer)


def resolve_answer(phone: object, country: object, on_text: object) -> tuple[dict | None, list]:
    """Which market a phone number (or a country) is billed as on a date: the API's body, or the problems."""
    errors = []
    on = timezone.localdate()
    if on_text is not None and not isinstance(on_text, str):
        errors.append(("on", "must be a date as text, YYYY-MM-DD, e.g. 2026-11-01"))
    elif on_text:
        try:
            on = parse_iso_date(on_text)
        except ValueError as exc:
            errors.append(("on", str(exc)))
    for name, value in (("phone", phone), ("country", country)):
        if value is not None and not isinstance(value, str):
            errors.append((name, "must be text, e.g. +18095550100 or DO"))
    if (phone is None) == (country is None):
        errors.append(("phone", "give exactly one of phone (e.g. +18095550100) or country (e.g. DO)"))
    if errors:
        return None, errors
    market_map = catalog.market_map(on)
    try:
        found = market_map.resolve_phone(phone) if phone is not None else market_map.resolve_country(country)
    except InvalidPhoneNumber as exc:
        return None, [("phone", str(exc))]
    except UnknownCountry as exc:
        return None, [("country", str(exc))]
    body = {
        "on": on.isoformat(),
        "market": found.market,
        "country": found.country,
        "calling_code": found.calling_code,
        "prefix": found.prefix,
    }
    return ({"phone": found.e164} if phone is not None else {"query_country": country}) | body, []
