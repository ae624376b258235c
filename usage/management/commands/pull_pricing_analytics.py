"""`python manage.py pull_pricing_analytics [--workspace SLUG]`: pull Meta's pricing analytics now.

For every workspace with a WABA id and an access token (or the one named): the previous and this month's
daily `pricing_analytics` from the Graph API into the reconciliation (`usage.pull`). Exit status 1 when a
pull failed (it says why; nothing of it was stored).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from usage.models import Workspace
from usage.pull import pull_all, pull_analytics


class Command(BaseCommand):
    help = "Pull Meta's pricing_analytics (daily) from the Graph API for workspaces with a WABA id and a token."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", help="only this workspace (its slug)")

    def handle(self, *args, workspace: str | None, **options):
        if workspace is not None:
            found = Workspace.objects.filter(slug=workspace).first()
            if found is None:
                raise CommandError(f"--workspace: no workspace {workspace!r}")
            reports = [pull_analytics(found)]
        else:
            reports = pull_all()
        for report in reports:
            self.stdout.write(report.text)
        if not reports:
            self.stdout.write("no workspace has a WABA id and an access token")
        failed = [r for r in reports if r.error]
        if failed:
            raise CommandError("; ".join(r.text for r in failed))
