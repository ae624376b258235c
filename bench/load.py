"""Load: the 10-market estimate at 12 concurrent clients against gunicorn with 2 workers.

Prints errors, median and p95 latency, and throughput as a fraction of a trivial endpoint's
(`/healthz`) on the same server in the same run. Targets (issue #7): no errors, p95 under 250 ms.

    .venv/bin/python bench/load.py [--seconds 10] [--clients 12] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import gunicorn  # noqa: E402

TEN_MARKETS = {
    "on": "2026-11-01",
    "business_country": "GB",
    "assumptions": {"utility_in_service_window": 0.2, "free_entry_point": 0.02},
    "lines": [
        {"country": code, "marketing": 20000, "utility": 150000, "authentication": 90000, "service": 5000}
        for code in ("IN", "BR", "ID", "MX", "DE", "GB", "NG", "ZA", "AE", "US")
    ],
}


def run_clients(base: str, clients: int, seconds: float, method: str, path: str, body: bytes | None):
    """Each client sends requests back to back on one keep-alive connection; returns latencies and errors."""
    host = urlsplit(base)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        mine, problems = [], []
        headers = {"Content-Type": "application/json"} if body else {}
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    problems.append(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as exc:
                problems.append(exc.__class__.__name__)
                connection.close()
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(problems)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def summary(name: str, latencies: list[float], errors: list[str], elapsed: float) -> dict:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if ordered else float("nan")
    figures = {
        "endpoint": name,
        "requests": len(latencies),
        "errors": len(errors),
        "median_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "p95_ms": round(p95 * 1000, 1),
        "requests_per_second": round(len(latencies) / elapsed, 1),
    }
    print(f"{name:>24}: {figures['requests']} requests, {figures['errors']} errors, "
          f"median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms, {figures['requests_per_second']} req/s")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    body = json.dumps(TEN_MARKETS).encode()
    with gunicorn(args.workers, args.database_url) as base:
        run_clients(base, 2, 2, "POST", "/api/v1/estimate", body)  # warm both workers' caches
        trivial = summary("GET /healthz", *run_clients(base, args.clients, args.seconds, "GET", "/healthz", None))
        estimate = summary("POST /api/v1/estimate", *run_clients(base, args.clients, args.seconds, "POST",
                                                                 "/api/v1/estimate", body))
    fraction = estimate["requests_per_second"] / trivial["requests_per_second"]
    print(f"estimate throughput = {fraction:.0%} of the trivial endpoint's "
          f"({args.clients} clients, {args.workers} workers)")
    ok = estimate["errors"] == 0 and estimate["p95_ms"] < 250
    print("target (no errors, p95 < 250 ms):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
