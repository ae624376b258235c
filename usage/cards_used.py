"""Which cards (and rules) priced a month of usage, and whether Meta's rules had moved past them.

The dashboard prices each day with the card in force that day; beside the charge it names those cards
and, when one of them predates rules Meta changed for every currency (a later card of another currency
with other rules, calculator.engine.staleness), says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ratecards.snapshots import Catalog
from calculator.engine.cards import CardInfo
from calculator.engine.staleness import StaleRules, stale_rules
from calculator.regimes import regime_title


@dataclass(frozen=True)
class UsedCard:
    card: CardInfo
    title: str  # its rules in a few words
    stale: StaleRules | None


def cards_of_month(catalog: Catalog, currency: str, month: date) -> list[UsedCard]:
    """The cards in force on some day of the month, in date order; each judged on its last day in it."""
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    infos = catalog.card_infos()
    own = sorted((i for i in infos if i.currency == currency), key=lambda i: i.effective_from)
    used = []
    for index, info in enumerate(own):
        ends = own[index + 1].effective_from - timedelta(days=1) if index + 1 < len(own) else date.max
        if info.effective_from <= last and ends >= month:
            judged_on = min(ends, last)
            used.append(UsedCard(info, regime_title(info.rules), stale_rules(info, judged_on, infos)))
    return used
