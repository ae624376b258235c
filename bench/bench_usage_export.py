"""The messages CSV of a month (issue 11, point 5: 821,553 messages must stream well inside the worker's 30 s).

    .venv/bin/python bench/bench_usage_export.py [--messages 821553] [--database-url URL]

Fills a fresh database with one month of synthetic, priced messages (the dashboard bench's writer), then
reads the whole `messages.csv` stream the view sends and prints lines per CPU second (time.process_time:
the machine is shared, so wall time says more about the neighbours than about the export), the wall
time, and the time for 821,553 lines at that rate. Target: >= 100,000 lines per CPU second.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_usage_dashboard import fill  # noqa: E402
from bench_usage_ingest import ROOT, environment, fresh_database  # noqa: E402

TARGET_LINES_PER_SECOND = 100_000
ISSUE_MONTH = 821_553  # the month whose download stopped at 458,580 lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=ISSUE_MONTH)
    parser.add_argument("--rounds", type=int, default=3, help="exports timed (the best one is reported)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    url = fresh_database(args.database_url, "bench_usage_export")
    os.environ.update(environment(url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "pricing_site.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from usage import exports
    from usage.models import Message, Workspace

    seconds = fill(args.messages)
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    workspace = Workspace.objects.get(slug="big")
    month = date(2026, 11, 1)
    messages = Message.objects.filter(workspace=workspace, month=month).count()
    print(f"{database}: {messages:,} messages in November 2026, written and priced in {seconds:.0f} s")
    best_cpu = best_wall = float("inf")
    for _ in range(args.rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        lines = size = chunks = 0
        for chunk in exports.message_rows(workspace, month):  # what StreamingHttpResponse sends
            lines += chunk.count("\n")
            size += len(chunk)
            chunks += 1
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
        assert lines == messages + 1, (lines, messages)  # the header and one line a message
    rate = messages / best_cpu
    print(f"messages.csv: {lines:,} lines, {size / 1e6:.0f} MB in {chunks:,} chunks; "
          f"CPU {best_cpu:.2f} s ({rate:,.0f} lines/s), wall {best_wall:.2f} s (best of {args.rounds})")
    print(f"821,553 lines at that rate: {ISSUE_MONTH / rate:.1f} s of CPU (worker timeout 30 s)")
    ok = rate >= TARGET_LINES_PER_SECOND
    print(f"target {TARGET_LINES_PER_SECOND:,} lines/s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
