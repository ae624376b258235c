"""Peak memory of `ingest_webhooks` on a 1 GB webhook export (issue #6: under 300 MB, flat whatever the size).

    .venv/bin/python bench/bench_usage_memory.py [--bytes 1073741824] [--database-url URL] [--array]

Writes a synthetic export of the given size (one envelope a line, or with `--array` one JSON array with an
element a line), loads it into a fresh database and prints the command's peak resident memory and speed.
Exits non-zero over 300 MB.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_usage_ingest import ROOT, fresh_database, run_command  # noqa: E402

sys.path.insert(0, str(ROOT))
BUDGET_BYTES = 300 * 2**20


def write_export(path: Path, size: int, array: bool) -> int:
    from usage import synthetic

    written = lines = 0
    month_index = 0
    with path.open("w") as handle:
        if array:
            handle.write("[\n")
        while written < size:  # a month at a time, each with its own message ids, until the size is reached
            from datetime import date

            month = date(2026 + (10 + month_index) // 12, (10 + month_index) % 12 + 1, 1)
            for line in synthetic.lines(1_000_000, month=month, seed=month_index):
                line = line.replace('"wamid.', f'"wamid.m{month_index}.')
                if array:
                    line = ("," if lines else "") + line
                handle.write(line)
                written += len(line)
                lines += 1
                if written >= size:
                    break
            month_index += 1
        if array:
            handle.write("]\n")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bytes", type=int, default=2**30)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--array", action="store_true", help="one JSON array instead of one envelope a line")
    args = parser.parse_args()
    url = fresh_database(args.database_url, "bench_usage_memory")
    with tempfile.TemporaryDirectory(prefix="bench-usage-") as folder:
        path = Path(folder) / ("webhooks.json" if args.array else "webhooks.jsonl")
        started = time.perf_counter()
        lines = write_export(path, args.bytes, args.array)
        print(f"{'array' if args.array else 'lines'}: {lines:,} lines, {path.stat().st_size / 2**20:,.0f} MiB "
              f"(written in {time.perf_counter() - started:.0f} s)")
        wall, cpu, peak, output = run_command(url, path)
    print(output.strip())
    print(f"ingest: {wall:.0f} s wall, {cpu:.0f} s CPU, {lines / wall:,.0f} lines/s; "
          f"peak memory {peak / 2**20:,.0f} MiB")
    ok = peak < BUDGET_BYTES
    print(f"budget {BUDGET_BYTES // 2**20} MiB: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
