"""The upload form: one file, webhooks or a pricing_analytics response, up to a configurable size."""

from __future__ import annotations

from django import forms
from django.conf import settings

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def upload_limit() -> int:
    return int(getattr(settings, "USAGE_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


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
