"""Meta's `pricing_analytics`, pulled from the Graph API for a workspace that has a WABA id and a token.

One request per page: `GET {GRAPH_API_BASE_URL}/{GRAPH_API_VERSION}/{waba_id}?fields=pricing_analytics
.start(S).end(E).granularity(DAILY).dimensions([...])` with the token in the `Authorization` header (never
in the address, so it is never logged). Pages follow `paging.next` (only on the configured host: the
token is never sent elsewhere), else its `paging.cursors.after` on the `pricing_analytics` edge of the
configured host; a page without `paging.next` is the last. At most `MAX_PAGES` pages.

Meta's rate limits and passing failures are retried with exponential back-off (or the `Retry-After` it
asks for), at most `GRAPH_API_MAX_ATTEMPTS` tries a request: error codes 4, 17, 32, 613 and 80007 (rate
limits), 1 and 2 (temporary), HTTP 429 and 5xx, and a connection that fails or times out. Anything else
(an expired token: 190; a bad parameter: 100; no permission: 10, 200) stops at once with Meta's message.
Standard library only (urllib): one GET with a timeout needs nothing more, and a fake server on loopback
tests it over real HTTP.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

from django.conf import settings

RETRY_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007})  # Meta's rate limits and temporary errors
DIMENSIONS = ("PRICING_CATEGORY", "PRICING_TYPE", "COUNTRY", "PHONE", "TIER")
MAX_PAGES = 500
MAX_PAGE_BYTES = 16 * 1024 * 1024  # as a loaded analytics document (README, "Limits of one request")
MAX_BACKOFF = 60.0  # seconds: no single wait is longer


class GraphError(Exception):
    """The pull failed; the message says why (Meta's own words where it gave them), never the token."""


@dataclass
class Pull:
    """What a pull fetched: the pages' JSON bodies (raw bytes) and how it went."""

    pages: list[bytes] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    waited: float = 0.0


def first_url(waba_id: str, start: int, end: int) -> str:
    """The documented request: the WABA node with the `pricing_analytics` field expanded."""
    fields = (f"pricing_analytics.start({start}).end({end}).granularity(DAILY)"
              f".dimensions({json.dumps(list(DIMENSIONS), separators=(',', ':'))})")
    return f"{_base()}/{waba_id}?{urllib.parse.urlencode({'fields': fields})}"


def edge_url(waba_id: str, start: int, end: int, after: str) -> str:
    """A later page by its cursor, on the `pricing_analytics` edge (when Meta's `next` cannot be followed)."""
    query = {"start": start, "end": end, "granularity": "DAILY",
             "dimensions": json.dumps(list(DIMENSIONS), separators=(",", ":")), "after": after}
    return f"{_base()}/{waba_id}/pricing_analytics?{urllib.parse.urlencode(query)}"


def _base() -> str:
    return f"{settings.GRAPH_API_BASE_URL.rstrip('/')}/{settings.GRAPH_API_VERSION}"


def fetch_pricing_analytics(waba_id: str, token: str, start: int, end: int,
                            sleep: Callable[[float], None] = time.sleep) -> Pull:
    """Every page of the WABA's daily pricing analytics from ``start`` to ``end`` (Unix seconds)."""
    pull = Pull()
    url: str | None = first_url(waba_id, start, end)
    seen: set[str] = set()
    while url is not None:
        if len(pull.pages) >= MAX_PAGES:
            raise GraphError(f"more than {MAX_PAGES} pages of pricing analytics: ask for a shorter period")
        seen.add(url)
        raw = _get(url, token, pull, sleep)
        pull.pages.append(raw)
        url = next_url(raw, waba_id, start, end)
        if url in seen:
            raise GraphError("the Graph API's paging goes round in a circle; stopped")
    return pull


def next_url(raw: bytes, waba_id: str, start: int, end: int) -> str | None:
    """The next page: Meta's `paging.next` when it is on the configured host, else the same cursor
    (`paging.cursors.after`) asked of that host; None on the last page (no `next`)."""
    try:
        body = json.loads(raw)
    except ValueError:
        raise GraphError("the Graph API answered something that is not JSON") from None
    page = body.get("pricing_analytics", body) if isinstance(body, dict) else None
    paging = page.get("paging") if isinstance(page, dict) else None
    if not isinstance(paging, dict) or not isinstance(paging.get("next"), str) or not paging["next"]:
        return None
    if _same_origin(paging["next"], settings.GRAPH_API_BASE_URL):
        return paging["next"]
    cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
    after = cursors.get("after")
    if not isinstance(after, str) or not after or len(after) > 1000:
        raise GraphError("the Graph API's next page is on another host and has no cursor; not followed")
    return edge_url(waba_id, start, end, after)


def _same_origin(url: str, base: str) -> bool:
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _get(url: str, token: str, pull: Pull, sleep: Callable[[float], None]) -> bytes:
    """One page, retried while Meta says to wait; raises GraphError when it will not come."""
    attempts = max(int(settings.GRAPH_API_MAX_ATTEMPTS), 1)
    for attempt in range(1, attempts + 1):
        pull.requests += 1
        status, raw, retry_after = _request(url, token)
        if status == 200:
            return raw
        retry, message = _verdict(status, raw)
        if not retry or attempt == attempts:
            tried = f" (after {attempt} {'try' if attempt == 1 else 'tries'})" if retry else ""
            raise GraphError(f"{message}{tried}")
        wait = min(retry_after if retry_after is not None else
                   float(settings.GRAPH_API_BACKOFF_SECONDS) * 2 ** (attempt - 1), MAX_BACKOFF)
        pull.retries += 1
        pull.waited += wait
        sleep(wait)
    raise GraphError("no answer")  # not reached: the loop returns or raises


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error, not followed: urllib would send the Authorization header along to any host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _request(url: str, token: str) -> tuple[int, bytes, float | None]:
    """(HTTP status, body, Retry-After seconds); a failed connection is status 0, retried like a 5xx."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        with _OPENER.open(request, timeout=float(settings.GRAPH_API_TIMEOUT)) as response:
            return response.status, _read(response), None
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, _read(exc), _retry_after(exc.headers.get("Retry-After"))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return 0, json.dumps({"error": {"message": f"could not reach the Graph API: {reason}"}}).encode(), None


def _read(response) -> bytes:
    raw = response.read(MAX_PAGE_BYTES + 1)
    if len(raw) > MAX_PAGE_BYTES:
        raise GraphError(f"a page of the Graph API's answer is larger than {MAX_PAGE_BYTES // 1024 // 1024} MB")
    return raw


def _retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _verdict(status: int, raw: bytes) -> tuple[bool, str]:
    """(retry?, what went wrong) of an answer that is not 200, from Meta's error object."""
    error = {}
    try:
        body = json.loads(raw)
        error = body.get("error", {}) if isinstance(body, dict) else {}
    except ValueError:
        pass
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("message") or "")[:300] if isinstance(error, dict) else ""
    said = f"Graph API error {code}: {message}" if code is not None else (message or f"Graph API answered HTTP {status}")
    if status == 0:
        return True, message
    retry = code in RETRY_CODES or status == 429 or status >= 500
    return retry, said if status < 500 or code is not None else f"Graph API answered HTTP {status}"
