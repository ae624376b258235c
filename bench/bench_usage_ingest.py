"""Ingest speed of the usage dashboard (issue #6): webhook lines loaded by `manage.py ingest_webhooks` into
a fresh database, storage and pricing included, timed from the command's start to its end.

    .venv/bin/python bench/bench_usage_ingest.py [--lines 1000000] [--database-url URL] [--again]

The what-if replays the command runs after loading are left out (`--no-what-if`): they are not storage,
and bench_usage_dashboard.py times them. The file comes from `usage.synthetic` (a month of realistic traffic: templates with sent, delivered and
read statuses, user messages and replies, ads, failures, webhook retries). `--again` loads it a second
time to time the idempotent path. Prints lines per second, the command's CPU time and its peak memory;
exits non-zero when it stays under 50,000 lines a second.
"""

from __future__ import annotations

import argparse
import atexit
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_LINES_PER_SECOND = 50_000
PYTHON = sys.executable


def environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    env.setdefault("DJANGO_PASSWORD_RESET_MAIL", "0")  # production settings need a mail decision
    env["DJANGO_DEBUG"] = "0"
    env["DJANGO_HTTPS"] = "0"
    env["DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(ROOT)
    return env


def fresh_database(database_url: str | None, name: str) -> str:
    """An empty, migrated database: a temporary SQLite file, or `name` recreated on the given PostgreSQL."""
    if database_url and database_url.startswith("postgres"):
        import psycopg

        base = database_url.rsplit("/", 1)[0]
        with psycopg.connect(base + "/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
    else:
        folder = tempfile.mkdtemp(prefix="bench-usage-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        url = f"sqlite:///{folder}/{name}.sqlite3"
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=environment(url), check=True)
    return url


def write_file(lines: int, path: Path, seed: int = 7) -> float:
    from usage import synthetic

    started = time.perf_counter()
    with path.open("w") as handle:
        synthetic.write(handle, lines, seed=seed)
    return time.perf_counter() - started


def run_command(url: str, path: Path, *extra: str) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, peak memory in bytes, output) of one `ingest_webhooks` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "manage.py", "ingest_webhooks", str(path), "--no-what-if", *extra], cwd=ROOT,
                          env=environment(url), capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"ingest_webhooks failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss * 1024, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--again", action="store_true", help="load the same file a second time")
    args = parser.parse_args()

    url = fresh_database(args.database_url, "bench_usage_ingest")
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    with tempfile.TemporaryDirectory(prefix="bench-usage-") as folder:
        path = Path(folder) / "webhooks.jsonl"
        made = write_file(args.lines, path)
        size = path.stat().st_size
        lines = sum(1 for _ in path.open("rb"))
        print(f"{backend}: {lines:,} lines, {size / 2**20:,.0f} MiB (written in {made:.1f} s)")
        wall, cpu, peak, output = run_command(url, path)
        rate = lines / wall
        print(output.strip())
        print(f"ingest: {wall:.1f} s wall, {cpu:.1f} s CPU -> {rate:,.0f} lines/s wall, {lines / cpu:,.0f} lines/s "
              f"per CPU second; peak memory {peak / 2**20:,.0f} MiB")
        if args.again:
            wall2, cpu2, _, output2 = run_command(url, path)
            print(f"again (nothing changes): {wall2:.1f} s wall, {cpu2:.1f} s CPU -> {lines / wall2:,.0f} lines/s")
            print(output2.strip().splitlines()[0])
    ok = rate >= BUDGET_LINES_PER_SECOND
    print(f"budget {BUDGET_LINES_PER_SECOND:,} lines/s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
