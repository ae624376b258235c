"""Meta's webhook POSTs served before Django's request cycle: the same `usage.live.accept`, less work.

Under load a business's webhooks arrive by the thousand a second; Django's middleware and URL routing
cost more than checking and storing a payload. `webhook_fast_path` wraps the site's WSGI application
(pricing_site/wsgi.py): a POST to `/webhooks/meta/<workspace>` with no query string, on an allowed host
(and over HTTPS when the site redirects to it) is answered here by `usage.live.accept`, the very code the
view (`usage.live_views.meta_webhook`, which the tests drive) calls; everything else goes to Django. It
keeps what matters of the cycle: the request id (X-Request-ID, in logs and the answer), the database
connection closed after an error or past CONN_MAX_AGE (as request_finished does), and a lost database is
a 503 that says to retry (Meta does). It skips the health check (a `SELECT 1`) Django runs before each
request's first query: a third of a POST's time under load; the INSERT is the check (a broken connection
fails it, the POST is answered 503 and the connection closed, so the next one opens a new one).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError, connection
from django.http.request import split_domain_port, validate_host

from pricing_site.middleware import RETRY_AFTER_SECONDS, SANE_REQUEST_ID, request_id_var

from . import live

logger = logging.getLogger(__name__)

PATH = re.compile(r"^/webhooks/meta/([-a-zA-Z0-9_]+)$")  # the URL pattern's <slug:workspace>
TEXT = ("Content-Type", "text/plain; charset=utf-8")
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Content Too Large",
           503: "Service Unavailable"}

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def webhook_fast_path(django_app: WSGIApp) -> WSGIApp:
    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = PATH.match(environ.get("PATH_INFO", ""))
        if match is None or environ["REQUEST_METHOD"] != "POST" or not _served_here(environ):
            return django_app(environ, start_response)
        return _answer(environ, start_response, match[1])

    return application


def _served_here(environ: dict) -> bool:
    """What Django's middleware would refuse or redirect (another host, plain HTTP on an HTTPS site, a
    query string to check) goes to Django, which answers as it does everywhere."""
    if environ.get("QUERY_STRING"):
        return False
    host, _port = split_domain_port(environ.get("HTTP_HOST", ""))
    if not host or not validate_host(host, settings.ALLOWED_HOSTS):
        return False
    if settings.SECURE_SSL_REDIRECT:
        header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
        secure = environ.get("wsgi.url_scheme") == "https" or (
            header is not None and environ.get(header[0], "").split(",")[0].strip() == header[1])
        return secure
    return True


def _answer(environ: dict, start_response: Callable, slug: str) -> Iterable[bytes]:
    given = environ.get("HTTP_X_REQUEST_ID", "")
    request_id = given if SANE_REQUEST_ID.match(given) else uuid.uuid4().hex
    token = request_id_var.set(request_id)
    try:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            answer = live.Answer(400, "Content-Length is not a number. Nothing was stored.")
        else:
            answer = live.accept(slug, length, lambda: environ["wsgi.input"].read(length) if length > 0 else b"",
                                 environ.get("HTTP_X_HUB_SIGNATURE_256"))
    except DatabaseError:
        logger.exception("Webhook for workspace %s not stored: the database is unavailable", slug)
        answer = live.Answer(503, "The service is briefly unavailable; nothing was stored. Retry in a few seconds.")
    finally:
        _tidy_connection()
        request_id_var.reset(token)
    body = (answer.text + "\n").encode()
    headers = [TEXT, ("Content-Length", str(len(body))), ("X-Request-ID", request_id)]
    if answer.status == 503:
        headers.append(("Retry-After", str(RETRY_AFTER_SECONDS)))
    start_response(f"{answer.status} {REASONS[answer.status]}", headers)
    return [body]


def _tidy_connection() -> None:
    connection.close_if_unusable_or_obsolete()
    if connection.connection is not None:
        connection.health_check_done = True  # kept open and working: no SELECT 1 before the next POST
