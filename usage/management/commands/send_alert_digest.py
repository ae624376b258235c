"""`python manage.py send_alert_digest [--workspace SLUG] [--dry-run]`: the daily alert digest, once.

E-mails each workspace's members the alerts not sent before (`usage.alerts`): for deployments that run it
from cron rather than on the task queue. Exit status 1 when a workspace's mail could not be sent (it is
tried again on the next run).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from usage.alerts import send_digest
from usage.models import Workspace


class Command(BaseCommand):
    help = "E-mail each workspace's members the usage alerts not sent before (budget, paid share, "
    help += "recategorised templates, free service allowance)."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", help="only this workspace (its slug)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be sent; send and record nothing")

    def handle(self, *args, workspace: str | None, dry_run: bool, **options):
        spaces = None
        if workspace is not None:
            spaces = list(Workspace.objects.filter(slug=workspace))
            if not spaces:
                raise CommandError(f"--workspace: no workspace {workspace!r}")
        report = send_digest(workspaces=spaces, dry_run=dry_run)
        for line in report.as_lines() or ["no new alerts"]:
            self.stdout.write(("(dry run) " if dry_run else "") + line)
        if any(why.startswith("not sent") for why in report.skipped.values()):
            raise CommandError("some digests were not sent; they are tried again on the next run")
