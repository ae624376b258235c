"""The calculator page's two budgets (issue #4), measured on the real site under gunicorn with the
collected, compressed static files:

1. first load of `/`: at most 800 KB transferred (HTML, CSS, JavaScript, as a browser fetches them
   with `Accept-Encoding: br, gzip`), measured over HTTP and, when Debian's Chromium is installed,
   in the browser itself (Resource Timing `transferSize` of everything the page loaded);
2. an update round trip under 150 ms: the htmx request sent while typing (`HX-Request`, target
   `#estimate-result`) for a three-country mix whose counts change every request, median and p95
   over keep-alive HTTP; and in Chromium, from the request leaving to the new results settled.

    .venv/bin/python bench/bench_calculator.py [--requests 200] [--database-url URL]

Prints the figures and exits non-zero when a budget is exceeded.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import gunicorn  # noqa: E402

FIRST_LOAD_BUDGET = 800 * 1024
ROUND_TRIP_BUDGET_MS = 150.0
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def mix_query(rng: random.Random) -> str:
    """A three-country mix as the page's form sends it, different counts each time."""
    data = {"on": "2026-11-22", "currency": "USD", "business_country": "GB", "business_phone_numbers": "1",
            "utility_in_service_window": "20", "free_entry_point": "2", "templates_per_conversation": "1",
            "service_messages_per_conversation": "1", "lines-TOTAL_FORMS": "3"}
    for index, country in enumerate(("IN", "BR", "DE")):
        data |= {f"lines-{index}-country": country, f"lines-{index}-marketing": str(rng.randrange(1, 500_000)),
                 f"lines-{index}-utility": str(rng.randrange(1, 3_000_000)),
                 f"lines-{index}-authentication": str(rng.randrange(1, 3_000_000)),
                 f"lines-{index}-service": str(rng.randrange(1, 100_000))}
    return urlencode(data)


def fetch(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, bytes, int]:
    """(status, body as sent, bytes on the wire: status line, headers and body)."""
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + sum(
        len(name) + len(value) + 4 for name, value in response.getheaders()) + 2
    return response.status, body, head + len(body)


def first_load_over_http(base: str) -> int:
    host = urlsplit(base)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    headers = {"Accept-Encoding": "br, gzip", "Accept": "text/html"}
    status, html, wire = fetch(connection, "/", headers)
    assert status == 200, status
    rows = [("/", wire)]
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/static/[^"]+)"', html.decode())
    for asset in assets:
        status, _, wire = fetch(connection, asset, {"Accept-Encoding": "br, gzip"})
        assert status == 200, (asset, status)
        rows.append((asset, wire))
    total = sum(size for _, size in rows)
    print("First load of / over HTTP (Accept-Encoding: br, gzip):")
    for path, size in rows:
        print(f"  {size / 1024:8.1f} KB  {path}")
    print(f"  {total / 1024:8.1f} KB  total (budget {FIRST_LOAD_BUDGET / 1024:.0f} KB)")
    return total


def round_trips_over_http(base: str, requests: int) -> list[float]:
    host = urlsplit(base)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    headers = {"HX-Request": "true", "HX-Target": "estimate-result", "HX-Current-URL": base + "/"}
    rng = random.Random(4)
    for _ in range(10):  # warm both workers' caches
        fetch(connection, "/?" + mix_query(rng), headers)
    times = []
    for _ in range(requests):
        path = "/?" + mix_query(rng)
        started = time.perf_counter()
        status, body, _ = fetch(connection, path, headers)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200 and b'id="estimate-result"' in body and b"data-total" in body, status
    return times


def summary(name: str, times: list[float]) -> float:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{name}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms "
          f"over {len(times)} requests (budget {ROUND_TRIP_BUDGET_MS:.0f} ms)")
    return p95


BROWSER_TIMING = """
() => new Promise(resolve => {
  const times = [], phases = [];
  let started = 0, received = 0, swapped = 0;
  document.body.addEventListener("htmx:beforeRequest", () => { started = performance.now(); });
  document.body.addEventListener("htmx:beforeSwap", event => {
    if (event.detail.target.id === "estimate-result") received = performance.now();
  });
  document.body.addEventListener("htmx:afterSwap", event => {
    if (event.target.id === "estimate-result") swapped = performance.now();
  });
  document.body.addEventListener("htmx:afterSettle", event => {
    if (event.target.id !== "estimate-result" || !started) return;
    const now = performance.now();
    times.push(now - started);
    phases.push([received - started, swapped - received, now - swapped]);
    started = 0;
    if (times.length === 20) resolve({times, phases});
    else setTimeout(type, 1000);  // let the charts finish redrawing: one update at a time
  });
  const input = document.getElementById("id_lines-0-utility");
  function type() {
    input.value = String(100000 + times.length * 7919);
    input.dispatchEvent(new Event("input", {bubbles: true}));
  }
  type();
})
"""


def in_the_browser(base: str, query: str) -> tuple[int, list[float]] | None:
    if not CHROMIUM.exists():
        print("Chromium measurements skipped: /usr/bin/chromium is missing")
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(base + "/", wait_until="load")
        transferred = page.evaluate("""() => {
            const nav = performance.getEntriesByType("navigation")[0];
            return nav.transferSize + performance.getEntriesByType("resource").reduce((s, r) => s + r.transferSize, 0);
        }""")
        encodings = page.evaluate("""() => performance.getEntriesByType("resource")
            .map(r => [r.name.split("/").pop(), r.transferSize, r.decodedBodySize])""")
        print("First load of / in Chromium (Resource Timing):")
        for name, size, decoded in encodings:
            print(f"  {size / 1024:8.1f} KB  {name} ({decoded / 1024:.0f} KB decoded)")
        print(f"  {transferred / 1024:8.1f} KB  total, with the HTML (budget {FIRST_LOAD_BUDGET / 1024:.0f} KB)")
        page.goto(base + "/?" + query, wait_until="load")
        page.wait_for_selector("#tier-chart .main-svg")
        measured = page.evaluate(BROWSER_TIMING)
        browser.close()
    times, phases = measured["times"], measured["phases"]
    for name, index in (("request sent to response read", 0), ("response to results swapped", 1),
                        ("swapped to settled", 2)):
        print(f"  Chromium {name}: median {statistics.median(p[index] for p in phases):.1f} ms")
    return transferred, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    failures = []
    with gunicorn(workers=2, database_url=args.database_url) as base:
        print(f"Site under gunicorn at {base} (DEBUG off, collected and compressed static files)\n")
        if first_load_over_http(base) > FIRST_LOAD_BUDGET:
            failures.append("first load over HTTP")
        print()
        if summary("Update round trip over HTTP (htmx fragment, 3 countries)",
                   round_trips_over_http(base, args.requests)) > ROUND_TRIP_BUDGET_MS:
            failures.append("update round trip over HTTP")
        print()
        measured = in_the_browser(base, mix_query(random.Random(7)))
        if measured:
            transferred, times = measured
            if transferred > FIRST_LOAD_BUDGET:
                failures.append("first load in Chromium")
            if summary("Update round trip in Chromium (request sent to results settled, charts redrawn after)",
                       times) > ROUND_TRIP_BUDGET_MS:
                failures.append("update round trip in Chromium")
    print("\n" + ("FAIL: " + ", ".join(failures) if failures else "PASS: both budgets met"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
