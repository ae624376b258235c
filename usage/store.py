"""Writing messages fast and idempotently, then pricing them in time order and summing them per day.

`MessageWriter.write` upserts a batch of message states with
`INSERT ... ON CONFLICT (workspace_id, wamid) DO UPDATE ... WHERE <something new> RETURNING`: multi-row
VALUES on SQLite, COPY into a staging table then INSERT ... SELECT on PostgreSQL. The merge happens in
SQL (earliest time, latest status, latest pricing: generated from `usage.webhooks.MERGE_RULE`, which
`merge_state` applies in Python), and the WHERE clause leaves a row alone when the new state adds
nothing, so loading a file twice changes nothing and returns no rows. Merging is order-free (minimum, maximum, first non-empty), so a file loaded again
after others still changes nothing.

New rows are priced as they are written, in time order within the batch, with tier counts carried from
the rows already stored for the month. That is exact when the data arrive in time order, the usual case.
`finish` then makes every touched month exact whatever the order: rows that a merge may price
differently (an earlier time, a failure, other pricing) are marked `dirty`, and `reprice_month` walks the
month again from the earliest touched time (only paid and dirty rows, by time then message id), updating
just the rows whose price changed. Months whose counts never pass a tier bound, with no such merges and
no conversation-based messages, need no walk at all. Last, `rebuild_month` replaces the month's
`DailyUsage` rows with one SQL GROUP BY.

Meta counts volume tiers per business across its accounts, each message in its own account's month: a
workspace that belongs to a business is priced together with the business's other workspaces (its
`scope`). Their rows of month M (each in its own time zone) make one count, walked in time order;
`finish` then always walks the business's month from the earliest new message, and rebuilds the daily
sums of every workspace whose charges that moved.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone, tzinfo

from django.db import connection
from django.db.models import Count

from calculator.engine.cards import tier_group

from .charges import CONVERSATION_MODEL, PAID, MonthCounter, Pricer, price
from .models import DailyUsage, Message, MonthSummary, Outcome, Workspace
from .webhooks import (BILLABLE, CONTACT, CONVERSATION, ENTRY_POINT, INBOUND, LAST_STATUS, MERGE_RULE, PHONE,
                       PRICE_CATEGORY, PRICE_TYPE, PRICING_KEY, PRICING_MODEL, STATUS_KEY, STATUS_RANKS, TS, WAMID)

TABLE = Message._meta.db_table
DAILY = DailyUsage._meta.db_table
ROWS_PER_STATEMENT = 1000
PAGE = 5000
SQLITE_CACHE_KIB = 64 * 1024
FAILED_RANK = STATUS_RANKS["failed"]
CONVERSATION_REACH = 3 * 86400  # a conversation started this long before still covers a message

COLUMNS = ("workspace_id", "wamid", "inbound", "contact", "phone_number_id", "ts", "day", "month", "status_key",
           "last_status", "pricing_key", "pricing_model", "billable", "price_type", "price_category",
           "conversation_id", "entry_point", "dirty", "priced_month", "market", "country", "category",
           "billing_type", "outcome", "card_id", "tier", "charge_units", "list_units")


# The merge in SQL, generated from the one rule (`usage.webhooks.MERGE_RULE`): for each entry, the
# condition under which the incoming row's values win, and the columns it carries (the key last: every
# SET reads the row as it was). `day` and `month` are worked out from `ts` and go along with it.
STATE_COLUMNS = {TS: "ts", STATUS_KEY: "status_key", LAST_STATUS: "last_status", PRICING_KEY: "pricing_key",
                 PRICING_MODEL: "pricing_model", BILLABLE: "billable", PRICE_TYPE: "price_type",
                 PRICE_CATEGORY: "price_category", CONTACT: "contact", PHONE: "phone_number_id",
                 CONVERSATION: "conversation_id", ENTRY_POINT: "entry_point"}
WORKED_OUT_FROM = {"ts": ("day", "month")}
_WINS = {
    "earliest": "excluded.{key} < {table}.{key}",
    "newest": "excluded.{key} > {table}.{key}",
    "first": "({table}.{key} = '' AND excluded.{key} <> '')",
    "any": "(excluded.{key} AND NOT {table}.{key})",
}


def _merge_sql() -> tuple[list[str], list[str]]:
    """(SET assignments, the conditions under which the incoming row adds something)."""
    assignments, conditions = [], []
    for how, key, carried in MERGE_RULE:
        wins = _WINS[how].format(key=STATE_COLUMNS[key], table=TABLE)
        conditions.append(wins)
        columns = [c for position in carried for c in (*WORKED_OUT_FROM.get(STATE_COLUMNS[position], ()),
                                                        STATE_COLUMNS[position])]
        assignments += [f"{c} = CASE WHEN {wins} THEN excluded.{c} ELSE {TABLE}.{c} END" for c in columns]
    return assignments, conditions


_ASSIGNMENTS, _CONDITIONS = _merge_sql()
MERGE = ",\n  ".join(_ASSIGNMENTS + [f"dirty = CASE WHEN {{reprice}} THEN TRUE ELSE {TABLE}.dirty END"])
# A merge that can change what the message amounted to, or its place in the month's time order; a later
# `read` after `delivered` cannot, so it leaves the row priced as it is.
REPRICE = " OR ".join([
    f"excluded.ts < {TABLE}.ts",
    f"(excluded.status_key > {TABLE}.status_key AND "
    f"((excluded.status_key MOD 8 = {FAILED_RANK}) <> ({TABLE}.status_key MOD 8 = {FAILED_RANK})))",
    f"(excluded.pricing_key > {TABLE}.pricing_key AND ("
    + " OR ".join(f"excluded.{c} IS DISTINCT FROM {TABLE}.{c}"
                  for c in ("pricing_model", "billable", "price_type", "price_category")) + "))",
    *(f"({TABLE}.{c} = '' AND excluded.{c} <> '')" for c in ("contact", "conversation_id")),
])
MERGE = MERGE.replace("{reprice}", REPRICE)
SOMETHING_NEW = " OR ".join(_CONDITIONS)


@functools.lru_cache(maxsize=8)
def upsert_sql(rows: int, placeholder: str = "%s") -> str:
    row = "(" + ", ".join([placeholder] * len(COLUMNS)) + ")"
    # The modulo operator is "%", which the "%s" parameter style wants doubled.
    merge = MERGE.replace(" MOD ", " %% " if placeholder == "%s" else " % ")
    return (f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES {', '.join([row] * rows)}\n"
            f"ON CONFLICT (workspace_id, wamid) DO UPDATE SET\n  {merge}\nWHERE {SOMETHING_NEW}\n"
            f"RETURNING ts, dirty, CAST(priced_month AS TEXT)")


STAGE = "usage_message_stage"


@functools.lru_cache(maxsize=1)
def stage_upsert_sql() -> str:
    columns = ", ".join(COLUMNS)
    return (f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {STAGE} ORDER BY ts, wamid\n"
            f"ON CONFLICT (workspace_id, wamid) DO UPDATE SET\n  {MERGE.replace(' MOD ', ' % ')}\n"
            f"WHERE {SOMETHING_NEW}\nRETURNING ts, dirty, CAST(priced_month AS TEXT)")


@dataclass
class Touched:
    """A month some rows of which were added or changed: from when, and whether merges changed rows."""

    since: int
    merged: bool = False


@dataclass
class MonthFacts:
    """What the batches written into a month showed, beyond its rows."""

    counter: MonthCounter
    phones: set[str] = field(default_factory=set)
    conversations: bool = False


def scope_of(workspace_id: int) -> list[int]:
    """The workspaces whose charged messages share tier counts with this one: its business's, or itself."""
    business_id = Workspace.objects.filter(pk=workspace_id).values_list("business_id", flat=True).first()
    if business_id is None:
        return [workspace_id]
    return sorted(Workspace.objects.filter(business_id=business_id).values_list("pk", flat=True))


