"""`python manage.py schedule_daily_tasks`: book the daily run of the pull and the digest on the task queue.

Run once per deployment after `migrate` (running it again changes nothing): the daily run then books the
next one itself (`usage.scheduled`).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from usage.scheduled import schedule_daily


class Command(BaseCommand):
    help = "Book the daily pull of Meta's pricing analytics and the alert digest on the task queue (once)."

    def handle(self, *args, **options):
        try:
            when, new = schedule_daily()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{'Booked' if new else 'Already booked'}: the daily run at {when:%Y-%m-%d %H:%M} UTC")
