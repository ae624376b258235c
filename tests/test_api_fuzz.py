"""Property-based fuzzing of the JSON API from its own OpenAPI description (schemathesis).

Valid and invalid requests alike: no answer is ever a 5xx, and every 4xx names what is wrong.
Bounded (FUZZ_EXAMPLES per operation and mode) so it runs in `make test`; raise it for a longer hunt.
"""

import os

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from calculator.openapi import openapi_document

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

schema = schemathesis.openapi.from_dict(openapi_document("http://testserver/"))
schema.app = get_wsgi_application()
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], deterministic=True,
                                max_examples=EXAMPLES)


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": (10**9, 60)}
    cache.clear()


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """The WSGI handler closes the database connection after each request; inside a test's transaction
    (PostgreSQL) that would end the transaction. Django's own test client unhooks the same signal."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_never_fails_and_every_refusal_names_the_problem(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path} {case.body!r} -> {response.text[:300]}"
    if 400 <= response.status_code < 500:
        errors = response.json()["errors"]
        assert errors and all(isinstance(e["field"], str) and e["message"] for e in errors), response.text
