"""`python -m pricing_site.procfile [Procfile]`: run every line of a Procfile until Ctrl-C (what `make run` does).

A small supervisor, enough for one machine: each line runs with `sh -c` in its own process group, with
this Python's directory first on PATH (so `python` and `gunicorn` are the virtualenv's), its output
prefixed with the line's name. Ctrl-C or SIGTERM stops them all (SIGTERM, then SIGKILL after 10 s); when
one of them exits, the others are stopped too and the exit status is non-zero. Platforms that read
Procfiles (Heroku, Dokku, foreman, honcho) do the same job in production.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

GRACE_SECONDS = 10


def read_procfile(path: Path) -> list[tuple[str, str]]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        name, sep, command = raw.partition(":")
        if raw.strip().startswith("#") or not sep or not name.strip():
            continue
        lines.append((name.strip(), command.strip()))
    return lines


def _relay(name: str, stream, width: int) -> None:
    for line in iter(stream.readline, b""):
        sys.stdout.buffer.write(f"{name:<{width}} | ".encode() + line)
        sys.stdout.buffer.flush()


def run(lines: list[tuple[str, str]]) -> int:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    width = max(len(name) for name, _ in lines)
    processes: dict[str, subprocess.Popen] = {}
    for name, command in lines:
        process = subprocess.Popen(["sh", "-c", f"exec {command}"], env=env, start_new_session=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        processes[name] = process
        threading.Thread(target=_relay, args=(name, process.stdout, width), daemon=True).start()
        print(f"{name:<{width}} | started (pid {process.pid}): {command}", flush=True)

    stopping = threading.Event()

    def stop(signum, frame):
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    status = 0
    while not stopping.is_set():
        ended = [(name, p.returncode) for name, p in processes.items() if p.poll() is not None]
        if ended:
            name, code = ended[0]
            print(f"{name:<{width}} | exited with status {code}: stopping the others", flush=True)
            status = code or 1
            break
        stopping.wait(0.2)
    _stop_all(processes)
    return status


def _stop_all(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "Procfile")
    lines = read_procfile(path)
    if not lines:
        print(f"{path}: no 'name: command' lines", file=sys.stderr)
        return 2
    return run(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
