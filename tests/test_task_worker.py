"""The task queue: django.tasks with django-tasks-db, run by a real `manage.py run_worker` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from bench.serve import free_port
from pricing_site.procfile import read_procfile
from tests import worker_tasks
from tests.worker_process import ROOT, worker_environment

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_task_runs_in_the_worker_process(task_worker):
    result = worker_tasks.add.enqueue(2, 3)
    task_worker.wait()
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == "SUCCESSFUL", task_worker.failures()
    assert row.return_value == {"sum": 5, "pid": task_worker.pid}
    assert task_worker.pid != os.getpid()


def test_a_task_enqueued_in_a_rolled_back_transaction_does_not_exist():
    with pytest.raises(RuntimeError), transaction.atomic():
        worker_tasks.add.enqueue(1, 1)
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError("the data it was about is rolled back")
    assert DBTaskResult.objects.count() == 0


def test_a_task_whose_worker_was_killed_runs_again_when_a_worker_starts(task_worker, tmp_path):
    go = tmp_path / "go"
    result = worker_tasks.wait_for_file.enqueue(str(go))
    while DBTaskResult.objects.get(id=result.id).status != "RUNNING":
        assert task_worker.alive(), task_worker.log()
        time.sleep(0.05)
    killed = task_worker.pid
    task_worker.kill()
    assert DBTaskResult.objects.get(id=result.id).status == "RUNNING"  # nobody marked it: the worker is gone

    go.touch()
    task_worker.start()
    task_worker.wait()
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == "SUCCESSFUL", task_worker.failures()
    assert row.return_value == task_worker.pid != killed
    assert [worker_id.split(":")[1] for worker_id in row.worker_ids] == [str(killed), str(task_worker.pid)]
    assert "interrupted" in task_worker.log()


def test_the_procfile_has_a_web_and_a_worker_line():
    lines = dict(read_procfile(ROOT / "Procfile"))
    assert lines["web"].startswith("gunicorn pricing_site.wsgi")
    # Threads: a worker answers one webhook POST while another waits on its commit (README, "Live webhooks").
    assert "--threads ${WEB_THREADS:-4}" in lines["web"]
    assert lines["worker"].startswith("python manage.py run_worker")


def test_make_runs_supervisor_starts_both_lines_and_ctrl_c_stops_both(tmp_path):
    database = tmp_path / "site.sqlite3"
    env = worker_environment({"DATABASE_URL": f"sqlite:///{database}", "DJANGO_DEBUG": "1", "HOST": "127.0.0.1",
                              "PORT": str(free_port()), "WEB_CONCURRENCY": "1"})
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    output = tmp_path / "supervisor.log"
    with open(output, "wb") as log:
        supervisor = subprocess.Popen([sys.executable, "-m", "pricing_site.procfile", "Procfile"], cwd=ROOT, env=env,
                                      stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{env['PORT']}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert supervisor.poll() is None and time.monotonic() < deadline, output.read_text()
                time.sleep(0.2)
        while "Starting worker" not in output.read_text():
            assert supervisor.poll() is None and time.monotonic() < deadline, output.read_text()
            time.sleep(0.2)
        started = {line.split("|")[0].strip(): int(line.split("(pid ")[1].split(")")[0])
                   for line in output.read_text().splitlines() if "| started (pid" in line}
        assert set(started) == {"web", "worker"}
    finally:
        supervisor.send_signal(signal.SIGINT)
        supervisor.wait(timeout=30)
    for pid in started.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert supervisor.returncode == 0
