"""`python manage.py create_workspace SLUG [--name NAME] [--app-secret SECRET] [--verify-token TOKEN]
[--timezone IANA] [--business NAME]` (docs/api.md).

Creates the workspace, or updates those settings of an existing one. A new time zone or business counts
the workspace's months again (`usage.recount`). The app secret is never printed (`--app-secret -` reads it
from standard input, out of the shell's history); a new workspace gets a random verify token.
"""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from calculator import timezones
from usage.models import Business, Workspace
from usage.recount import apply_settings

CREDENTIAL_MAX = Workspace._meta.get_field("app_secret").max_length


class Command(BaseCommand):
    help = "Create a usage workspace (or update the name, webhook credentials, time zone and business of one)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the workspace's slug (letters, digits, - and _)")
        parser.add_argument("--name", help="display name (default: the slug, for a new workspace)")
        parser.add_argument("--timezone", help="the account's IANA time zone, e.g. Asia/Kolkata (default: UTC)")
        parser.add_argument("--business", help="the business portfolio it belongs to (created if new; '' for none)")
        parser.add_argument("--app-secret", dest="app_secret",
                            help="the Meta app's secret that signs its webhooks ('-': read it from standard input)")
        parser.add_argument("--verify-token", dest="verify_token",
                            help="the verify token for Meta's webhook handshake (default for a new workspace: random)")

    def handle(self, *args, slug: str, name: str | None, timezone: str | None, business: str | None,
               app_secret: str | None = None, verify_token: str | None = None, **options):
        if app_secret == "-":
            app_secret = sys.stdin.readline()
        problems = [f"--{flag}: {problem}" for flag, value in (("app-secret", app_secret), ("verify-token", verify_token))
                    if value is not None and (problem := credential_problem(value.strip()))]
        if timezone is not None and timezones.problem(timezone):
            problems.append(f"--timezone: {timezones.problem(timezone)}")
        if name is not None and not (0 < len(name.strip()) <= Workspace._meta.get_field("name").max_length):
            problems.append("--name: give 1 to 120 characters")
        if business is not None and len(business.strip()) > Business._meta.get_field("name").max_length:
            problems.append("--business: at most 120 characters")
        if problems:
            raise CommandError("; ".join(problems))
        with transaction.atomic():
            workspace = Workspace.objects.filter(slug=slug).first()
            created = workspace is None
            if created:
                workspace = Workspace(slug=slug, name=(name or slug).strip())
                try:
                    workspace.full_clean(exclude=["members", "business"])
                except ValidationError as exc:
                    raise CommandError("; ".join(f"{field}: {' '.join(m)}"
                                                 for field, m in exc.message_dict.items())) from None
                workspace.save()
            elif name is not None:
                workspace.name = name.strip()
                workspace.save(update_fields=["name"])
            credentials = []
            if app_secret is not None:
                workspace.set_app_secret(app_secret.strip())
                credentials += ["app_secret", "app_secret_set_at"]
            if verify_token is not None:
                workspace.webhook_verify_token = verify_token.strip()
                credentials.append("webhook_verify_token")
            if credentials:
                workspace.save(update_fields=credentials)
            try:
                apply_settings(workspace, timezone=timezone, business=business)
            except ValidationError as exc:
                raise CommandError("; ".join(f"{field}: {' '.join(m)}" for field, m in exc.message_dict.items())) \
                    from None
        self.stdout.write(f"{'Created' if created else 'Updated'} workspace {workspace.slug}: time zone "
                          f"{workspace.timezone}, business {workspace.business.name if workspace.business else '(none)'}, "
                          f"app secret {'set' if workspace.app_secret else 'not set'}, verify token "
                          f"{workspace.webhook_verify_token}")


def credential_problem(value: str) -> str | None:
    if not 0 < len(value) <= CREDENTIAL_MAX:
        return f"give 1 to {CREDENTIAL_MAX} characters"
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return "no spaces or control characters"
    return None
