"""Start the real site under gunicorn on loopback for a benchmark, and stop it afterwards.

Used by the load and fault scripts: a migrated database (the given DATABASE_URL, or a fresh SQLite
file), collected static files, production settings over plain HTTP.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_environment(database_url: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_PASSWORD_RESET_MAIL": "0",  # production settings need a mail decision; a benchmark sends none
        # A benchmark measures the site, not the rate limiter: lift the per-client limits.
        "RATE_LIMIT_API_PER_MINUTE": "100000000",
        "RATE_LIMIT_CALCULATOR_PER_MINUTE": "100000000",
    })
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


def prepare(env: dict[str, str]) -> None:
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True)


def wait_until_up(base: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"the site did not come up at {base}")


@contextlib.contextmanager
def gunicorn(workers: int = 2, database_url: str | None = None, extra_env: dict[str, str] | None = None,
             log=None):
    """Yield the base URL of a running site; the database is a fresh SQLite file unless given.
    The server's log goes to `log` (an open file) when given, else to this terminal."""
    with tempfile.TemporaryDirectory() as scratch:
        url = database_url or f"sqlite:///{scratch}/bench.sqlite3"
        env = site_environment(url, extra_env)
        prepare(env)
        port = free_port()
        process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "pricing_site.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "--graceful-timeout", "5"],
            cwd=ROOT, env=env, stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
