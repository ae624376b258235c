"""Hostile load: the 10-market estimate load of `load.py` while issue 11's attacks run at the same time.

Gunicorn with 2 workers on loopback (production settings, plain HTTP). Normal users post the 10-market
estimate back to back on keep-alive connections; attack clients, each a bounded loop, meanwhile send the
issue's requests: sign-in with `Bearer <anything>` (the rate-limit bypass), the 45-byte 1,000-line
calculator, a replay of 100,000 events x 10 cards, a 1E-999999999 count in a quote, a JSON value bomb,
a gzip of one 1 GiB line, a gzip of 300 MB of blank lines, a pasted 131,073-character line, NUL and
surrogate text, and out-of-range analytics. A sampler reads every worker's RSS from /proc ten times a
second (and VmHWM at the end).

Prints the normal users' p50/p95 and errors, each attack's answers, and each worker's peak memory.
Exits 1 when a worker went over 512 MB, a worker was killed or restarted, any answer was a 5xx, or a
normal user got an error. A worker over 1.5 GB is killed at once to protect the machine (and fails the run).

    .venv/bin/python bench/hostile_load.py [--seconds 30] [--clients 12] [--database-url URL]
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import TEN_MARKETS, run_clients, summary  # noqa: E402
from serve import PYTHON, ROOT, gunicorn, site_environment  # noqa: E402

LIMIT_MB = 512
GUARD_MB = 1536
CSRF = "hostilebench" + "0" * 20  # a 32-character CSRF secret, sent as cookie and header

SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import APIKey
from quotes import testing
from usage.models import Workspace

def session(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

root = testing.user("bench-root", superuser=True)
seller = testing.user("bench-seller", testing.SALES)
Workspace.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
print(session(root), APIKey.create_for(seller, "hostile bench")[1])
"""


# --- Requests ---------------------------------------------------------------------------------------------

class Client:
    def __init__(self, base: str, session: str = ""):
        self.host = urlsplit(base)
        self.session = session

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 120) -> int:
        cookies = f"csrftoken={CSRF}" + (f"; sessionid={self.session}" if self.session else "")
        sent = {"Cookie": cookies, "X-CSRFToken": CSRF, "Connection": "close", **(headers or {})}
        connection = http.client.HTTPConnection(self.host.hostname, self.host.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException) as exc:
            return {"RemoteDisconnected": 599}.get(exc.__class__.__name__, 598)  # no answer at all
        finally:
            connection.close()

    def form(self, path: str, fields: dict[str, str], **headers) -> int:
        from urllib.parse import urlencode

        return self.request("POST", path, urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **headers})

    def upload(self, path: str, name: str, data: bytes) -> int:
        boundary = "hostile" + secrets.token_hex(8)
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def json(self, path: str, document, **headers) -> int:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json", **headers})


def gzip_of_repeated(chunk: bytes, times: int, head: bytes = b"") -> bytes:
    """A gzip file of `head` then `chunk` repeated, compressed as it is produced (never held unpacked)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as packed:
        packed.write(head)
        for _ in range(times):
            packed.write(chunk)
    return out.getvalue()


def attacks(key: str) -> dict[str, tuple[int, callable]]:
    """name: (times at most, one attempt returning the HTTP status)."""
    huge_line = gzip_of_repeated(b"a" * (1 << 20), 1024, head=b'{"object": "whatsapp_business_account", "x": "')
    blank_lines = gzip_of_repeated(b"\n" * (1 << 20), 300)
    replay = {"cards_on": [f"2026-{m:02d}-01" for m in range(1, 11)],
              "events": [{"at": f"2026-11-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z", "user": str(i % 5000),
                          "kind": "template", "category": "marketing"} for i in range(100_000)]}
    bomb = b'{"events": [' + b",".join([b"{}"] * 170_000) + b"]}"
    quote = {"customer": "Acme", "on": "2026-11-01", "lines": [{"country": "IN", "marketing": 1}]}
    quote_body = json.dumps(quote).replace('"marketing": 1', '"marketing": 1E-999999999').encode()
    analytics = json.dumps({"pricing_analytics": {"data": [{"data_points": [
        {"start": 1e20, "end": 1793923200, "volume": 1e30, "cost": 1}]}]}}).encode()
    hostile_webhook = ('{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[{"field":"messages",'
                       '"value":{"statuses":[{"id":"wamid.H","status":"sent","timestamp":"1793836800",'
                       '"recipient_id":"' + "9" * 40 + '"}]}}]}]}\n').encode()
    return {
        "sign-in with Bearer <random>": (30, lambda c: c.form(
            "/accounts/login/", {"username": "bench-root", "password": "wrong"},
            Authorization=f"Bearer {secrets.token_hex(8)}")),
        "GET /?lines-TOTAL_FORMS=1000": (5, lambda c: c.request("GET", "/?lines-TOTAL_FORMS=1000&lines-0-country=IN")),
        "replay 100k events x 10 cards": (3, lambda c: c.json("/api/v1/replay", replay)),
        "JSON value bomb (0.5 MB)": (3, lambda c: c.json("/api/v1/replay", bomb)),
        "quote with 1E-999999999": (3, lambda c: c.json("/api/v1/quotes", quote_body,
                                                        Authorization=f"Bearer {key}")),
        "gzip: one 1 GiB line": (2, lambda c: c.upload("/usage/bench/upload/", "line.jsonl.gz", huge_line)),
        "gzip: 300 MB of blank lines": (2, lambda c: c.upload("/usage/bench/upload/", "blank.jsonl.gz", blank_lines)),
        "upload: 40-digit recipient_id": (5, lambda c: c.upload("/usage/bench/upload/", "x.jsonl", hostile_webhook)),
        "upload: analytics 1e20/1e30": (5, lambda c: c.upload("/usage/bench/upload/", "a.json", analytics)),
        "paste a 131,073-character line": (5, lambda c: c.form("/paste-numbers/", {
            "numbers": "9" * 131_073, "category": "marketing", "per_recipient": "1"})),
        "NUL and surrogates": (20, lambda c: max(
            c.request("GET", "/q/abc%00def/"), c.json("/api/v1/estimate", b'{"lines": [{"country": "\\ud800"}]}'))),
    }


# --- Workers' memory ---------------------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def status_kib(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Sampler(threading.Thread):
    """Every 0.1 s: each worker's RSS (peak kept per pid); a worker that disappears was killed."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master = master
        self.peak_kib: dict[int, int] = {}
        self.hwm_kib: dict[int, int] = {}
        self.guard_killed: list[int] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for pid in children(self.master):
                rss = status_kib(pid, "VmRSS")
                if rss is None:
                    continue
                self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), rss)
                self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), status_kib(pid, "VmHWM") or 0)
                if rss > GUARD_MB * 1024 and pid not in self.guard_killed:
                    self.guard_killed.append(pid)
                    os.kill(pid, signal.SIGKILL)
            self.stopping.wait(0.1)

    def alive(self) -> list[int]:
        return children(self.master)


