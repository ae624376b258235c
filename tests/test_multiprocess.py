"""Two gunicorn workers share rate limits and cache through Redis (the multi-process deployment path)."""

import concurrent.futures
import http.client
import importlib.util
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def load_serve():
    spec = importlib.util.spec_from_file_location("bench_serve", ROOT / "bench" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def redis_answers() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def two_workers_on_redis():
    if not redis_answers():
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {REDIS_URL}; CI must test the multi-process path")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    serve = load_serve()
    extra = {"REDIS_URL": REDIS_URL, "RATE_LIMIT_API_PER_MINUTE": "20"}
    with serve.gunicorn(workers=2, extra_env=extra) as base:
        yield base
    redis.Redis.from_url(REDIS_URL).flushdb()


def get(base: str, path: str) -> tuple[int, str]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_the_rate_limit_is_shared_by_both_workers(two_workers_on_redis):
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: get(two_workers_on_redis, "/api/v1/markets/resolve?country=IN")[0],
                                 range(36)))
    # One shared counter: exactly 20 pass whichever worker answered; per-process counters would let
    # up to 40 through.
    assert statuses.count(200) == 20
    assert statuses.count(429) == 16


def test_healthz_reports_the_shared_cache(two_workers_on_redis):
    status, body = get(two_workers_on_redis, "/healthz")
    assert status == 200
    assert '"cache": "ok"' in body
