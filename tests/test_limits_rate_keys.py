"""Issue 11, point 1: an `Authorization: Bearer` header skips no rate limit.

Only a key that is known and active is counted on its own; any other token counts as the address it
comes from. Each test first uses up the address's allowance, then tries again with the right password
(or a valid request) and `Bearer abc`: it must still be refused.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import APIKey
from quotes import testing

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"  # quotes.testing.user's password


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _use_up(settings, scope: str, request) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (2, 60)}
    assert [request().status_code for _ in range(2)] != [429, 429]
    assert request().status_code == 429  # the address is now blocked


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_sign_in_with_any_bearer_token_is_still_refused_once_the_address_is_blocked(client, settings, path):
    user = testing.user("sam", testing.SALES)
    user.is_staff = True
    user.save()
    _use_up(settings, "login", lambda: client.post(path, {"username": "sam", "password": "wrong"}))
    response = client.post(path, {"username": "sam", "password": PASSWORD}, headers={"Authorization": "Bearer abc"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # another made-up token each time changes nothing either
    response = client.post(path, {"username": "sam", "password": PASSWORD}, headers={"Authorization": "Bearer xyz"})
    assert response.status_code == 429


def test_the_public_api_with_a_made_up_token_counts_as_its_address(client, settings):
    ask = lambda **kw: client.get("/api/v1/markets/resolve", {"country": "IN"}, **kw)  # noqa: E731
    _use_up(settings, "api", ask)
    assert ask(headers={"Authorization": "Bearer abc"}).status_code == 429
    assert ask(headers={"Authorization": "Bearer wbp_not-a-real-key"}).status_code == 429


def test_the_calculator_with_a_made_up_token_counts_as_its_address(client, settings):
    ask = lambda **kw: client.get("/", {"lines-0-country": "IN", "lines-0-utility": "10"}, **kw)  # noqa: E731
    _use_up(settings, "calculator", ask)
    assert ask(headers={"Authorization": "Bearer abc"}).status_code == 429


def test_a_verified_key_has_its_own_count_and_a_revoked_one_does_not(client, settings):
    ask = lambda **kw: client.get("/api/v1/markets/resolve", {"country": "IN"}, **kw)  # noqa: E731
    _use_up(settings, "api", ask)
    api_key, key = APIKey.create_for(testing.user("sam", testing.SALES), "script")
    assert ask(headers={"Authorization": f"Bearer {key}"}).status_code == 200
    api_key.revoke()
    assert ask(headers={"Authorization": f"Bearer {key}"}).status_code == 429
