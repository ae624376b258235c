"""What every public JSON endpoint shares: method check, rate limit, and JSON errors."""

from __future__ import annotations

import functools
from typing import Callable

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from pricing_site.ratelimit import client_key, hit, too_many


def api_errors(problems: list[tuple[str, str]], status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": [{"field": f, "message": m} for f, m in problems]}, status=status)


def public_api(*methods: str) -> Callable:
    """A public, stateless JSON endpoint: it reads no cookie, so there is nothing for CSRF to protect;
    a wrong method is a JSON 405 naming the right ones; requests are limited per client."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                response = api_errors([("method", f"use {' or '.join(methods)} (not {request.method})")], status=405)
                response["Allow"] = ", ".join(methods)
                return response
            retry_after = hit("api", client_key(request))
            if retry_after is not None:
                return too_many(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
