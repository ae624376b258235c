"""Redis down: the calculator, the public API and sign-in keep answering, and recover by themselves
(issue 11, point 8). Before, every rate-limited request answered 500 while Redis was away.

The outage is real: the cache points at a loopback port where nothing listens, or at a small TCP relay
in front of the real Redis (TEST_REDIS_URL) that the test stops and starts.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from pricing_site import ratelimit
from quotes import testing

pytestmark = pytest.mark.django_db
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEN_MARKETS = {"on": "2026-11-01", "lines": [{"country": code, "marketing": 1000}
                                              for code in ("IN", "BR", "ID", "MX", "DE", "GB", "NG", "ZA", "AE", "US")]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Relay:
    """A TCP relay from a loopback port to Redis: `stop` is an outage (open connections cut), `start` the fix."""

    def __init__(self, port: int, target: tuple[str, int]):
        self.port, self.target = port, target
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
        except OSError:
            pass
        self.listener.close()
        for connection in self.connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
        self.connections = []

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def use_redis_at(settings, port: int, db: int = 0) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/{db}", "KEY_PREFIX": "pricing",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}


@pytest.fixture(autouse=True)
def fresh_counters():
    ratelimit._shared.down_until = 0.0
    ratelimit._local.clear()
    yield
    ratelimit._shared.down_until = 0.0
    ratelimit._local.clear()


@pytest.fixture
def redis_down(settings, client):
    use_redis_at(settings, free_port())  # nothing listens there
    client.raise_request_exception = False
    return client


def test_with_redis_down_the_calculator_api_and_sign_in_answer(redis_down):
    client = redis_down
    testing.user("sam", testing.SALES)
    assert client.get("/?lines-TOTAL_FORMS=1&lines-0-country=IN&lines-0-marketing=1000").status_code == 200
    estimate = client.post("/api/v1/estimate", TEN_MARKETS, content_type="application/json")
    assert estimate.status_code == 200 and len(estimate.json()["estimates"][0]["by_market"]) == 10
    assert client.get("/api/v1/markets/resolve?country=IN").status_code == 200
    signed_in = client.post("/accounts/login/", {"username": "sam", "password": "a-long-test-password"})
    assert signed_in.status_code == 302
    assert client.get("/quotes/").status_code == 200


def test_while_redis_is_down_the_limits_still_hold_in_each_process(redis_down, settings, monkeypatch):
    # One fixed instant in the middle of a window, so the five sign-ins share one minute's count.
    instant = (int(time.time() // 60) * 60) + 30
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: instant, monotonic=time.monotonic))
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": (3, 60)}
    statuses = [redis_down.post("/accounts/login/", {"username": "sam", "password": "wrong"}).status_code
                for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_healthz_says_degraded_but_keeps_the_server_in_rotation(redis_down):
    response = redis_down.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["database"] == "ok" and body["cache"].startswith("error: ")


@pytest.fixture
def relay_to_redis():
    import redis

    parts = urlsplit(REDIS_URL)
    target = (parts.hostname, parts.port or 6379)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {REDIS_URL}; CI must test the recovery path")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    relay = Relay(free_port(), target)
    real = redis.Redis.from_url(REDIS_URL)
    real.flushdb()
    yield relay, int(parts.path.strip("/") or 0), real
    real.flushdb()


def counted_in_redis(real) -> int:
    # Summed over windows: a run that crosses a minute boundary counts in two keys of one minute each.
    return sum(int(real.get(key)) for key in real.keys("pricing:*ratelimit:api:*"))


def test_counting_goes_back_to_redis_by_itself_when_it_is_back(client, settings, relay_to_redis, monkeypatch):
    relay, db, real = relay_to_redis
    monkeypatch.setattr(ratelimit, "CACHE_RETRY_SECONDS", 0.2)
    use_redis_at(settings, relay.port, db)
    client.raise_request_exception = False
    resolve = "/api/v1/markets/resolve?country=IN"

    # Redis not reachable: answered, counted in this process only.
    assert client.get(resolve).status_code == 200
    assert counted_in_redis(real) == 0

    relay.start()  # Redis is back
    time.sleep(0.3)  # past the retry pause
    assert [client.get(resolve).status_code for _ in range(3)] == [200, 200, 200]
    assert counted_in_redis(real) == 3  # shared again: the three requests since it came back

    relay.stop()  # and away again, connections cut mid-pool
    assert [client.get(resolve).status_code for _ in range(2)] == [200, 200]
    relay.start()
    time.sleep(0.3)
    assert client.get(resolve).status_code == 200
    assert counted_in_redis(real) == 4
    relay.stop()
