"""`python manage.py check_ratecards`: what an admin (or cron) should hear about the cards.

Warns when today's card of a currency is older than the newest announced effective date (a draft
card, or a date given with --announced, whose day has come), when Meta's rules have changed past it (a
later card of another currency has other rules: the estimates in this currency use old rules), and when
a mapping rule in force today points at a market that today's card does not price. Exits 1 when there
is a warning, for cron.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ratecards.snapshots import Catalog
from calculator.engine.staleness import stale_rules
from ratecards.models import CardStatus, MarketMapping, RateCard


def card_warnings(currency: str, today: date, announced: list[date]) -> list[str]:
    card = RateCard.objects.in_force(currency, today)
    if card is None:
        return [f"{currency}: no published card is in force on {today}."]
    warnings = []
    drafts = RateCard.objects.filter(currency=currency, status=CardStatus.DRAFT, effective_from__lte=today)
    due = [d for d in announced if d <= today] + list(drafts.values_list("effective_from", flat=True))
    newest = max(due, default=None)
    if newest is not None and newest > card.effective_from:
        warnings.append(
            f"{currency}: today's card {card} is older than the announced {newest}; import and publish that card."
        )
    infos = Catalog().card_infos()
    info = next((i for i in infos if i.id == card.pk), None)
    stale = stale_rules(info, today, infos) if info else None
    if stale is not None:
        instead = f"; meanwhile estimates in {' or '.join(stale.current_currencies)} use the current rules" \
            if stale.current_currencies else ""
        warnings.append(f"{currency}: today's card {card} has rules Meta changed for every currency on "
                        f"{stale.newer_from} ({stale.newer}: {'; '.join(stale.changes)}); import and publish a "
                        f"{currency} card with the new rules{instead}.")
    priced = set(card.rates.values_list("market__name", flat=True))
    used = set(MarketMapping.objects.in_force(today).values_list("market__name", flat=True)) | {"Other"}
    for market in sorted(used - priced):
        countries = ", ".join(sorted(set(MarketMapping.objects.in_force(today).filter(market__name=market)
                                         .values_list("iso2", flat=True))))
        warnings.append(f"{currency}: mapping rules in force send {countries or 'numbers'} to {market}, "
                        f"which today's card {card} does not price.")
    return warnings


class Command(BaseCommand):
    help = "Warn when a currency's card is out of date or does not price a market the mapping uses."

    def add_arguments(self, parser):
        parser.add_argument("--currency", action="append", help="Check only this currency (repeatable).")
        parser.add_argument("--announced", action="append", default=[], metavar="YYYY-MM-DD",
                            help="An effective date Meta has announced (repeatable).")
        parser.add_argument("--on", metavar="YYYY-MM-DD", help="Check as of this date (default today).")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["on"]) if options["on"] else timezone.localdate()
            announced = [date.fromisoformat(d) for d in options["announced"]]
        except ValueError as exc:
            raise CommandError(f"dates are written YYYY-MM-DD: {exc}") from None
        currencies = options["currency"] or sorted(
            set(RateCard.objects.filter(status=CardStatus.PUBLISHED).values_list("currency", flat=True))
        )
        warnings = [w for currency in currencies for w in card_warnings(currency.upper(), today, announced)]
        for warning in warnings:
            self.stderr.write(f"WARNING {warning}")
        if warnings:
            raise SystemExit(1)
        self.stdout.write(f"OK: {', '.join(currencies)} cards are current on {today} and price every mapped market.")
