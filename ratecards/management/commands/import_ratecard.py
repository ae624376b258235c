"""python manage.py import_ratecard RATES [--tiers TIERS] [--currency C] [--effective-from YYYY-MM-DD]
[--dry-run] [--publish]

Reads Meta's own layout, as CSV or XLSX (decided by content; see ratecards.importer). A file with any problem changes nothing: every
problem is printed to stderr with its line and column, and the command exits non-zero.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ratecards.importer import ImportRefused, import_card


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; use YYYY-MM-DD, e.g. 2026-10-01") from None


def read_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CommandError(f"Cannot read the {what} file {path}: no such file.") from None
    except IsADirectoryError:
        raise CommandError(f"Cannot read the {what} file {path}: it is a directory.") from None
    except OSError as exc:
        raise CommandError(f"Cannot read the {what} file {path}: {exc.strerror or exc}.") from None


class Command(BaseCommand):
    help = (
        "Import a rate card from Meta's files, CSV or XLSX (rates, and volume tiers for a per-message card). "
        "Currency and date come from the title line unless given; rules are those of the latest earlier "
        "card of the currency. The card is saved as a draft unless --publish is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("rates", metavar="RATES", help="Meta's rates file (CSV or XLSX).")
        parser.add_argument("--tiers", metavar="TIERS", help="Meta's volume tiers file (CSV or XLSX).")
        parser.add_argument("--currency", help="ISO 4217 code; default: from the title line.")
        parser.add_argument(
            "--effective-from", type=iso_date, metavar="YYYY-MM-DD", help="Default: from the title line."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument("--publish", action="store_true", help="Publish the imported card.")

    def handle(self, *args, **options) -> None:
        rates_path, tiers_path = options["rates"], options["tiers"]
        rates = read_file(rates_path, "rates")
        tiers = read_file(tiers_path, "tiers") if tiers_path else None
        try:
            report = import_card(
                rates,
                tiers,
                currency=options["currency"],
                effective_from=options["effective_from"],
                dry_run=options["dry_run"],
                publish=options["publish"],
                rates_name=Path(rates_path).name,
                tiers_name=Path(tiers_path).name if tiers_path else "tiers.csv",
            )
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            count = len(refused.problems)
            raise CommandError(f"{count} problem{'s' if count != 1 else ''} found; nothing was imported.") from None
        self.stdout.write(report.describe())
