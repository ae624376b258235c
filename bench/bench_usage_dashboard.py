"""The usage dashboard for a month of 1,000,000 messages (issue #6: the page in under 300 ms).

    .venv/bin/python bench/bench_usage_dashboard.py [--messages 1000000] [--requests 20] [--database-url URL]

Fills a fresh database with one month of synthetic messages through the same writer the ingest uses
(states straight to `MessageWriter`, skipping the JSON parsing the ingest bench measures), then renders
the month page through Django's full request stack (middleware, session, templates) and prints the
median and 95th percentile. Also times the what-if replay, which the page loads separately.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_usage_ingest import ROOT, environment, fresh_database  # noqa: E402

BUDGET_MS = 300.0
NOV_1 = 1793491200
MONTH_SECONDS = 30 * 86400


def states(count: int, seed: int = 11):
    """Message states in time order: templates of each category, replies, user messages, a few failures."""
    from usage import synthetic

    rng = random.Random(seed)
    prefixes = [m for m in synthetic.MARKETS for _ in range(m[2])]
    users = []
    for _ in range(200_000):
        prefix, digits, _weight = rng.choice(prefixes)
        users.append(prefix + "".join(rng.choice("0123456789") for _ in range(digits)))
    kinds = (("marketing", "regular", 30), ("utility", "regular", 40), ("authentication", "regular", 14),
             ("service", "free_customer_service", 8), ("utility", "free_customer_service", 3),
             ("marketing", "free_entry_point", 2), ("", "inbound", 3))
    weighted = [k for k in kinds for _ in range(k[2])]
    step = MONTH_SECONDS / count
    for n in range(count):
        ts = NOV_1 + int(n * step)
        category, kind, _ = rng.choice(weighted)
        user = rng.choice(users)
        phone = "106540352242922" if n % 3 else "106540352242923"
        if kind == "inbound":
            yield [f"wamid.in{n}", True, user, phone, ts, ts * 8, "received", 0, "", None, "", "", "", False]
            continue
        last = "failed" if rng.random() < 0.01 else "read"
        key = ts * 8 + (4 if last == "failed" else 3)
        yield [f"wamid.b{n}", False, user, phone, ts, key, last, ts * 8 + 2, "PMP", kind == "regular", kind,
               category, "", False]


def fill(count: int) -> float:
    from django.db import transaction

    from usage.models import Workspace
    from usage.store import MessageWriter

    started = time.perf_counter()
    workspace = Workspace.objects.create(name="Big Business", slug="big")
    with transaction.atomic():
        writer = MessageWriter(workspace.pk)
        batch = []
        for state in states(count):
            batch.append(state)
            if len(batch) == 50_000:
                writer.write(batch)
                batch = []
        writer.write(batch)
        writer.finish()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    url = fresh_database(args.database_url, "bench_usage_dashboard")
    os.environ.update(environment(url))
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_SETTINGS_MODULE"] = "pricing_site.settings"
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    # Static file names as in development (no collectstatic manifest needed to render the page).
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    from django.contrib.auth.models import User
    from django.test import Client

    from usage.models import DailyUsage, Message

    seconds = fill(args.messages)
    print(f"{'PostgreSQL' if url.startswith('postgres') else 'SQLite'}: {Message.objects.count():,} messages "
          f"written and priced in {seconds:.0f} s; {DailyUsage.objects.count():,} daily rows")
    from usage.models import Workspace

    user = User.objects.create_user("bench", password="not-used")
    Workspace.objects.get(slug="big").members.add(user)
    client = Client()
    client.force_login(user)
    path = "/usage/big/2026-11/"
    times = []
    for _ in range(args.requests + 2):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    times = sorted(times[2:])  # the first two warm caches (templates, cards)
    median, p95 = statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]
    print(f"month page: median {median:.0f} ms, p95 {p95:.0f} ms over {len(times)} requests "
          f"({len(response.content) / 1024:.0f} KB)")
    started = time.perf_counter()
    response = client.get(path + "what-if/", HTTP_HX_REQUEST="true")
    print(f"what-if replay of the month (three regimes, computed once, then kept): "
          f"{time.perf_counter() - started:.1f} s")
    ok = median < BUDGET_MS
    print(f"budget {BUDGET_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
