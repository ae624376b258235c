"""A fake Graph API for tests: Meta's `pricing_analytics` on an ephemeral loopback port (real HTTP).

It answers as Meta documents it (the shape of /work/shared/data/webhooks/sample-pricing-analytics.json):
the first page wrapped in "pricing_analytics" with `paging.next` to the edge, later pages on the edge
(`/{waba}/pricing_analytics?after=...`), the last page without `next`; and, when told, Meta's errors
(rate limits 4, 17, 32, 613, 80007; an expired token 190; HTTP 429 and 5xx).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WABA = "102290129340398"
TOKEN = "EAAG-test-token-that-must-never-show"
OCTOBER = 1790812800  # 2026-10-01T00:00:00Z
DAY = 86400


def point(day: int, country: str, category: str, volume: int, cost: str, price_type: str = "REGULAR") -> dict:
    """A daily data point of October 2026 (day 1 = 1 October), as Meta sends it."""
    return {"start": OCTOBER + (day - 1) * DAY, "end": OCTOBER + day * DAY, "phone_number": "15550783881",
            "country": country, "tier": "0:25000000", "pricing_type": price_type, "pricing_category": category,
            "volume": volume, "cost": float(cost)}


PAGES = [
    [point(1, "IN", "UTILITY", 2, "0.0028"), point(1, "IN", "MARKETING", 1, "0.0118")],
    [point(2, "IN", "UTILITY", 3, "0.0042")],
    [point(3, "IN", "SERVICE", 5, "0", "FREE_CUSTOMER_SERVICE")],
]


class FakeGraph:
    """Meta's Graph API for one WABA, on an ephemeral loopback port, in a thread of the test process."""

    def __init__(self, pages=PAGES, errors=(), foreign_next: bool = False):
        self.pages = [list(p) for p in pages]
        self.errors = list(errors)  # (HTTP status, Meta error code or None, Retry-After or None), served first
        self.foreign_next = foreign_next
        self.requests: list[tuple[str, str]] = []  # (path with query, Authorization header)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                fake.requests.append((self.path, self.headers.get("Authorization", "")))
                status, body, headers = fake.answer(self.path, self.headers.get("Authorization", ""))
                raw = json.dumps(body).encode() if body is not None else b"<html>Bad gateway</html>"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def answer(self, path: str, authorization: str):
        if self.errors:
            status, code, retry_after = self.errors.pop(0)
            body = {"error": {"message": f"Meta error {code}", "type": "OAuthException", "code": code,
                              "fbtrace_id": "AbC"}} if code is not None else None
            return status, body, {"Retry-After": str(retry_after)} if retry_after is not None else {}
        if authorization != f"Bearer {TOKEN}":
            return 401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}, {}
        parts = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        if parts.path == f"/v25.0/{WABA}":
            fields = query.get("fields", "")
            assert fields.startswith("pricing_analytics.start(") and ".granularity(DAILY)" in fields
            assert '.dimensions(["PRICING_CATEGORY","PRICING_TYPE","COUNTRY","PHONE","TIER"])' in fields
            return 200, {"pricing_analytics": self.page(0), "id": WABA}, {}
        if parts.path == f"/v25.0/{WABA}/pricing_analytics":
            assert query["granularity"] == "DAILY"
            return 200, self.page(int(query["after"].removeprefix("cursor-"))), {}
        return 404, {"error": {"message": "Unknown path", "code": 803}}, {}

    def page(self, index: int) -> dict:
        body = {"data": [{"data_points": self.pages[index]}],
                "paging": {"cursors": {"before": f"cursor-{index - 1}", "after": f"cursor-{index + 1}"}}}
        if index + 1 < len(self.pages):
            host = "https://graph.example.invalid" if self.foreign_next else self.base
            body["paging"]["next"] = (f"{host}/v25.0/{WABA}/pricing_analytics?granularity=DAILY"
                                      f"&after=cursor-{index + 1}")
        return body
