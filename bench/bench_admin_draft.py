"""A draft card's admin page (issue 15: it took 8 s and 2.7 MB of HTML with ~800 inline forms): time to
render and HTML size, in-process through Django's test client, for a full USD draft (47 markets, 672 tiers).

    .venv/bin/python bench/bench_admin_draft.py [--requests 20] [--database-url URL]

Without --database-url a fresh SQLite file is migrated (the shipped cards loaded). The draft and the user
are made inside a transaction that is rolled back. Prints the figures; exits non-zero over budget.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME_BUDGET_MS = 1000.0  # p95: "well under a second"
SIZE_BUDGET = 600 * 1024


class Rollback(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-admin-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pricing_site.settings")
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client

    from ratecards.models import RateCard

    call_command("migrate", verbosity=0)
    figures = {}
    try:
        with transaction.atomic():
            card = RateCard.objects.get(currency="USD", effective_from="2026-10-01", status="published")
            draft = card.new_draft()
            user = User.objects.create_superuser("bench-admin", password="bench-only-password-1")
            client = Client()
            client.force_login(user)
            url = f"/admin/ratecards/ratecard/{draft.pk}/change/"
            client.get(url)  # warm: templates, caches
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
            html = response.content
            figures = {
                "median_ms": statistics.median(times),
                "p95_ms": sorted(times)[max(0, int(len(times) * 0.95) - 1)],
                "bytes": len(html),
                "form_fields": len(re.findall(rb"<(?:input|select|textarea)\b", html)),
                "rates": draft.rates.count(),
                "tiers": draft.tiers.count(),
            }
            raise Rollback
    except Rollback:
        pass
    print(f"draft card page: {figures['rates']} rates, {figures['tiers']} tiers")
    print(f"  render: median {figures['median_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms "
          f"(budget p95 {TIME_BUDGET_MS:.0f} ms) over {args.requests} requests")
    print(f"  HTML: {figures['bytes'] / 1024:.0f} KB (budget {SIZE_BUDGET // 1024} KB), "
          f"{figures['form_fields']} form fields")
    ok = figures["p95_ms"] <= TIME_BUDGET_MS and figures["bytes"] <= SIZE_BUDGET
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
