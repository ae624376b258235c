"""`python manage.py reencrypt_secrets [--new-key]`: every workspace's app secret and Graph API token
written again with the first key of FIELD_ENCRYPTION_KEY (README, *Rotating the encryption key*).

Each value is read with whichever key of the list opens it and written with the first, all in one
transaction: after it, the old key can leave the list. `--new-key` prints a fresh key and changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from pricing_site.encryption import new_key
from usage.models import Workspace

SECRETS = ("app_secret", "graph_access_token")


class Command(BaseCommand):
    help = "Encrypt every stored workspace secret again with the first key of FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="print a new key to put first in the list")

    def handle(self, *args, **options):
        if options.get("new_key"):
            self.stdout.write(new_key())
            return
        with transaction.atomic():
            workspaces = list(Workspace.objects.select_for_update().only("pk", *SECRETS))
            for workspace in workspaces:
                Workspace.objects.filter(pk=workspace.pk).update(
                    **{name: getattr(workspace, name) for name in SECRETS})
        self.stdout.write(f"{len(workspaces)} workspaces' secrets encrypted with the first key.")
