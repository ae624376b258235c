"""Every benchmark, one after the other, each printing its own figures (`make bench`).

The fault script restarts the local PostgreSQL cluster, so it runs only with --faults.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ["bench_engine.py"],
    ["bench_calculator.py"],
    ["bench_refusals.py"],
    ["load.py"],
    ["bench_usage_ingest.py"],
    ["bench_usage_memory.py"],
    ["bench_usage_dashboard.py"],
    ["bench_usage_export.py"],
    ["bench_admin_draft.py"],
    ["hostile_load.py"],
    ["bench_live_webhooks.py"],  # PostgreSQL: DATABASE_URL
]


def main() -> int:
    runs = BENCHES + ([["fault_db_restart.py"]] if "--faults" in sys.argv else [])
    failed = []
    for script, *args in runs:
        if not (HERE / script).exists():
            continue
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script), *args]).returncode != 0:
            failed.append(script)
    print("\nmissed a target or failed:", ", ".join(failed) if failed else "none")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
