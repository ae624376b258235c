"""Calls in the usage dashboard: Meta's Calling API webhooks read, stored per call, priced per month.

Meta sends a `calls` webhook (change field `calls`) when a call connects and when it terminates; the
terminate event carries the connected `duration` in seconds, `start_time` and `end_time`:

    {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "calls",
     "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "5511987654321",
               "phone_number_id": "1065"}, "calls": [{"id": "wacid.X", "from": "5511987654321",
               "to": "919800000001", "event": "terminate", "direction": "BUSINESS_INITIATED",
               "timestamp": "1793520300", "status": "COMPLETED", "start_time": "1793520244",
               "end_time": "1793520300", "duration": 56}]}}]}]}

Business-initiated calls are priced like messages are: by the market of the number called, with the
calling card in force on the call's day, tiers accrued per market and month in time order (a call that
crosses a tier boundary at the new rate). User-initiated calls are free. A user's call, or a user
accepting the business's call, opens the customer service window: each is also stored as a user
message (id `call:<call id>`), which the charges and the what-if replay already treat as the user
writing. Months and days are the account's (the workspace's time zone), as for messages; the minute
tiers are counted per business, market and month, as Meta accrues them: the workspaces (accounts) of one
`Business` share one ladder, each call counted in its own account's month (as messages are,
`usage.store.scope_of`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import phonenumbers

from calculator.calls_pricing import calling_card_in_force
from ratecards.snapshots import Catalog
from calculator.engine.calls import RECONSTRUCTED_NOTE, Call, CallLedger, excluded_business_countries
from calculator.engine.money import ZERO, round_money
from calculator.engine.markets import InvalidPhoneNumber

from .calls_models import CallRecord
from .models import Workspace
from .webhooks import RECEIVED, RecordError

BUSINESS = "business_initiated"
USER = "user_initiated"
DIRECTIONS = {"BUSINESS_INITIATED": BUSINESS, "USER_INITIATED": USER}
MAX_DURATION = 86_400 * 2  # seconds: longer is not a call we believe
CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class CallEvent:
    call_id: str
    event: str  # connect | terminate | other
    direction: str  # business_initiated | user_initiated | ""
    contact: str
    phone_number_id: str
    business_number: str
    ts: int
    start: int | None  # start_time of a terminate
    duration: int | None
    status: str


def parse_call_events(raw: bytes) -> list[CallEvent]:
    """The call events of one envelope (none when it has no `calls` change); RecordError when broken."""
    try:
        envelope = json.loads(raw)
    except ValueError as exc:
        raise RecordError(f"not JSON: {exc}") from None
    found = []
    for entry in envelope.get("entry") or ():
        for change in (entry.get("changes") or ()) if isinstance(entry, dict) else ():
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") != "calls" or not isinstance(value.get("calls"), list):
                continue
            metadata = value.get("metadata") or {}
            for call in value["calls"]:
                found.append(_event(call, metadata))
    return found


def _event(call: dict, metadata: dict) -> CallEvent:
    if not isinstance(call, dict) or not isinstance(call.get("id"), str) or not call["id"]:
        raise RecordError("a call needs its id")
    if any("\x00" in str(value) for value in (*call.values(), *metadata.values())):
        raise RecordError("a call holds a NUL character, which cannot be stored")
    where = f"call {call['id'][:60]!r}"
    direction = DIRECTIONS.get(str(call.get("direction") or "").upper(), "")
    business = _digits(metadata.get("display_phone_number"))
    sender, receiver = _digits(call.get("from")), _digits(call.get("to"))
    contact = receiver if direction == BUSINESS else sender
    if direction == "" and business:
        contact = receiver if sender == business else sender
    duration = call.get("duration")
    if duration is not None:
        try:
            duration = int(duration)
        except (TypeError, ValueError):
            raise RecordError(f"{where}: duration {duration!r} is not a number of seconds") from None
        if not 0 <= duration <= MAX_DURATION:
            raise RecordError(f"{where}: duration {duration} is out of range")
    start = call.get("start_time")
    return CallEvent(
        call_id=call["id"][:200], event=str(call.get("event") or "").lower(), direction=direction,
        contact=contact[:32], phone_number_id=str(metadata.get("phone_number_id") or "")[:40],
        business_number=business[:32], ts=_unix(call.get("timestamp"), where),
        start=_unix(start, where) if start not in (None, "") else None, duration=duration,
        status=str(call.get("status") or "").lower()[:20],
    )


def _digits(value) -> str:
    text = str(value or "").strip().replace(" ", "")
    return text[1:] if text.startswith("+") else text


def _unix(value, where: str) -> int:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise RecordError(f"{where}: timestamp {value!r} is not a Unix time") from None
    if not 0 < seconds < 2**40:
        raise RecordError(f"{where}: timestamp {value!r} is out of range")
    return seconds


def window_states(events: list[CallEvent]) -> list[list]:
    """Message states for calls that open the customer service window: a user's call (when it connects,
    answered or not) and a business call the user answered (when it started). In usage.webhooks' layout."""
    states = []
    for event in events:
        if event.direction == USER and event.event == "connect":
            at = event.ts
        elif event.direction == BUSINESS and event.event == "terminate" and (event.duration or 0) > 0:
            at = event.start or max(event.ts - (event.duration or 0), 1)
        else:
            continue
        states.append([f"call:{event.call_id}", True, event.contact, event.phone_number_id, at, at * 8, RECEIVED, 0,
                       "", None, "", "", "", False])
    return states


