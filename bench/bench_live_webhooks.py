"""Live webhooks under load: signed POSTs at a sustained rate against gunicorn (2 workers) and one task
worker on PostgreSQL; then whether anything was lost, how long a webhook took to reach the dashboard, and
a worker killed with SIGKILL under load (issue #13).

    .venv/bin/python bench/bench_live_webhooks.py [--rate 2000] [--seconds 60] [--database-url URL]
        [--kill-at 20] [--port 8101] [--threads 8]

Each POST is one webhook envelope (one status or one user message, from usage.synthetic), signed with the
workspace's app secret, sent open-loop at the rate asked (answer time counted from when it was due, so
a server that falls behind shows it). After the load: payloads stored = POSTs answered 200; the queue
drained; messages = distinct ids sent; the month equals the same lines loaded as one file. "POST to
dashboard" is a payload's processed time (its batch's commit, after which the dashboard shows it) minus
its received time. With --kill-at, the worker gets SIGKILL that many seconds into the load and a new one
starts 5 s later. Targets: 2,000/s for 60 s, p99 answer <= 100 ms, none lost, counts exact.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from serve import PYTHON, prepare, site_environment, wait_until_up  # noqa: E402

SECRET = "bench0123456789abcdef0123456789ab"
NOVEMBER = date(2026, 11, 1)
MAX_IN_FLIGHT = 512


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def post(host: str, port: int, path: str, body: bytes, signature: str) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write((f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\nX-Hub-Signature-256: {signature}\r\nConnection: close\r\n\r\n")
                     .encode() + body)
        await writer.drain()
        line = await reader.readline()
        await reader.read()
        return int(line.split()[1])
    finally:
        writer.close()


async def send_all(port: int, slug: str, bodies: list[bytes], rate: float, on_tick=None) -> dict:
    path = f"/webhooks/meta/{slug}"
    signatures = ["sha256=" + hmac.new(SECRET.encode(), b, hashlib.sha256).hexdigest() for b in bodies]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted: list[int] = []
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
    start = time.monotonic()

    async def one(index: int, due: float) -> None:
        async with in_flight:
            try:
                status = await post("127.0.0.1", port, path, bodies[index], signatures[index])
            except OSError:
                status = 0
        latencies.append(time.monotonic() - due)
        statuses[status] = statuses.get(status, 0) + 1
        if status == 200:
            accepted.append(index)

    tasks = []
    for index in range(len(bodies)):
        due = start + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if on_tick is not None:
            on_tick(time.monotonic() - start)
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    return {"seconds": time.monotonic() - start, "latencies": latencies, "statuses": statuses, "accepted": accepted}


def start_worker(env: dict, log) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, "manage.py", "run_worker", "--no-reload", "--no-startup-delay", "--interval",
                             "0.05"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL to run on (default: DATABASE_URL)")
    parser.add_argument("--kill-at", type=float, default=None, help="SIGKILL the worker this many seconds in")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (gthread)")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        print("bench_live_webhooks: give --database-url postgres://... (or DATABASE_URL): the figures are "
              "PostgreSQL's; skipped")
        return 0

    env = site_environment(args.database_url, {"DJANGO_LOG_LEVEL": "WARNING"})
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DJANGO_", "DATABASE_URL", "RATE_LIMIT"))})
    os.environ["DJANGO_SETTINGS_MODULE"] = "pricing_site.settings"
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # one count when the worker is killed, inside the load loop
    prepare(env)
    import django

    django.setup()
    from django.utils.crypto import get_random_string
    from usage import synthetic  # noqa: E402
    from usage.ingest import ingest  # noqa: E402
    from usage.live_models import WebhookPayload  # noqa: E402
    from usage.models import Message, Workspace  # noqa: E402
    from usage.summary import month_totals  # noqa: E402

    from django.db import connection

    load_before = os.getloadavg()[0]
    slug = "bench-live-" + get_random_string(6).lower()
    subprocess.run([PYTHON, "manage.py", "create_workspace", slug, "--app-secret", SECRET], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    workspace = Workspace.objects.get(slug=slug)
    count = int(args.rate * args.seconds)
    seed = int(time.time())
    lines = [line.encode() for line in synthetic.lines(count, month=NOVEMBER, seed=seed)]
    lines = [line.replace(b'"wamid.', f'"wamid.{slug}.'.encode()).rstrip(b"\n") for line in lines][:count]

    logs = tempfile.TemporaryDirectory()
    web_log = open(Path(logs.name) / "web.log", "wb")
    worker_log = open(Path(logs.name) / "worker.log", "wb")
    web = subprocess.Popen([PYTHON, "-m", "gunicorn", "pricing_site.wsgi", "--workers", "2", "--threads",
                            str(args.threads), "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning", "--backlog", "4096"],
                           cwd=ROOT, env=env, stderr=web_log)
    worker = start_worker(env, worker_log)
    events = []
    try:
        wait_until_up(f"http://127.0.0.1:{args.port}")
        state = {"killed": False, "restarted": False}

        def on_tick(elapsed: float) -> None:
            nonlocal worker
            if args.kill_at is None:
                return
            if not state["killed"] and elapsed >= args.kill_at:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                state["killed"] = True
                events.append(f"worker killed (SIGKILL) at {elapsed:.1f} s, "
                              f"{WebhookPayload.objects.filter(workspace=workspace, processed_at__isnull=False).count():,} processed")
            elif state["killed"] and not state["restarted"] and elapsed >= args.kill_at + 5:
                worker = start_worker(env, worker_log)
                state["restarted"] = True
                events.append(f"worker restarted at {elapsed:.1f} s")

        load_started = time.monotonic()
        result = asyncio.run(send_all(args.port, slug, lines, args.rate, on_tick))
        accepted = sorted(result["accepted"])
        drain_started = time.monotonic()
        while WebhookPayload.objects.filter(workspace=workspace, processed_at__isnull=True).exists():
            if time.monotonic() - drain_started > 1800:
                raise RuntimeError("the queue did not drain in 30 minutes")
            time.sleep(0.5)
        drained = time.monotonic() - drain_started
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=30)
        worker.wait(timeout=30)

    latencies = result["latencies"]
    stored = WebhookPayload.objects.filter(workspace=workspace).count()
    sent_ids = set()
    for index in accepted:
        line = lines[index]
        start = line.index(b'"id":"wamid.') + 6  # the status's or the user message's id (the entry's is digits)
        sent_ids.add(line[start:line.index(b'"', start)])
    messages = Message.objects.filter(workspace=workspace).count()
    delays = [(p - r).total_seconds() for r, p in WebhookPayload.objects.filter(workspace=workspace)
              .values_list("received_at", "processed_at")]
    control = Workspace.objects.create(name=slug + "-file", slug=slug + "-file")
    ingest(io.BytesIO(b"\n".join(lines[i] for i in accepted)), control, "same.jsonl")
    same = month_totals(workspace, NOVEMBER).as_json() == month_totals(control, NOVEMBER).as_json()

    answered = len(latencies)
    print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
          f"gunicorn 2 workers x {args.threads} threads, 1 task worker, {connection.vendor}")
    print(f"load: {count:,} signed POSTs asked at {args.rate:,.0f}/s for {args.seconds:.0f} s; sent in "
          f"{result['seconds']:.1f} s = {answered / result['seconds']:,.0f}/s answered; statuses {result['statuses']}")
    print(f"answer time (from when due): median {statistics.median(latencies) * 1000:,.0f} ms, "
          f"p99 {percentile(latencies, 0.99) * 1000:,.0f} ms, max {max(latencies) * 1000:,.0f} ms")
    for event in events:
        print(event)
    print(f"stored {stored:,} of {len(accepted):,} accepted (lost: {len(accepted) - stored:,}); queue drained "
          f"{drained:.1f} s after the load ended")
    print(f"messages {messages:,} = distinct ids sent {len(sent_ids):,}: {messages == len(sent_ids)}; month equal "
          f"to the same lines loaded as one file: {same}")
    print(f"POST to dashboard: median {statistics.median(delays):.2f} s, p99 {percentile(delays, 0.99):.2f} s, "
          f"max {max(delays):.2f} s")
    ok = stored == len(accepted) and messages == len(sent_ids) and same and result["statuses"].get(200) == count
    met = ok and percentile(latencies, 0.99) <= 0.1 and answered / result["seconds"] >= 0.95 * args.rate
    print("targets (2,000/s, p99 <= 100 ms, none lost, counts exact):", "met" if met else "NOT met",
          "" if ok else "(LOST OR MISCOUNTED)")
    Message.objects.filter(workspace__in=[workspace, control]).delete()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
