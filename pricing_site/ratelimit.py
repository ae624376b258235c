"""Rate limits shared by every worker through Django's cache (Redis in production).

A fixed window per client and scope: the first request of a window creates the counter with the
window as its expiry, the others increment it. Over the limit, the answer is a 429 that says when to
retry. Limits are settings (RATE_LIMITS) so operators can tune them without code.
"""

from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.auth import bearer_key, key_user


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: int


def limit_for(scope: str) -> Limit:
    requests, seconds = settings.RATE_LIMITS[scope]
    return Limit(requests, seconds)


def client_key(request: HttpRequest) -> str:
    """Who is asking: a verified API key or signed-in user where there is one, else the address.

    Only a key that is known and active counts on its own: any other ``Authorization`` header is
    ignored here, so sending ``Bearer <anything>`` cannot start a fresh count (issue 11).
    REMOTE_ADDR is the proxy's address behind a load balancer; settings.RATE_LIMIT_CLIENT_HEADER names
    the header (e.g. HTTP_X_FORWARDED_FOR) whose first address the trusted proxy sets.
    """
    if key_user(request) is not None:
        return "key:" + hashlib.sha256(bearer_key(request).encode()).hexdigest()[:32]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    header = getattr(settings, "RATE_LIMIT_CLIENT_HEADER", "")
    address = request.META.get(header, "").split(",")[0].strip() if header else ""
    return "ip:" + (address or request.META.get("REMOTE_ADDR", "unknown"))


def hit(scope: str, key: str, now: float | None = None) -> int | None:
    """Count one request; returns None when allowed, else the seconds until the window ends."""
    limit = limit_for(scope)
    now = time.time() if now is None else now
    window = int(now // limit.seconds)
    name = f"ratelimit:{scope}:{key}:{window}"
    if cache.add(name, 1, timeout=limit.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr: this request starts the window
            cache.add(name, 1, timeout=limit.seconds + 1)
            count = 1
    if count <= limit.requests:
        return None
    return max(1, int((window + 1) * limit.seconds - now) + 1)


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = f"Too many requests: retry in {retry_after} second{'s' if retry_after != 1 else ''}."
    if request.path.startswith("/api/"):
        response = JsonResponse({"errors": [{"field": "", "message": message}]}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(scope: str) -> Callable:
    """Decorate a view: at most RATE_LIMITS[scope] requests per client and window."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            retry_after = hit(scope, client_key(request))
            if retry_after is not None:
                return too_many(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
