"""Calls of a workspace, from Meta's Calling API webhooks (`calls` field: connect, then terminate with
the connected duration). One row per call id, merged from its events in any order; the fields after
`status` are computed when the month is priced (usage/calls.py)."""

from __future__ import annotations

from django.db import models


class CallRecord(models.Model):
    workspace = models.ForeignKey("usage.Workspace", on_delete=models.CASCADE, related_name="calls")
    call_id = models.CharField(max_length=200)
    direction = models.CharField(max_length=20, blank=True, help_text="business_initiated or user_initiated.")
    contact = models.CharField(max_length=32, blank=True, help_text="The user's number (digits, no +).")
    phone_number_id = models.CharField(max_length=40, blank=True)
    business_number = models.CharField(max_length=32, blank=True, help_text="The business's display number.")
    ts = models.BigIntegerField(help_text="When the call started (Unix seconds).")
    month = models.DateField()
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Connected seconds (from terminate).")
    status = models.CharField(max_length=20, blank=True)
    market = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, blank=True)
    pulses = models.PositiveIntegerField(default=0)
    billed_minutes = models.DecimalField(max_digits=14, decimal_places=1, default=0)
    tier = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0-5; none when not priced.")
    charge = models.DecimalField(max_digits=20, decimal_places=6, default=0)
    note = models.CharField(max_length=200, blank=True, help_text="Why a business-initiated call is not priced.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "call_id"], name="one_row_per_call")]
        indexes = [models.Index(fields=["workspace", "month", "ts"])]

    def __str__(self) -> str:
        return f"{self.call_id} ({self.direction or 'unknown'})"
