"""Fault: PostgreSQL stops and starts again while clients send estimates to gunicorn.

While the database is away every answer must be a 503 with a message (never a 500 or a traceback);
once it is back the site must answer 200 again by itself within seconds (CONN_HEALTH_CHECKS).
Needs a local PostgreSQL cluster this script may restart (pg_ctlcluster), as on the CI machine.

    .venv/bin/python bench/fault_db_restart.py [--database-url postgres://postgres@127.0.0.1:5432/bench_pricing]
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import TEN_MARKETS  # noqa: E402
from serve import gunicorn  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_pricing"


def cluster() -> tuple[str, str]:
    version = subprocess.run(["ls", "/etc/postgresql"], capture_output=True, text=True, check=True).stdout.split()[0]
    return version, "main"


def pg(action: str) -> None:
    version, name = cluster()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action], check=True)


def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    exists = subprocess.run(["psql", "-h", parts.hostname, "-U", parts.username or "postgres", "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname='{name}'", "postgres"],
                            capture_output=True, text=True).stdout.strip()
    if exists != "1":
        subprocess.run(["createdb", "-h", parts.hostname, "-U", parts.username or "postgres", name], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--outage", type=float, default=4.0, help="seconds the database stays down")
    args = parser.parse_args()
    ensure_database(args.database_url)
    body = json.dumps(TEN_MARKETS).encode()
    timeline: list[tuple[float, int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    server_log = tempfile.NamedTemporaryFile("w+", prefix="fault-db-restart-", suffix=".log", delete=False)
    with gunicorn(2, args.database_url, log=server_log) as base:
        host = urlsplit(base)

        def client() -> None:
            while not stop.is_set():
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
                try:
                    connection.request("POST", "/api/v1/estimate", body=body, headers={"Content-Type": "application/json"})
                    response = connection.getresponse()
                    text = response.read().decode(errors="replace")
                    entry = (time.monotonic(), response.status, text[:120])
                except (OSError, http.client.HTTPException) as exc:
                    entry = (time.monotonic(), 0, exc.__class__.__name__)
                finally:
                    connection.close()
                with lock:
                    timeline.append(entry)
                time.sleep(0.05)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        pg("stop")  # returns once the server has stopped
        down_at = time.monotonic()
        time.sleep(args.outage)
        start_at = time.monotonic()  # the server may accept connections before pg_ctlcluster returns
        pg("start")
        up_at = time.monotonic()
        time.sleep(10)
        stop.set()
        for thread in threads:
            thread.join()

    during = [status for at, status, _ in timeline if down_at + 0.5 < at < start_at]
    after = [(at, status) for at, status, _ in timeline if at >= up_at]
    first_ok = next((at for at, status in after if status == 200), None)
    statuses = collections.Counter(status for _, status, _ in timeline)
    tracebacks = [text for _, _, text in timeline if "Traceback" in text]
    server_log.seek(0)
    logged = server_log.read().count("OperationalError")
    print(f"server log: {logged} database errors logged with their tracebacks ({server_log.name})")
    print(f"answers by status: {dict(statuses)}")
    print(f"while the database was down ({args.outage:.0f} s): {dict(collections.Counter(during))}")
    print(f"pg_ctlcluster start took {up_at - start_at:.1f} s")
    recovered = None if first_ok is None else first_ok - up_at
    print("first 200 after the database came back:", "never" if recovered is None else f"{recovered:.2f} s")
    ok = (bool(during) and set(during) <= {503} and not tracebacks and recovered is not None and recovered < 5
          and statuses.get(500, 0) == 0)
    print("target (only 503 while down, no 500, recovered within 5 s):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
