"""Meta's webhook POSTs answered before Django's request cycle (usage/live_wsgi.py), through the site's
real WSGI application: the same answers as the view, the same storing, and anything unusual left to Django."""

from __future__ import annotations

import io
from unittest.mock import patch

import pytest
from django.core import signals
from django.db import OperationalError, close_old_connections

from pricing_site.wsgi import application
from tests.live_helpers import live_workspace, sample_payloads, signature
from usage.live_models import WebhookPayload


@pytest.fixture
def acme(db):
    return live_workspace()


def call(body: bytes, path: str = "/webhooks/meta/acme", host: str = "testserver", query: str = "",
         **headers: str) -> tuple[int, dict, bytes]:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
               "HTTP_HOST": host, "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
               "wsgi.errors": io.StringIO(), "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": str(len(body)), **headers}
    answer = {}

    def start_response(status: str, response_headers: list, exc_info=None) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

    # As Django's test client does: the test's transaction keeps its connection across the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with patch("usage.live_wsgi._tidy_connection"):
            chunks = application(environ, start_response)
            content = b"".join(chunks)
            getattr(chunks, "close", lambda: None)()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], content


def test_a_signed_payload_is_stored_and_answered_200_with_the_request_id(acme):
    body = sample_payloads()[0]
    status, headers, content = call(body, HTTP_X_HUB_SIGNATURE_256=signature(body), HTTP_X_REQUEST_ID="meta-0001")
    assert (status, content) == (200, b"OK\n")
    assert headers["X-Request-ID"] == "meta-0001" and headers["Content-Type"].startswith("text/plain")
    assert bytes(WebhookPayload.objects.get(workspace=acme).body) == body


@pytest.mark.parametrize("body, sign, status, words", [
    (sample_payloads()[0], False, 401, b"X-Hub-Signature-256 is missing"),
    (b'{"hello": "world"}', True, 400, b'no "object" and "entry"'),
    (b'{"object": "whatsapp_business_account", "entry": [], "x": "' + b"x" * (1024 * 1024) + b'"}', True, 413,
     b"larger than 1024 KB"),
])
def test_what_is_refused_is_refused_as_by_the_view_and_nothing_is_stored(acme, body, sign, status, words):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature(body)} if sign else {}
    answer, _, content = call(body, **headers)
    assert answer == status and words in content and b"Nothing was stored" in content
    assert not WebhookPayload.objects.exists()


def test_a_wrong_secret_is_401(acme):
    body = sample_payloads()[0]
    assert call(body, HTTP_X_HUB_SIGNATURE_256=signature(body, "another-secret"))[0] == 401
    assert not WebhookPayload.objects.exists()


def test_an_unknown_workspace_is_404(db):
    body = sample_payloads()[0]
    assert call(body, path="/webhooks/meta/nope", HTTP_X_HUB_SIGNATURE_256=signature(body))[0] == 404


def test_a_new_secret_applies_at_once_in_this_process(acme):
    body = sample_payloads()[0]
    assert call(body, HTTP_X_HUB_SIGNATURE_256=signature(body))[0] == 200
    acme.set_app_secret("a-new-secret")
    acme.save()
    assert call(body, HTTP_X_HUB_SIGNATURE_256=signature(body))[0] == 401
    assert call(body, HTTP_X_HUB_SIGNATURE_256=signature(body, "a-new-secret"))[0] == 200


def test_another_host_or_a_query_string_is_left_to_django(acme):
    body = sample_payloads()[0]
    status, _, content = call(body, host="evil.example", HTTP_X_HUB_SIGNATURE_256=signature(body))
    assert status == 400  # Django's DisallowedHost
    status, _, content = call(body, query="a=%00", HTTP_X_HUB_SIGNATURE_256=signature(body))
    assert status == 400 and b"Bad request" in content  # the edge check (pricing_site/edge.py)
    assert not WebhookPayload.objects.exists()


def test_plain_http_on_an_https_site_is_left_to_django(acme, settings):
    """Django redirects it (SecurityMiddleware, built when the site starts with DJANGO_HTTPS on): here the
    middleware was built before the setting changed, so the sign is Django's own headers on the answer."""
    settings.SECURE_SSL_REDIRECT = True
    body = sample_payloads()[0]
    _, headers, _ = call(body, HTTP_X_HUB_SIGNATURE_256=signature(body))
    assert "X-Frame-Options" in headers  # Django's cycle answered
    _, headers, _ = call(body, HTTP_X_HUB_SIGNATURE_256=signature(body), **{"wsgi.url_scheme": "https"})
    assert "X-Frame-Options" not in headers  # the fast path answered


def test_a_lost_database_is_a_503_that_says_to_retry(acme):
    body = sample_payloads()[0]
    with patch("usage.live.receive", side_effect=OperationalError("server closed the connection unexpectedly")):
        status, headers, content = call(body, HTTP_X_HUB_SIGNATURE_256=signature(body))
    assert status == 503 and headers["Retry-After"] == "5" and b"Retry" in content
    assert not WebhookPayload.objects.exists()
