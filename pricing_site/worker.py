"""The task worker's own bookkeeping: who it is, and taking back the tasks of a worker that died.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL or FAILED when it ends. A
worker killed with SIGKILL (or by the machine going down) ends nothing: its task stays RUNNING for
ever. Our tasks are written to be run again safely (each commits its work and its "done" mark in one
transaction), so a worker starting up puts the RUNNING tasks of dead workers of this machine back in
the queue. A worker's id is `host:pid:random`, so whether it is alive can be checked from the id.
"""

from __future__ import annotations

import logging
import os
import socket

from django.db import transaction
from django.tasks.base import TaskResultStatus
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

HOST = socket.gethostname()[:40]


def new_worker_id() -> str:
    """`host:pid:random`, at most 64 characters (django-tasks-db's limit)."""
    return f"{HOST}:{os.getpid()}:{get_random_string(8)}"


def pid_of(worker_id: str) -> int | None:
    """The process id in a worker id of this machine; None for another machine's or a foreign id."""
    host, _, rest = worker_id.partition(":")
    pid, _, _ = rest.partition(":")
    if host != HOST or not pid.isdigit():
        return None
    return int(pid)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def requeue_interrupted() -> int:
    """Put back in the queue the RUNNING tasks whose worker, on this machine, is gone. Returns how many."""
    requeued = 0
    with transaction.atomic():
        for result in DBTaskResult.objects.running().select_for_update():
            pid = pid_of(result.worker_ids[-1]) if result.worker_ids else None
            if pid is None or alive(pid):
                continue
            result.status = TaskResultStatus.READY
            result.started_at = None
            result.save(update_fields=["status", "started_at"])
            requeued += 1
            logger.warning("Task %s (%s) was interrupted when worker %s died: queued again",
                           result.id, result.task_path, result.worker_ids[-1])
    return requeued
