"""Who is calling a JSON API view: an API key (``Authorization: Bearer <key>``) or the session.

A session must pass Django's CSRF check (the ``X-CSRFToken`` header), as a form would; a key needs no
CSRF token, since a browser never sends it on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware

from accounts.models import user_for_key


@dataclass(frozen=True)
class Caller:
    user: object | None  # None: nobody (or a bad key)
    problem: str = ""  # why nobody, for the 401
    csrf_failed: bool = False


def _csrf_problem(request: HttpRequest) -> str | None:
    check = CsrfViewMiddleware(lambda r: None)
    check.process_request(request)
    response = check.process_view(request, None, (), {})
    return None if response is None else "the CSRF check failed: send the csrftoken cookie's value as X-CSRFToken"


def bearer_key(request: HttpRequest) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, as sent (None without one)."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def key_user(request: HttpRequest):
    """The user behind the request's API key when the key is known and active, else None.

    Looked up once per request (rate limits and the view both ask), so `last_used_at` is written once.
    """
    if not hasattr(request, "_api_key_user"):
        key = bearer_key(request)
        request._api_key_user = user_for_key(key) if key else None
    return request._api_key_user


def api_caller(request: HttpRequest) -> Caller:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        if bearer_key(request) is None:
            return Caller(None, "send the API key as 'Authorization: Bearer <key>'")
        user = key_user(request)
        if user is None:
            return Caller(None, "the API key is unknown or revoked")
        return Caller(user)
    if request.user.is_authenticated:
        problem = _csrf_problem(request)
        if problem:
            return Caller(None, problem, csrf_failed=True)
        return Caller(request.user)
    return Caller(None, "sign in, or send an API key as 'Authorization: Bearer <key>'")
