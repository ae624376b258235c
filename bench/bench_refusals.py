"""How long a request over one of the per-request bounds takes to be refused (issue 11): each must be a 400
well under 2 s, refused before the expensive work. The tests (tests/test_limits_requests.py) check that each
is refused and in which words; the wall clock is measured here, where the machine is not shared with a test
suite.

    .venv/bin/python bench/bench_refusals.py [--runs 3] [--database-url URL]

Runs Django's test client in this process on a freshly migrated database (a scratch SQLite file unless
given), production settings; prints the slowest of `--runs` tries of each request and exits non-zero when
one is over the budget or not refused.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import ROOT, prepare, site_environment  # noqa: E402

BUDGET_SECONDS = 2.0


def cases(client, key: str, user) -> list[tuple[str, object]]:
    """(what, a call answering the refused response); the same requests as the tests."""
    event = {"at": "2026-11-02T03:00:00Z", "user": "+919800000001", "kind": "template", "category": "utility"}
    replay = json.dumps({"events": [event] * 10_001, "cards_on": ["2026-11-01"] * 10})  # 100,010 event-cards
    numbers = "\n".join(f"+91 98{i:08d}" for i in range(10_002))
    quote = ('{"customer": "Acme Ltd", "on": "2026-11-01", "currency": "USD", '
             '"lines": [{"country": "IN", "utility": 1E-999999999}]}')
    query = "on=2026-11-01&currency=USD&lines-0-country=IN&lines-0-utility=1E-999999999"

    def signed_in(call):
        def run():
            client.force_login(user)
            try:
                return call()
            finally:
                client.logout()
        return run

    return [
        ("replay of 10,001 events x 10 dates", lambda: client.post("/api/v1/replay", replay,
                                                                   content_type="application/json")),
        ("calculator asking for 1,000 lines", lambda: client.get("/?lines-TOTAL_FORMS=1000&lines-0-country=IN")),
        ("calculator fragment asking for 1,000 lines", lambda: client.get(
            "/?lines-TOTAL_FORMS=1000&lines-0-country=IN", headers={"HX-Request": "true"})),
        ("paste of 10,002 numbers", lambda: client.post("/paste-numbers/", {
            "numbers": numbers, "category": "marketing", "per_recipient": "1"})),
        ("API quote with a count of 1E-999999999", lambda: client.post(
            "/api/v1/quotes", quote, content_type="application/json", headers={"Authorization": f"Bearer {key}"})),
        ("quote form with a count of 1E-999999999", signed_in(lambda: client.post(
            "/quotes/new/", {"customer": "Acme Ltd", "on": "2026-11-01", "query": query}))),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        env = site_environment(args.database_url or f"sqlite:///{scratch}/bench.sqlite3",
                               {"DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1", "DJANGO_LOG_LEVEL": "ERROR"})
        prepare(env)
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pricing_site.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.test import Client

        from accounts.models import APIKey
        from quotes import testing

        user = testing.user(f"bench-{os.getpid()}", testing.SALES)
        key = APIKey.create_for(user, "bench")[1]
        client = Client()
        client.get("/")  # templates compiled and cards loaded: the timings are of the refusal alone
        failures = []
        print(f"Refused requests, the slowest of {args.runs} tries each (budget {BUDGET_SECONDS:.0f} s):")
        for what, call in cases(client, key, user):
            slowest, status = 0.0, None
            for _ in range(args.runs):
                started = time.perf_counter()
                status = call().status_code
                slowest = max(slowest, time.perf_counter() - started)
            ok = status == 400 and slowest < BUDGET_SECONDS
            print(f"  {slowest * 1000:8.1f} ms  {status}  {what}{'' if ok else '  <-- over budget or not refused'}")
            if not ok:
                failures.append(what)
        user.delete()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
