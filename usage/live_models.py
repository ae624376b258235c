"""Payloads received on a workspace's own webhook endpoint (`usage.live`), kept as they came."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class WebhookPayload(models.Model):
    """One POST to `/webhooks/meta/<workspace>` with a good signature: the raw body, stored before the
    answer, and when the worker processed it (null: pending). Processing and the processed mark commit
    together, so a payload is counted once however often a worker dies or Meta sends it again."""

    workspace = models.ForeignKey("usage.Workspace", on_delete=models.CASCADE, related_name="webhook_payloads")
    received_at = models.DateTimeField(auto_now_add=True)
    body = models.BinaryField()
    processed_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(max_length=300, blank=True, help_text="Why (part of) it was not loaded.")

    class Meta:
        indexes = [models.Index(fields=["workspace", "id"], condition=Q(processed_at__isnull=True),
                                name="usage_payload_pending")]


class LiveQueueState(models.Model):
    """Whether a task to process a workspace's payloads is already queued: one task for a burst of
    payloads, not one per POST (`usage.live.schedule`)."""

    workspace = models.OneToOneField("usage.Workspace", on_delete=models.CASCADE, related_name="live_queue")
    scheduled = models.BooleanField(default=False)
