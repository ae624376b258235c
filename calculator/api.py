"""The JSON API v1 (docs/api.md): estimate and replay over the same engine as the calculator.

Each view parses and validates the whole body first (every offending field is named in one 400),
then loads the cards at one catalogue version and runs the engine.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from calculator import api_input, api_output, calls_api
from calculator.calls_pricing import price_calls
from ratecards.snapshots import Catalog
from calculator.openapi import openapi_document
from calculator.pricing import default_comparison, price_on_dates, priced_dates, replay_events
from pricing_site.api import api_errors, public_api


def read_body(request: HttpRequest) -> dict | JsonResponse:
    try:
        return api_input.parse_json_body(request.content_type or "", request.body)
    except api_input.BadBody as exc:
        return api_errors([(exc.field, str(exc))])
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return api_errors([("body", f"the body is larger than {limit} MB")], status=413)


def _answered(request: HttpRequest, answer: Callable[[dict], tuple[dict | None, list]]) -> JsonResponse:
    """The body read and answered by `answer`: its 200 body, or the 400 (413) naming every problem."""
    body = read_body(request)
    if isinstance(body, JsonResponse):
        return body
    found, problems = answer(body)
    return api_errors(problems) if problems else JsonResponse(found)


@public_api("POST")
def estimate(request: HttpRequest) -> JsonResponse:
    return _answered(request, estimate_answer)


def estimate_answer(body: dict) -> tuple[dict | None, list]:
    """An estimate body (docs/api.md) answered: the API's 200 body, or every problem (field, message)."""
    catalog = Catalog()
    parsed, problems = api_input.read_estimate(body, catalog.currencies(), timezone.localdate())
    calls = calls_api.read_calls(body, problems)
    if problems:
        return None, problems
    dates = priced_dates(parsed.on, parsed.compare_on,
                         lambda: default_comparison(catalog, parsed.currency, parsed.on))
    results, problems = price_on_dates(catalog, parsed.request, parsed.currency, dates)
    if problems:
        return None, problems
    answer = api_output.estimates_json(parsed.currency, results)
    if "calls" in body:
        problems = add_calls(catalog, answer, results, calls, parsed)
        if problems:
            return None, problems
    return answer, []


def add_calls(catalog: Catalog, answer: dict, results: list, calls: list, parsed) -> list:
    """Each estimate's calls, priced with the calling card in force on its date."""
    for index, result in enumerate(results):
        priced, problems = price_calls(catalog, calls, parsed.currency, result.on, parsed.request.business_country)
        if problems:
            return problems
        answer["estimates"][index] = calls_api.with_calls(answer["estimates"][index], result, priced)
    return []


@public_api("POST")
def replay(request: HttpRequest) -> JsonResponse:
    return _answered(request, replay_answer)


def replay_answer(body: dict) -> tuple[dict | None, list]:
    """A replay body (docs/api.md) answered: the API's 200 body, or every problem (field, message)."""
    catalog = Catalog()
    parsed, problems = api_input.read_replay(body, catalog.currencies())
    if problems:
        return None, problems
    results, problems = replay_events(catalog, parsed)
    if problems:
        return None, problems
    return {"currency": parsed.currency, "timezone": parsed.timezone,
            "results": [api_output.replay_json(r) for r in results]}, []


@public_api("GET", "HEAD")
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document(request.build_absolute_uri("/")), json_dumps_params={"indent": 2})


@require_GET
def docs(request: HttpRequest):
    return render(request, "calculator/api_docs.html", {"document": openapi_document(request.build_absolute_uri("/"))})
