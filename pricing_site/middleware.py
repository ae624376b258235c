"""Request ids for logs, and the answer given while the database is away.

Every request gets an id (the proxy's X-Request-ID when it sends a sane one, else a new one); it is
returned in the X-Request-ID header and added to every log record made while the request runs, so
one line in a user's report finds all the lines of that request.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from typing import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from calculator.engine.limits import OverBudget

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
RETRY_AFTER_SECONDS = 5


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def request_id_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if SANE_REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response

    return middleware


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """A 503 the user can understand, never a traceback; the error itself is logged by Django."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"errors": [{"field": "", "message": "The service is briefly unavailable; retry in a few seconds."}]},
            status=503,
        )
    else:
        response = HttpResponse(render_to_string("503.html", request=None), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class OverBudgetMiddleware:
    """A request over one of the bounds of `calculator.engine.limits` is a 400 naming the bound.

    Forms, the API and the upload raise `OverBudget` where they find it; the answer is the same
    everywhere: JSON errors under /api/, a plain-text page elsewhere. Nothing has been written: the
    bound is checked before any work (a load in progress is one transaction, rolled back).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OverBudget):
            return None
        return over_budget(request, str(exception))


def over_budget(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": [{"field": "", "message": message}]}, status=400)
    return HttpResponse(f"This request asks for too much: {message}.\n", status=400,
                        content_type="text/plain; charset=utf-8")