def pricers_for(workspace_ids: list[int], pricer: Pricer | None = None) -> dict[int, Pricer]:
    """One pricer per workspace, in its time zone (sharing one catalogue); `pricer` for its own zone."""
    found: dict[int, Pricer] = {}
    by_zone: dict[str, Pricer] = {}
    for pk, name in Workspace.objects.filter(pk__in=workspace_ids).values_list("pk", "timezone"):
        space = Workspace(timezone=name)
        zone_pricer = by_zone.get(name)
        if zone_pricer is None:
            if pricer is not None and pricer.tz == space.tz:
                zone_pricer = pricer
            else:
                zone_pricer = Pricer(pricer.catalog if pricer else None, tz=space.tz)
            by_zone[name] = zone_pricer
        found[pk] = zone_pricer
    return found


@dataclass
class MessageWriter:
    """Writes message states of one workspace, pricing new rows as it goes; `finish` makes months exact."""

    workspace_id: int
    pricer: Pricer = field(default_factory=Pricer)
    scope: list[int] = field(default_factory=list)  # the business's workspaces (filled in on first use)
    touched: dict[date, Touched] = field(default_factory=dict)
    changed: int = 0
    seen: set[date] = field(default_factory=set)  # months of every message written, changed or not
    _months: dict[date, MonthFacts] = field(default_factory=dict)
    _conversations: set[str] = field(default_factory=set)
    _dates: dict[int, tuple] = field(default_factory=dict)
    _cache_set: bool = False

    def write(self, states: list[list]) -> None:
        """Upsert message states (merged per id), pricing new ones in time order as they go."""
        states.sort(key=lambda s: (s[TS], s[WAMID]))
        if connection.vendor == "postgresql":
            self._copy(states)
            return
        if connection.vendor == "sqlite" and not self._cache_set:
            # SQLite's default page cache (2 MB) makes every index update of a big table a read from the OS.
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            self._cache_set = True
        placeholder = "?" if connection.vendor == "sqlite" else "%s"
        with connection.cursor() as cursor:
            # The driver's own cursor: no debug logging of 28,000 parameters, no placeholder rewriting.
            raw = connection.connection.cursor() if connection.vendor == "sqlite" else cursor.cursor
            for start in range(0, len(states), ROWS_PER_STATEMENT):
                chunk = states[start:start + ROWS_PER_STATEMENT]
                raw.execute(upsert_sql(len(chunk), placeholder), self._values(chunk))
                self._note(raw.fetchall())

    def _copy(self, states: list[list]) -> None:
        """PostgreSQL: COPY the batch into a session's staging table, then one INSERT ... SELECT upsert.

        (A multi-row VALUES statement with 28,000 placeholders costs psycopg more to parse than to run.)
        """
        values = self._values(states)
        width = len(COLUMNS)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} AS SELECT {', '.join(COLUMNS)} FROM {TABLE} "
                        "WITH NO DATA")
            raw.execute(f"TRUNCATE {STAGE}")
            with raw.copy(f"COPY {STAGE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for start in range(0, len(values), width):
                    copy.write_row(values[start:start + width])
            raw.execute(stage_upsert_sql())
            self._note(raw.fetchall())

    def _values(self, states: list[list]) -> list:
        values: list = []
        extend = values.extend
        derive, workspace_id, conversations = self.pricer.derive, self.workspace_id, self._conversations
        for s in states:
            ts = s[TS]
            day, month, month_date = self._date(ts)
            facts = self._months.get(month_date) or self._facts(month_date)
            derived = derive(s[INBOUND], s[CONTACT], ts, s[LAST_STATUS], s[PRICING_MODEL], s[BILLABLE], s[PRICE_TYPE],
                             s[PRICE_CATEGORY])
            if derived.outcome == PAID:
                tier, charge, list_units = price(derived, facts.counter, s[CONVERSATION], s[PRICING_MODEL],
                                                 conversations)
                ladder = derived.ladder
                card_id = ladder.card_id if ladder is not None else None
                if s[PRICING_MODEL] == CONVERSATION_MODEL:
                    facts.conversations = True
            else:
                tier = card_id = None
                charge = list_units = 0
            if s[PHONE] and not s[INBOUND]:
                facts.phones.add(s[PHONE])
            extend((workspace_id, s[WAMID], s[INBOUND], s[CONTACT], s[PHONE], ts, day, month, s[STATUS_KEY],
                    s[LAST_STATUS], s[PRICING_KEY], s[PRICING_MODEL], s[BILLABLE], s[PRICE_TYPE], s[PRICE_CATEGORY],
                    s[CONVERSATION], s[ENTRY_POINT], False, month, derived.market, derived.country, derived.category,
                    derived.billing_type, derived.outcome, card_id, tier, charge, list_units))
        return values

    def _date(self, ts: int) -> tuple:
        key = ts // self.pricer.slot
        found = self._dates.get(key)
        if found is None:
            on = self.pricer.day(ts).day
            adapt = connection.ops.adapt_datefield_value
            found = self._dates[key] = (adapt(on), adapt(on.replace(day=1)), on.replace(day=1))
        return found

    def _facts(self, month: date) -> MonthFacts:
        facts = self._months.get(month)
        if facts is None:
            self.seen.add(month)
            summary = MonthSummary.objects.filter(workspace_id=self.workspace_id, month=month).first()
            facts = self._months[month] = MonthFacts(MonthCounter(paid_counts(self._scope(), month)))
            if summary is not None:
                facts.phones.update(summary.phone_number_ids)
                facts.conversations = summary.conversation_based
        return facts

    def _note(self, returned: list[tuple]) -> None:
        """Remember which months the changed rows are in, from when, and whether any was merged."""
        self.changed += len(returned)
        touched = self.touched
        for ts, dirty, priced_month in returned:
            month = self.pricer.day(ts).month
            found = touched.get(month)
            if found is None:
                found = touched[month] = Touched(ts)
            elif ts < found.since:
                found.since = ts
            if dirty:
                found.merged = True
                priced_month = date.fromisoformat(priced_month[:10])
                if priced_month != month:  # an earlier status moved the message to another month
                    touched[priced_month] = Touched(0, merged=True)

    def _scope(self) -> list[int]:
        if not self.scope:
            self.scope = scope_of(self.workspace_id)
        return self.scope

    def finish(self) -> list[date]:
        """Reprice what needs it and rebuild the daily sums of every touched month."""
        months = sorted(self.touched)
        scope = self._scope()
        shared = len(scope) > 1
        for month in months:
            touched = self.touched[month]
            facts = self._facts(month)
            # Without merges, the counts written are the month's true counts: no tier passed, nothing to fix.
            # A business's other accounts may have later messages this month: their places move, always walk.
            moved: set[int] = set()
            if shared or touched.merged or facts.conversations or crosses_a_tier(facts.counter, month, self.pricer):
                moved = reprice_month(scope, month, touched.since, pricers_for(scope, self.pricer))
            rebuild_month(self.workspace_id, month, facts)
            for other in sorted(moved - {self.workspace_id}):
                rebuild_month(other, month)
        return months


def month_start_ts(month: date, tz: tzinfo = timezone.utc) -> int:
    """The Unix time a day (usually the first of a month) begins at in a time zone."""
    return int(datetime.combine(month, time(), tzinfo=tz).timestamp())


def paid_counts(workspace_ids: int | list[int], month: date, before: int | None = None) -> dict[tuple[str, str], int]:
    """Charged messages so far per market and tier group (authentication and -international share one).

    Over one workspace, or a business's workspaces (each row's `month` is its own account's month).
    """
    if isinstance(workspace_ids, int):
        workspace_ids = [workspace_ids]
    rows = Message.objects.filter(workspace_id__in=workspace_ids, month=month, outcome=Outcome.PAID)
    if before is not None:
        rows = rows.filter(ts__lt=before)
    counts: dict[tuple[str, str], int] = {}
    for market, category, n in rows.values_list("market", "category").annotate(n=Count("id")).order_by():
        key = (market, tier_group(category))
        counts[key] = counts.get(key, 0) + n
    return counts


def crosses_a_tier(counter: MonthCounter, month: date, pricer: Pricer) -> bool:
    """Whether any market's charged count passes the end of its first tier on a card in force that month."""
    start = month_start_ts(month, pricer.tz) + 43200  # noon: a day's every hour, whatever daylight saving does
    days = [pricer.day(start + d * 86400) for d in range(31)]
    cards = {day.card for day in days if day.month == month and day.card is not None}
    for (market, group), count in counter.counts.items():
        for card in cards:
            for category in (group, "authentication_international") if group == "authentication" else (group,):
                ladder = pricer.ladder(card, market, category)
                if ladder is not None and ladder.counted and count > ladder.ends[0]:
                    return True
    return False


READ = ("id", "workspace_id", "wamid", "ts", "inbound", "contact", "last_status", "pricing_model", "billable",
        "price_type", "price_category", "conversation_id", "dirty", "market", "country", "category", "billing_type",
        "outcome", "card_id", "tier", "charge_units", "list_units")
UPDATE = (f"UPDATE {TABLE} SET market = %s, country = %s, category = %s, billing_type = %s, outcome = %s, "
          "card_id = %s, tier = %s, charge_units = %s, list_units = %s, dirty = FALSE, priced_month = month "
          "WHERE id = %s")


def reprice_month(workspace_ids: int | list[int], month: date, since: int,
                  pricers: Pricer | dict[int, Pricer]) -> set[int]:
    """Walk a month's paid and changed messages from `since` in time order; fix those priced wrongly.

    Over one workspace or a business's workspaces (`scope_of`), each priced in its own time zone; answers
    which workspaces had rows fixed.
    """
    if isinstance(workspace_ids, int):
        workspace_ids = [workspace_ids]
    if not isinstance(pricers, dict):
        pricers = dict.fromkeys(workspace_ids, pricers)
    in_scope = Message.objects.filter(workspace_id__in=workspace_ids)
    dirty_since = in_scope.filter(month=month, dirty=True).order_by("ts").values_list("ts", flat=True).first()
    if dirty_since is not None:
        since = min(since, dirty_since)
    counter = MonthCounter(paid_counts(workspace_ids, month, before=since))
    conversations = set(
        in_scope.filter(ts__gte=since - CONVERSATION_REACH, ts__lt=since, pricing_model=CONVERSATION_MODEL,
                        outcome=Outcome.PAID)
        .exclude(conversation_id="").values_list("conversation_id", flat=True).distinct()
    )
    ids = ", ".join(str(int(pk)) for pk in workspace_ids)
    select = (f"SELECT {', '.join(READ)} FROM {TABLE} WHERE workspace_id IN ({ids}) AND month = %s AND "
              "(outcome = 'paid' OR dirty) AND (ts > %s OR (ts = %s AND (wamid > %s OR "
              f"(wamid = %s AND workspace_id > %s)))) ORDER BY ts, wamid, workspace_id LIMIT {PAGE}")
    month_value = connection.ops.adapt_datefield_value(month)
    after_ts, after_id, after_space = since - 1, "", 0
    fixed: set[int] = set()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        while True:
            raw.execute(select, [month_value, after_ts, after_ts, after_id, after_id, after_space])
            page = raw.fetchall()
            if not page:
                break
            updates = []
            for (pk, space, wamid, ts, inbound, contact, last_status, model, billable, price_type, price_category,
                 conversation, dirty, *stored) in page:
                derived = pricers[space].derive(bool(inbound), contact, ts, last_status, model,
                                                None if billable is None else bool(billable), price_type,
                                                price_category)
                tier, charge, list_units = price(derived, counter, conversation, model, conversations)
                ladder = derived.ladder
                new = [derived.market, derived.country, derived.category, derived.billing_type, derived.outcome,
                       ladder.card_id if ladder else None, tier, charge, list_units]
                if dirty or new != stored:
                    updates.append((*new, pk))
                    fixed.add(space)
            if updates:
                raw.executemany(UPDATE, updates)
            after_ts, after_id, after_space = page[-1][3], page[-1][2], page[-1][1]
    return fixed


def rebuild_month(workspace_id: int, month: date, facts: MonthFacts | None = None) -> None:
    """The month's daily sums (one GROUP BY over its rows) and summary; the cached what-if is dropped."""
    month_value = connection.ops.adapt_datefield_value(month)
    keys = "day, market, country, category, billing_type, outcome"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DAILY} WHERE workspace_id = %s AND month = %s", [workspace_id, month_value])
        cursor.execute(
            f"INSERT INTO {DAILY} (workspace_id, month, {keys}, messages, charge_units, list_units, unpriced) "
            f"SELECT workspace_id, month, {keys}, COUNT(*), SUM(charge_units), SUM(list_units), "
            f"SUM(CASE WHEN outcome = 'paid' AND card_id IS NULL THEN 1 ELSE 0 END) "
            f"FROM {TABLE} WHERE workspace_id = %s AND month = %s GROUP BY workspace_id, month, {keys}",
            [workspace_id, month_value],
        )
    if not DailyUsage.objects.filter(workspace_id=workspace_id, month=month).exists():
        MonthSummary.objects.filter(workspace_id=workspace_id, month=month).delete()
        return
    defaults: dict = {"what_if": None}
    if facts is not None:
        defaults |= {"phone_number_ids": sorted(facts.phones), "conversation_based": facts.conversations}
    MonthSummary.objects.update_or_create(workspace_id=workspace_id, month=month, defaults=defaults)
