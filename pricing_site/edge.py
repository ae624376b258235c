"""Text no field can store, refused where it enters: NUL characters and lone UTF-16 surrogates.

PostgreSQL cannot store a NUL in text (psycopg raises before the query runs) and no UTF-8 encoder can
write a lone surrogate (what a JSON "\\ud800" decodes to), so either one reaching a query, a template or
a file ends in a 500 however the view validates. No real name, number or note contains them, so they are
refused outright at the edge with a 400 naming the field:

- `EdgeTextMiddleware`: the address (path), every query-string parameter and every form field, for every
  page and the API;
- `first_unstorable`: JSON bodies (`calculator.api_input.parse_json_body`) and files (usage ingest,
  rate card import) walk their decoded values with it.

Lengths are checked where each value is read, against the model column's max_length.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_WALK = 1_000_000  # values looked at in one JSON document before giving up (bodies are size-capped anyway)


def unstorable(text: str) -> str | None:
    """Why this text cannot be stored, or None when it can."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000), which no field accepts"
    return f"contains a lone surrogate (\\u{ord(found.group()):04x}), which is not a character"


def first_unstorable(value: Any, name: str = "") -> tuple[str, str] | None:
    """(field path, why) for the first unstorable key or string in a decoded JSON value, else None.

    Iterative, so a deeply nested document cannot exhaust the stack; paths are written like the API's
    error fields (`lines[0].country`).
    """
    pending: list[tuple[str, Any]] = [(name, value)]
    looked = 0
    while pending and looked < MAX_WALK:
        path, item = pending.pop()
        looked += 1
        if isinstance(item, str):
            reason = unstorable(item)
            if reason:
                return path or "body", reason
        elif isinstance(item, dict):
            for key, inner in item.items():
                child = f"{path}.{key}" if path else str(key)
                reason = unstorable(key) if isinstance(key, str) else None
                if reason:
                    return (path or "body"), f"a field name {reason}"
                pending.append((child, inner))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", inner) for index, inner in enumerate(item))
    return None


def refused(request: HttpRequest, field: str, reason: str) -> HttpResponse:
    """The 400: JSON errors on the API (field and message), plain text on pages."""
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": [{"field": field, "message": reason}]}, status=400)
    where = field if field.startswith(("the ", "a ")) else f"the field {field!r}"
    return HttpResponse(f"Bad request: {where} {reason}.\n", status=400, content_type="text/plain; charset=utf-8")


class EdgeTextMiddleware:
    """400 for a NUL or lone surrogate in the address, the query string or a form field.

    The path and query string are checked before anything else runs. Form fields are checked in
    `process_view` (after CsrfViewMiddleware): for CSRF-protected views Django parses the form there in
    any case, so parsing it here adds no work and leaves upload handlers alone; for CSRF-exempt views (the
    JSON API, whose bodies `first_unstorable` checks) a form already parsed is checked, none is parsed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = unstorable(request.path_info)
        if reason:
            return refused(request, "the address", reason)
        problem = _first_in_querydict(request.GET)
        if problem:
            return refused(request, *problem)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return None
        if getattr(view, "csrf_exempt", False) and not hasattr(request, "_post"):
            return None
        try:
            form = request.POST
        except Exception:  # a malformed body: Django's own handling (a 400) follows in the view
            return None
        problem = _first_in_querydict(form)
        if problem is None:
            for name, upload in request.FILES.items():
                reason = unstorable(name) or unstorable(upload.name or "")
                if reason:
                    return refused(request, f"the file field {name!r}", reason)
        return refused(request, *problem) if problem else None


def _first_in_querydict(data) -> tuple[str, str] | None:
    for key, values in data.lists():
        reason = unstorable(key)
        if reason:
            return "a parameter name", reason
        for value in values:
            reason = unstorable(value)
            if reason:
                return key, reason
    return None
