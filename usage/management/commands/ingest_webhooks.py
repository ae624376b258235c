"""`python manage.py ingest_webhooks FILE [--workspace W] [--json] [--progress]` (docs/api.md, "Command line")."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from calculator.engine.money import round_money
from calculator.engine.vocabulary import counted
from usage import whatif
from usage.ingest import ingest
from usage.models import Workspace
from usage.webhooks import NotWebhooks

DEFAULT_WORKSPACE = "default"


class Command(BaseCommand):
    help = ("Load a webhook export (one JSON envelope a line, or one JSON array; gzip is fine) or a "
            "pricing_analytics response into a workspace. Loading the same file again changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the export to load ('-' reads standard input)")
        parser.add_argument("--workspace", help="the workspace's slug (default: 'default', created if missing)")
        parser.add_argument("--json", action="store_true", help="print months, skipped and errors as JSON")
        parser.add_argument("--progress", action="store_true",
                            help="show a progress bar on stderr even when it is not a terminal")
        parser.add_argument("--no-what-if", action="store_true",
                            help="do not replay the loaded months under the other pricing rules now (the "
                                 "dashboard then replays a month when it is first shown)")

    def handle(self, *args, **options):
        workspace = self._workspace(options["workspace"])
        path = options["file"]
        try:
            handle = sys.stdin.buffer if path == "-" else open(path, "rb")
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        show = options["progress"] or sys.stderr.isatty()
        bar = ProgressBar(handle, sys.stderr) if show else None
        try:
            with handle:
                report = ingest(handle, workspace, filename=os.path.basename(path), progress=bar)
        except NotWebhooks as exc:
            raise CommandError(f"{path}: {exc}; nothing was stored") from None
        finally:
            if bar is not None:
                bar.close()
        replayed = 0.0
        if not options["no_what_if"]:
            # A big month takes seconds to replay: do it here rather than in a page request.
            started = time.perf_counter()
            for key in report.months:
                whatif.what_if(workspace, date.fromisoformat(key + "-01"))
            replayed = time.perf_counter() - started
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), indent=None))
            return
        self._print(report, workspace)
        if report.months and not options["no_what_if"]:
            self.stdout.write(f"  what-if replays of {len(report.months)} month(s): {replayed:.1f} s")

    def _workspace(self, slug: str | None) -> Workspace:
        if slug is None:
            return Workspace.objects.get_or_create(slug=DEFAULT_WORKSPACE, defaults={"name": "Default"})[0]
        found = Workspace.objects.filter(slug=slug).first()
        if found is None:
            known = ", ".join(Workspace.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"no workspace '{slug}' (known: {known}); staff create workspaces in the admin")
        return found

    def _print(self, report, workspace: Workspace) -> None:
        write = self.stdout.write
        write(f"{workspace.slug}: {report.lines:,} lines, {report.records:,} records, "
              f"{report.changed:,} messages added or changed in {report.seconds:.1f} s")
        for key, totals in report.months.items():
            write(f"  {key}: {totals.all:,} messages, {totals.free:,} free, {totals.paid:,} paid, "
                  f"about {totals.currency} {round_money(totals.charge, totals.currency)}")
        if report.analytics_points:
            write(f"  {report.analytics_points:,} pricing_analytics data points")
        if report.skipped:
            write(self.style.WARNING(f"{counted(report.skipped, 'line')} skipped:"))
            for error in report.errors[:20]:
                write(f"  line {error['line']}: {error['message']}")
            if report.skipped > 20:
                write(f"  ... and {report.skipped - 20:,} more")


class ProgressBar:
    """A one-line bar on stderr, redrawn at most five times a second, from the file's read position."""

    WIDTH = 30

    def __init__(self, handle, out):
        self.handle, self.out = handle, out
        try:
            self.size = os.fstat(handle.fileno()).st_size
        except (OSError, ValueError, AttributeError):
            self.size = 0
        self.started = self.shown = time.monotonic()
        self.line = 0
        self.finished = False

    def __call__(self, records: int, line: int, force: bool = False) -> None:
        now = time.monotonic()
        if now - self.shown < 0.2 and not force:
            return
        self.shown = now
        self.line = line
        rate = line / max(now - self.started, 1e-6)
        try:
            position = self.size if self.finished else self.handle.tell()
        except (OSError, ValueError):
            position = 0
        if self.size and position:
            share = min(position / self.size, 1.0)
            done = int(share * self.WIDTH)
            bar = f"[{'#' * done}{'.' * (self.WIDTH - done)}] {share:4.0%} "
        else:
            bar = ""
        self.out.write(f"\r{bar}{line:,} lines, {rate:,.0f} lines/s ")
        self.out.flush()

    def close(self) -> None:
        self.finished = True
        self(0, self.line, force=True)
        self.out.write("\n")
        self.out.flush()