def store_call_events(workspace, events: list[CallEvent]) -> set[date]:
    """Merge events into one row per call (any order, any repetition); returns the months touched."""
    if not events:
        return set()
    workspace_id, tz = workspace.pk, workspace.tz
    by_id: dict[str, list[CallEvent]] = {}
    for event in events:
        by_id.setdefault(event.call_id, []).append(event)
    known = {row.call_id: row for row in CallRecord.objects.filter(workspace_id=workspace_id, call_id__in=list(by_id))}
    months: set[date] = set()
    new, changed = [], []
    for call_id, group in by_id.items():
        row = known.get(call_id)
        if row is None:
            row = CallRecord(workspace_id=workspace_id, call_id=call_id, ts=min(_start_of(e) for e in group),
                             month=date(1970, 1, 1))
            new.append(row)
        else:
            months.add(row.month)
            changed.append(row)
        for event in group:
            _merge(row, event)
        row.month = _month(row.ts, tz)
        months.add(row.month)
    CallRecord.objects.bulk_create(new)
    CallRecord.objects.bulk_update(changed, ["direction", "contact", "phone_number_id", "business_number", "ts",
                                             "month", "duration", "status"])
    return months


def _start_of(event: CallEvent) -> int:
    if event.start:
        return event.start
    if event.event == "terminate" and event.duration:
        return max(event.ts - event.duration, 1)
    return event.ts


def _merge(row: CallRecord, event: CallEvent) -> None:
    row.direction = row.direction or event.direction
    row.contact = row.contact or event.contact
    row.phone_number_id = row.phone_number_id or event.phone_number_id
    row.business_number = row.business_number or event.business_number
    row.ts = min(row.ts, _start_of(event))
    if event.event == "terminate":
        if event.duration is not None:
            row.duration = max(row.duration or 0, event.duration)
        row.status = event.status or row.status or "terminated"
    elif not row.status:
        row.status = event.event


def _month(ts: int, tz=timezone.utc) -> date:
    return datetime.fromtimestamp(ts, tz).date().replace(day=1)


def price_call_months(workspace_ids: list[int], months: set[date]) -> None:
    """Price every call of the months again, in time order, with the calling card of each call's day.

    `workspace_ids` are the accounts that share minute tiers (one business's, `usage.store.scope_of`):
    their calls of a month go through one ledger, each in its own account's time zone.
    """
    if not months:
        return
    catalog = Catalog()
    zones = {pk: Workspace(timezone=name).tz
             for pk, name in Workspace.objects.filter(pk__in=workspace_ids).values_list("pk", "timezone")}
    for month in sorted(months):
        rows = list(CallRecord.objects.filter(workspace_id__in=workspace_ids, month=month)
                    .order_by("ts", "workspace_id", "call_id"))
        ledger = CallLedger(card_for=lambda call: calling_card_in_force(catalog, CURRENCY, call.day),
                            excluded_on=lambda call: call.business_country in excluded_business_countries(call.day))
        for row in rows:
            _price(row, ledger, catalog, zones[row.workspace_id])
        CallRecord.objects.bulk_update(rows, ["market", "country", "pulses", "billed_minutes", "tier", "charge", "note"])


def redate_calls(workspace) -> set[date]:
    """After the workspace's time zone changed: every call's month again. Answers the months it had and has
    (the caller prices them again, with the rest of the business)."""
    rows = list(CallRecord.objects.filter(workspace_id=workspace.pk))
    months = {row.month for row in rows}
    for row in rows:
        row.month = _month(row.ts, workspace.tz)
    CallRecord.objects.bulk_update(rows, ["month"])
    return months | {row.month for row in rows}


