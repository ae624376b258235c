"""Work a page started and the task worker does (`usage.jobs`): a big upload, a what-if replay."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Kind(models.TextChoices):
        UPLOAD = "upload", "Upload"
        WHAT_IF = "what_if", "What-if replay"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Not loaded"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    workspace = models.ForeignKey("usage.Workspace", on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    month = models.DateField(null=True, blank=True, help_text="The month a what-if replays.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    filename = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(default=0, help_text="Bytes uploaded.")
    data = models.BinaryField(blank=True, default=b"", help_text="The uploaded file until it is loaded.")
    run = models.ForeignKey("usage.IngestRun", null=True, blank=True, on_delete=models.SET_NULL)
    message = models.TextField(blank=True, help_text="Why it failed.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "kind", "month"], name="usage_job_lookup")]

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE
