"""The same month replayed under other pricing rules, with the engine's exact event-by-event replay.

Meta's webhooks give the business side of every timeline; inbound `messages` webhooks give the user
side (who wrote when, and who came from an ad). With both, `calculator.engine.replay` can price the month
under the conversation-based card, the 2025 per-message rules and the current rules. Without inbound
messages no customer service window can be rebuilt, and the page says so instead of guessing.

A replay of a big month takes seconds, so the result is stored on the month's summary and dropped
whenever the month's data change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from django.db import connection

from ratecards.snapshots import CardListing, Catalog
from calculator.engine.cards import CardSnapshot
from calculator.engine.replay import replay
from calculator.engine.timeline import Event, EventError, ReplayRequest, ReplayResult
from calculator.pricing import market_map_for
from calculator.regimes import describe_rules
from calculator.engine.markets import calling_code_of
from calculator.engine.vocabulary import category_label, counted

from .models import CURRENCY, Message, MonthSummary, Workspace
from .store import month_start_ts
from .summary import month_totals

TEMPLATE_CATEGORIES = ("marketing", "utility", "authentication", "authentication_international")
CONTEXT_SECONDS = 72 * 3600  # user messages this long before the month still open windows in it


@dataclass(frozen=True)
class WhatIfRegime:
    key: str
    label: str
    listing: CardListing


def regimes(catalog: Catalog, currency: str = CURRENCY) -> list[WhatIfRegime]:
    """The latest card of each rule set: conversation-based, 2025 per-message, and the current rules."""
    listings = [listing for listing in catalog.listings() if listing.currency == currency]
    if not listings:
        return []
    conversation = per_message_2025 = None
    for listing in listings:  # ascending by date: the last match is the latest
        rules = catalog.snapshot(listing.id).rules
        if rules.per_conversation:
            conversation = listing
        elif not rules.service_charged:
            per_message_2025 = listing
    found = []
    if conversation is not None:
        found.append(WhatIfRegime("conversation", "Conversation-based", conversation))
    if per_message_2025 is not None:
        found.append(WhatIfRegime("per_message_2025", "Per message, 2025 rules", per_message_2025))
    latest = listings[-1]
    if latest.id not in {regime.listing.id for regime in found}:
        found.append(WhatIfRegime("current", "Current rules", latest))
    else:
        found[-1] = WhatIfRegime("current", found[-1].label + " (current)", latest)
    return found


@dataclass(frozen=True)
class MonthEvents:
    events: tuple[Event, ...]
    inbound: int  # user messages in the month
    context: int  # user messages from the 72 hours before it, which open windows at its start
    assumed_free_form: int  # business messages without a template category, replayed as free-form
    unusable: int  # messages without a usable phone number, left out


def _usable(contact: str) -> bool:
    """Whether the engine can place a user: international digits under a calling code. Not validated
    against libphonenumber's ranges: Meta delivered to these numbers (Mexico's 521... wa_ids are not
    valid numbers to libphonenumber), and the engine places them by their country the same way."""
    return contact.isdigit() and 7 <= len(contact) <= 15 and contact.isascii() and calling_code_of(contact) is not None


def month_events(workspace: Workspace, month: date) -> MonthEvents:
    """The month's timeline as the engine's events: delivered business messages and user messages.

    Read with a plain cursor (a million rows through the ORM's iterator cost more than the replays).
    """
    start = month_start_ts(month, workspace.tz)
    table = Message._meta.db_table
    select = (f"SELECT ts, contact, CAST(inbound AS INTEGER), CAST(entry_point AS INTEGER), category FROM {table} "
              "WHERE workspace_id = %s AND "
              "month = %s AND ts >= %s AND {} ORDER BY ts, id")  # the month's index, then its time order
    adapt = connection.ops.adapt_datefield_value
    earlier = (month - timedelta(days=1)).replace(day=1)
    parts = ((select.format("ts < %s AND inbound"), [workspace.pk, adapt(earlier), start - CONTEXT_SECONDS, start],
              False),
             (select.format("outcome <> 'failed'"), [workspace.pk, adapt(month), start], True))
    events: list[Event] = []
    append = events.append
    inbound = {False: 0, True: 0}
    assumed = unusable = 0
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    with connection.cursor() as cursor:
        for sql, params, in_month in parts:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(20_000):
                for ts, contact, is_inbound, entry_point, category in rows:
                    if not _usable(contact):
                        unusable += 1  # no phone number the engine can place in a market
                        continue
                    at = epoch + timedelta(seconds=ts)
                    user = "+" + contact
                    if is_inbound:
                        append(Event(at, user, "user_message", entry_point=bool(entry_point)))
                        inbound[in_month] += 1
                    elif category in TEMPLATE_CATEGORIES:
                        append(Event(at, user, "template", category))
                    else:  # service, or a free entry point answer Meta gave no template category
                        append(Event(at, user, "message"))
                        assumed += category != "service"
    return MonthEvents(tuple(events), inbound[True], inbound[False], assumed, unusable)


def replay_month(catalog: Catalog, card: CardSnapshot, request: ReplayRequest) -> ReplayResult:
    """One regime: the whole month priced with one card (and the market mapping it can price)."""
    return replay(request, card, lambda day: market_map_for(catalog, card, day))


def compute(workspace: Workspace, month: date, catalog: Catalog | None = None) -> dict:
    """The what-if of a month as stored (JSON): each regime's total, by category, and what it rests on."""
    catalog = catalog or Catalog()
    summary = MonthSummary.objects.filter(workspace=workspace, month=month).first()
    totals = month_totals(workspace, month)
    base = {"month": month.isoformat(), "currency": CURRENCY, "actual": str(totals.charge), "regimes": []}
    timeline = month_events(workspace, month)
    if timeline.inbound == 0:
        return base | {"available": False, "reason": (
            "This month's data hold no inbound messages (users writing to the business), so the customer "
            "service windows and free entry points that decide what is free cannot be rebuilt. Load the full "
            "webhook export, with the `messages` webhooks, to compare pricing rules.")}
    request = ReplayRequest(timeline.events, business_country=workspace.business_country or None,
                            auth_international=workspace.auth_international,
                            business_phone_numbers=summary.phone_numbers if summary else 1, timezone=workspace.tz)
    for regime in regimes(catalog):
        card = catalog.snapshot(regime.listing.id)
        try:
            result = replay_month(catalog, card, request)
        except EventError as exc:  # never expected after the checks above; say so rather than fail the page
            return base | {"available": False, "regimes": [], "reason": (
                f"The month could not be replayed under {card.name}: {exc.message} "
                f"({timeline.events[exc.index].user} at {timeline.events[exc.index].at:%Y-%m-%d %H:%M} UTC).")}
        base["regimes"].append(_regime_json(regime, card, result))
    notes = []
    if timeline.context:
        notes.append(f"{counted(timeline.context, 'user message')} from the 72 hours before the month included, so "
                     "the windows they opened count at the start of the month.")
    if timeline.assumed_free_form:
        notes.append(f"{counted(timeline.assumed_free_form, 'business message')} without a template category (answers "
                     "inside a free entry point window) replayed as free-form replies.")
    if not workspace.auth_international:
        notes.append("The replays bill authentication at the authentication rate: this workspace is not marked "
                     "eligible for authentication-international rates (staff set it in the admin).")
    if timeline.unusable:
        notes.append(f"{counted(timeline.unusable, 'message')} without a usable phone number left out.")
    return base | {"available": True, "events": len(timeline.events), "inbound": timeline.inbound,
                   "notes": notes}


def _regime_json(regime: WhatIfRegime, card: CardSnapshot, result: ReplayResult) -> dict:
    types = result.by_type
    return {
        "key": regime.key, "label": regime.label, "card": card.name, "card_id": card.id,
        "pricing_model": card.rules.pricing_model, "rules": list(describe_rules(card.rules)),
        "total": str(result.total), "by_category": {k: str(v) for k, v in result.by_category.items()},
        "charged": dict(result.charged), "refused": types.get("refused", 0),
        "free": {kind: types.get(kind, 0) for kind in ("free_customer_service", "free_entry_point", "free_allowance",
                                                        "in_conversation")},
        "warnings": list(result.warnings),
    }


def cached(workspace: Workspace, month: date) -> dict | None:
    return MonthSummary.objects.filter(workspace=workspace, month=month).values_list("what_if", flat=True).first()


def what_if(workspace: Workspace, month: date) -> dict:
    """The stored what-if, computed (and stored) on first use."""
    found = cached(workspace, month)
    if found is None:
        found = compute(workspace, month)
        MonthSummary.objects.filter(workspace=workspace, month=month).update(what_if=found)
    return found


@dataclass(frozen=True)
class TableRow:
    key: str
    label: str
    card: str
    cells: tuple  # Decimal per column
    total: Decimal
    refused: int = 0


@dataclass(frozen=True)
class Table:
    columns: tuple[tuple[str, str], ...]  # (category, label), only categories with a charge somewhere
    actual: TableRow
    rows: tuple[TableRow, ...]


def table(stored: dict, totals) -> Table | None:
    """The stored what-if as rows of Decimals, with the month as Meta billed it (approximately) on top."""
    if not stored or not stored.get("available"):
        return None
    actual_by = {name: counts.charge for name, counts in totals.by_category.items()}
    used = [c for c in CATEGORY_COLUMNS if actual_by.get(c) or any(Decimal(r["by_category"].get(c, "0"))
                                                                       for r in stored["regimes"])]
    columns = tuple((c, category_label(c)) for c in used)
    actual = TableRow("actual", "As Meta billed it", "cards in force",
                      tuple(actual_by.get(c, Decimal(0)) for c in used), Decimal(stored["actual"]))
    rows = tuple(TableRow(r["key"], r["label"], r["card"], tuple(Decimal(r["by_category"].get(c, "0")) for c in used),
                          Decimal(r["total"]), r.get("refused", 0)) for r in stored["regimes"])
    return Table(columns, actual, rows)


CATEGORY_COLUMNS = ("marketing", "utility", "authentication", "authentication_international", "service")
