"""Health checks, request ids, rate limits and the friendly 503."""

import json

import pytest
from django.core.cache import cache
from django.db import OperationalError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_every_response_carries_a_request_id(client):
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123-def"})["X-Request-ID"] == "abc-123-def"
    assert client.get("/healthz", headers={"X-Request-ID": "<script>"})["X-Request-ID"] != "<script>"


@pytest.fixture
def database_away(monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)


def test_healthz_is_503_while_the_database_is_away(client, database_away):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"


def test_a_page_is_a_friendly_503_while_the_database_is_away(client, django_user_model, monkeypatch):
    client.force_login(django_user_model.objects.create_user("staff", is_staff=True))
    from django.db.backends.utils import CursorWrapper

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    client.raise_request_exception = False
    response = client.get("/admin/ratecards/ratecard/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Back in a moment" in page and "Traceback" not in page


def test_the_api_is_a_json_503_while_the_database_is_away(client, database_away):
    client.raise_request_exception = False
    response = client.post("/api/v1/estimate", data=json.dumps({"lines": [{"country": "IN", "utility": 1}]}),
                           content_type="application/json")
    assert response.status_code == 503
    assert "retry" in response.json()["errors"][0]["message"]


def test_the_api_answers_429_with_retry_after_past_its_limit(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": (3, 60)}
    statuses = [client.get("/api/v1/markets/resolve", {"country": "IN"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/markets/resolve", {"country": "IN"})
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert "retry in" in refused.json()["errors"][0]["message"]


def test_limits_are_per_client(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": (1, 60)}
    assert client.get("/api/v1/markets/resolve", {"country": "IN"}, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert client.get("/api/v1/markets/resolve", {"country": "IN"}, REMOTE_ADDR="10.0.0.2").status_code == 200
    assert client.get("/api/v1/markets/resolve", {"country": "IN"}, REMOTE_ADDR="10.0.0.1").status_code == 429


def test_login_attempts_are_throttled(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (2, 60)}
    codes = [client.post("/admin/login/", {"username": "x", "password": "y"}).status_code for _ in range(3)]
    assert codes[:2] == [200, 200]
    assert codes[2] == 429


def test_security_headers_on_every_page(client):
    response = client.get("/api/v1/docs")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
