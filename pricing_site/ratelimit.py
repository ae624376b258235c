"""Rate limits shared by every worker through Django's cache (Redis in production).

A fixed window per client and scope: the first request of a window creates the counter with the
window as its expiry, the others increment it. Over the limit, the answer is a 429 that says when to
retry. Limits are settings (RATE_LIMITS) so operators can tune them without code.

When the shared cache does not answer (Redis down or unreachable), requests are not refused and not
answered 500: each process counts on its own (the limits then hold per worker, not per site) and tries
the cache again after CACHE_RETRY_SECONDS, so counting goes back to shared by itself once Redis is back.
An outage and the recovery are logged once each.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.auth import bearer_key, key_user

try:
    from redis.exceptions import RedisError
except ImportError:  # redis is only needed with REDIS_URL
    RedisError = OSError

log = logging.getLogger(__name__)
CACHE_ERRORS = (RedisError, OSError)
CACHE_RETRY_SECONDS = 5.0  # after a failure, how long this process counts alone before trying the cache again
MAX_LOCAL_COUNTERS = 100_000  # per process: a flood of distinct clients cannot grow it without bound


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
    count = _shared.count(name, limit.seconds) if _shared.usable() else None
    if count is None:
        count = _local.count(name, expires=(window + 1) * limit.seconds)
    if count <= limit.requests:
        return None
    return max(1, int((window + 1) * limit.seconds - now) + 1)


class _SharedCounts:
    """Counters in Django's cache; remembers an outage so a dead Redis is not asked on every request."""

    def __init__(self):
        self.down_until = 0.0

    def usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def count(self, name: str, seconds: int) -> int | None:
        """This window's count after this request, or None when the cache does not answer."""
        try:
            if cache.add(name, 1, timeout=seconds + 1):
                count = 1
            else:
                try:
                    count = cache.incr(name)
                except ValueError:  # expired between add and incr: this request starts the window
                    cache.add(name, 1, timeout=seconds + 1)
                    count = 1
        except CACHE_ERRORS as exc:
            if not self.down_until:
                log.warning("rate limits: the shared cache does not answer (%s: %s); counting per process, "
                            "retrying every %.0f s", exc.__class__.__name__, exc, CACHE_RETRY_SECONDS)
            self.down_until = time.monotonic() + CACHE_RETRY_SECONDS
            return None
        if self.down_until:
            log.warning("rate limits: the shared cache answers again; counting through it")
            self.down_until = 0.0
            _local.clear()
        return count


class _LocalCounts:
    """This process's own counters, used only while the shared cache is down."""

    def __init__(self):
        self.counters: dict[str, list] = {}  # name -> [count, expires at (Unix seconds)]
        self.lock = threading.Lock()

    def count(self, name: str, expires: float) -> int:
        with self.lock:
            found = self.counters.get(name)
            if found is None:
                if len(self.counters) >= MAX_LOCAL_COUNTERS:
                    self._forget_expired()
                found = self.counters[name] = [0, expires]
            found[0] += 1
            return found[0]

    def _forget_expired(self) -> None:
        now = time.time()
        self.counters = {name: value for name, value in self.counters.items() if value[1] > now}
        if len(self.counters) >= MAX_LOCAL_COUNTERS:  # all live: start over rather than grow
            self.counters = {}

    def clear(self) -> None:
        with self.lock:
            self.counters = {}


_shared = _SharedCounts()
_local = _LocalCounts()


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