def gunicorn_master(port: int) -> int:
    for pid in children(os.getpid()):
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if f"127.0.0.1:{port}".encode() in cmdline.read():
                return pid
    raise RuntimeError("gunicorn's master process was not found")


# --- The run ------------------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="how long the normal users run")
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    body = json.dumps(TEN_MARKETS).encode()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/hostile.sqlite3"
        log_path = Path(scratch) / "gunicorn.log"
        with open(log_path, "w") as log, gunicorn(2, url, log=log) as base:
            made = subprocess.run([PYTHON, "manage.py", "shell", "-v", "0", "-c", SETUP], cwd=ROOT,
                                  env=site_environment(url), capture_output=True, text=True, check=True)
            session, key = made.stdout.split()
            master = gunicorn_master(int(urlsplit(base).port))
            workers_at_start = sorted(children(master))
            run_clients(base, 2, 2, "POST", "/api/v1/estimate", body)  # warm both workers
            planned = attacks(key)
            sampler = Sampler(master)
            sampler.start()
            answers: dict[str, Counter] = {name: Counter() for name in planned}
            stop_at = time.monotonic() + args.seconds

            def attack(name: str, times: int, attempt) -> None:
                client = Client(base, session)
                for _ in range(times):
                    if time.monotonic() > stop_at:
                        break
                    answers[name][attempt(client)] += 1

            threads = [threading.Thread(target=attack, args=(name, *plan), daemon=True)
                       for name, plan in planned.items()]
            for thread in threads:
                thread.start()
            normal = run_clients(base, args.clients, args.seconds, "POST", "/api/v1/estimate", body)
            for thread in threads:
                thread.join(timeout=180)
            time.sleep(0.5)
            sampler.stopping.set()
            sampler.join()
            workers_at_end = sorted(sampler.alive())
        gunicorn_log = log_path.read_text(errors="replace")

    print(f"\nnormal users ({args.clients} clients, {args.seconds:.0f} s, POST /api/v1/estimate, 10 markets), "
          "while the attacks ran:")
    figures = summary("normal users", *normal)
    print("\nattacks (HTTP status: times; 598/599 = no answer):")
    server_errors = 0
    for name, counted in answers.items():
        server_errors += sum(n for status, n in counted.items() if status >= 500)
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(counted.items())) or "not sent (time was up)"
        print(f"  {name:<34} {shown}")
    print("\nworkers (peak RSS sampled every 0.1 s / VmHWM):")
    over = []
    for pid in sorted(sampler.peak_kib):
        peak, hwm = sampler.peak_kib[pid] / 1024, sampler.hwm_kib.get(pid, 0) / 1024
        print(f"  pid {pid}: {peak:,.0f} MiB / {hwm:,.0f} MiB")
        if max(peak, hwm) > LIMIT_MB:
            over.append(pid)
    killed = sorted(set(workers_at_start) - set(workers_at_end)) + sampler.guard_killed
    restarted = "WORKER TIMEOUT" in gunicorn_log or "SIGKILL" in gunicorn_log or "Perhaps out of memory" in gunicorn_log
    print(f"  workers at start {workers_at_start}, at end {workers_at_end}"
          f"{'; gunicorn logged a timeout or kill' if restarted else ''}")
    problems = []
    if over:
        problems.append(f"workers over {LIMIT_MB} MB: {over}")
    if killed or restarted:
        problems.append(f"workers killed or restarted: {killed or 'see the gunicorn log'}")
    if server_errors:
        problems.append(f"{server_errors} attack answers were 5xx or none")
    if figures["errors"]:
        problems.append(f"{figures['errors']} normal requests failed")
    print("\ntarget (no worker over 512 MB or killed, no 5xx, no normal user error):",
          "met" if not problems else "NOT met: " + "; ".join(problems))
    if restarted:
        print("gunicorn log:\n" + "\n".join(gunicorn_log.splitlines()[-20:]))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
