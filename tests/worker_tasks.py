"""Tasks that exist for the tests of the task worker itself (tests/test_task_worker.py)."""

import os
import time
from pathlib import Path

from django.tasks import task


@task
def add(a: int, b: int) -> dict:
    return {"sum": a + b, "pid": os.getpid()}


@task
def wait_for_file(path: str) -> int:
    """Runs until `path` exists (at most a minute): a task a test can catch mid-run and kill."""
    deadline = time.monotonic() + 60
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(0.05)
    return os.getpid()
