"""The upload form: one file, webhooks or a pricing_analytics response, up to a configurable size."""

from __future__ import annotations

from django import forms
from django.conf import settings


def upload_limit() -> int:
    """USAGE_UPLOAD_MAX_MB of the environment, in bytes (the one default is in the settings)."""
    return settings.USAGE_UPLOAD_MAX_BYTES


def upload_line_limit() -> int:
    """Lines one upload loads: what a request can ingest well within the server's timeout (README)."""
    return settings.USAGE_UPLOAD_MAX_LINES


def upload_uncompressed_limit() -> int:
    """Bytes a gzip upload may decompress to: 200,000 lines of Meta's webhooks are about 85 MB. More (a
    gzip bomb: 3 MB can hold 3 GiB) is refused as it is read, never held."""
    return settings.USAGE_UPLOAD_MAX_UNCOMPRESSED_MB * 1024 * 1024


def size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}".replace(".0 ", " ")
        size /= 1024
    return str(size)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Webhook export or pricing analytics",
        help_text="Meta's webhook envelopes, one JSON object a line or one JSON array (gzip is fine), or a "
                  "pricing_analytics response of the Graph API.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = upload_limit()
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is {size_text(upload.size)}; uploads are limited to {size_text(limit)}. Load bigger "
                "files with the command: python manage.py ingest_webhooks FILE --workspace SLUG")
        return upload