def call_months(workspace_ids: list[int]) -> set[date]:
    return set(CallRecord.objects.filter(workspace_id__in=workspace_ids).values_list("month", flat=True).distinct())


@dataclass(frozen=True)
class _DatedCall(Call):
    day: date = date.min
    business_country: str | None = None


def _price(row: CallRecord, ledger: CallLedger, catalog: Catalog, tz) -> None:
    day = datetime.fromtimestamp(row.ts, tz).date()
    market_map = catalog.market_map(day)
    row.market = row.country = row.note = ""
    row.pulses, row.billed_minutes, row.tier, row.charge = 0, ZERO, None, ZERO
    try:
        found = market_map.resolve_phone("+" + row.contact) if row.contact else None
    except InvalidPhoneNumber:
        found = None
    if found is not None:
        row.market, row.country = found.market, found.country or ""
    if row.direction != BUSINESS:
        return  # user-initiated (free) or not known to be the business's call
    if found is None:
        row.note = "the called number is missing or not a phone number"
        return
    if row.duration is None:
        row.note = "no terminate event with the call's duration yet"
        return
    if row.duration == 0:
        row.note = "not answered: unanswered and rejected calls cost nothing"
        return
    business_country = business_number_country(row.business_number)
    priced = ledger.price(_DatedCall(row.market, f"{row.month:%Y-%m}", Decimal(row.duration), day, business_country))
    row.pulses, row.billed_minutes = priced.pulses, priced.minutes
    row.tier, row.charge, row.note = priced.tier, priced.amount, priced.reason[:200]


def business_number_country(digits: str) -> str | None:
    """The country of the business's own number; for a number phonenumbers does not know as valid (test
    numbers such as +1 555...), the main country of its calling code."""
    if not digits.isdigit():
        return None
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
        number.country_code)
    return None if region in (None, "ZZ", "001") else region


@dataclass
class CallsMarketMonth:
    market: str
    calls: int
    minutes: Decimal
    charge: Decimal


@dataclass
class CallsMonth:
    """A month's calls as the dashboard and the usage JSON show them (charge in USD)."""

    user_initiated: int
    user_seconds: int
    business_initiated: int
    business_priced: int
    billed_minutes: Decimal
    charge: Decimal
    by_market: list[CallsMarketMonth]
    not_priced: list[tuple[str, int]]  # (why, calls)
    note: str = RECONSTRUCTED_NOTE

    @property
    def any(self) -> bool:
        return bool(self.user_initiated or self.business_initiated)

    @property
    def rounded_charge(self) -> Decimal:
        return round_money(self.charge, CURRENCY)

    def as_json(self) -> dict:
        return {"user_initiated": {"calls": self.user_initiated, "seconds": self.user_seconds, "charge": "0.00"},
                "business_initiated": {"calls": self.business_initiated, "priced": self.business_priced,
                                       "billed_minutes": float(self.billed_minutes),
                                       "charge": str(self.rounded_charge)},
                "by_market": [{"market": m.market, "calls": m.calls, "billed_minutes": float(m.minutes),
                               "charge": str(round_money(m.charge, CURRENCY))} for m in self.by_market],
                "not_priced": [{"reason": why, "calls": n} for why, n in self.not_priced],
                "currency": CURRENCY, "note": self.note}


def month_calls(workspace_id: int, month: date) -> CallsMonth:
    rows = CallRecord.objects.filter(workspace_id=workspace_id, month=month).values_list(
        "direction", "duration", "market", "billed_minutes", "charge", "tier", "note")
    user = user_seconds = business = priced = 0
    minutes, charge = ZERO, ZERO
    markets: dict[str, CallsMarketMonth] = {}
    reasons: dict[str, int] = {}
    for direction, duration, market, billed, amount, tier, note in rows:
        if direction == USER:
            user += 1
            user_seconds += duration or 0
            continue
        if direction != BUSINESS:
            continue
        business += 1
        if tier is None:
            reasons[note or "not priced"] = reasons.get(note or "not priced", 0) + 1
            continue
        priced += 1
        minutes += billed
        charge += amount
        found = markets.setdefault(market, CallsMarketMonth(market, 0, ZERO, ZERO))
        found.calls += 1
        found.minutes += billed
        found.charge += amount
    return CallsMonth(user, user_seconds, business, priced, minutes, charge,
                      sorted(markets.values(), key=lambda m: (-m.charge, m.market)), sorted(reasons.items()))
