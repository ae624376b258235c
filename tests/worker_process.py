"""A real task worker (`manage.py run_worker`) in its own process, against the test database.

The `task_worker` fixture (tests/conftest.py) starts one; a test enqueues work as the site does (the
tasks are rows of the test database, committed: use `transactional_db`) and calls `wait()`, which
returns once no task is queued or running, or fails with the worker's log. `kill()` sends SIGKILL,
`start()` starts it again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the test database this process uses (pytest-django renamed it)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("a task worker needs the SQLite test database in a file (tests/conftest.py)")
        return f"sqlite:///{name}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def worker_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({
        "DATABASE_URL": database_url(),
        # This process's keys: the worker reads the secrets this process encrypted (pricing_site/encryption.py).
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_PASSWORD_RESET_MAIL": "0",
        "DJANGO_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra or {})
    return env


class WorkerProcess:
    def __init__(self, log_path: Path, extra_env: dict[str, str] | None = None):
        self.log_path = log_path
        self.extra_env = extra_env
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.05"],
            cwd=ROOT, env=worker_environment(self.extra_env), stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to finish or mark anything."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def wait(self, timeout: float = 120) -> None:
        """Until no task is queued or running; fails (with the worker's log) if the worker dies or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            unfinished = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
            if unfinished == 0:
                return
            if not self.alive():
                raise AssertionError(f"the task worker exited with {self.process.returncode} leaving "
                                     f"{unfinished} task(s):\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{unfinished} task(s) still unfinished after {timeout} s:\n{self.log()}")
            time.sleep(0.05)

    def failures(self) -> list[str]:
        return [f"{r.task_path}: {r.traceback}" for r in DBTaskResult.objects.failed()]
