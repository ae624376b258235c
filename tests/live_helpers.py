"""Signing and sending webhooks to a workspace's endpoint as Meta does (X-Hub-Signature-256)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from usage.models import Workspace

SAMPLE = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-webhooks.jsonl"
SECRET = "0123456789abcdef0123456789abcdef"  # Meta's app secrets are 32 hex digits
TOKEN = "verify-me-please"


def signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client, slug: str, body: bytes, secret: str | None = SECRET, header: str | None = None):
    headers = {}
    if header is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = header
    elif secret is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature(body, secret)
    return client.generic("POST", f"/webhooks/meta/{slug}", body, content_type="application/json", **headers)


def sample_payloads() -> list[bytes]:
    return [line.encode() for line in SAMPLE.read_text().splitlines() if line.strip()]


def live_workspace(slug: str = "acme") -> Workspace:
    """A workspace set up for Meta's webhooks: app secret SECRET, verify token TOKEN."""
    workspace = Workspace.objects.create(name=slug.title(), slug=slug, webhook_verify_token=TOKEN)
    workspace.set_app_secret(SECRET)
    workspace.save()
    return workspace
