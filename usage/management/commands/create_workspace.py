"""`python manage.py create_workspace SLUG [--name NAME] [--timezone IANA] [--business NAME]` (docs/api.md).

Creates the workspace, or updates those settings of an existing one. A new time zone or business counts
the workspace's months again (`usage.recount`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from calculator import timezones
from usage.models import Business, Workspace
from usage.recount import apply_settings


class Command(BaseCommand):
    help = "Create a usage workspace (or update the name, time zone and business of an existing one)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the workspace's slug (letters, digits, - and _)")
        parser.add_argument("--name", help="display name (default: the slug, for a new workspace)")
        parser.add_argument("--timezone", help="the account's IANA time zone, e.g. Asia/Kolkata (default: UTC)")
        parser.add_argument("--business", help="the business portfolio it belongs to (created if new; '' for none)")

    def handle(self, *args, slug: str, name: str | None, timezone: str | None, business: str | None, **options):
        problems = []
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
            try:
                apply_settings(workspace, timezone=timezone, business=business)
            except ValidationError as exc:
                raise CommandError("; ".join(f"{field}: {' '.join(m)}" for field, m in exc.message_dict.items())) \
                    from None
        self.stdout.write(f"{'Created' if created else 'Updated'} workspace {workspace.slug}: time zone "
                          f"{workspace.timezone}, business {workspace.business.name if workspace.business else '(none)'}")
