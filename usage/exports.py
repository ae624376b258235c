"""CSV exports of a month: the daily sums (what the dashboard shows), and every message, streamed."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime, timezone, tzinfo
from itertools import islice
from typing import Iterator

from pricing_site.spreadsheets import FORMULA_STARTS, csv_writer, prechecked_csv_writer, spreadsheet_safe

from .models import Message, Workspace, units_to_money
from .summary import daily

logger = logging.getLogger(__name__)
ROWS_PER_CHUNK = 2_000  # lines handed to the server at once (about 250 KB)
DAILY_HEADER = ["day", "market", "country", "category", "pricing_type", "outcome", "messages", "charge_usd",
                "list_price_usd"]  # amounts exact, to four decimals: they add up to the month's charge
MESSAGE_HEADER = ["message_id", "time_utc", "direction", "user", "business_phone_number_id", "market", "country",
                  "category", "pricing_type", "outcome", "tier", "charge_usd", "time_local"]  # time_local: in the workspace's zone


def month_csv(workspace: Workspace, month: date) -> str:
    """One row per day, market, country, category, type and outcome (amounts exact, not rounded)."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(DAILY_HEADER)
    rows = daily(workspace, month).order_by("day", "market", "category", "billing_type", "outcome")
    for row in rows.values_list("day", "market", "country", "category", "billing_type", "outcome", "messages",
                                "charge_units", "list_units"):
        day, market, country, category, pricing_type, outcome, messages, charge, list_units = row
        writer.writerow([day.isoformat(), market, country, category, pricing_type, outcome, messages,
                         units_to_money(charge), units_to_money(list_units)])
    return out.getvalue()


def message_rows(workspace: Workspace, month: date) -> Iterator[str]:
    """Every message of the month in time order, one CSV line each (charges to four decimals, unrounded).

    Lines go out ROWS_PER_CHUNK at a time: one write a line kept a worker writing 821,553 lines for
    longer than its timeout, which cut the download short with a 200. The status is sent before the
    rows, so a failure midway (the database gone, say) cannot change it: the last line then says the
    export is incomplete, and the error is logged.

    Formatting is the cost (821,553 lines had to fit well inside the worker's 30 s): rows come as plain
    tuples from a server-side cursor on PostgreSQL, the date and hour of a time are formatted once an hour,
    amounts once per distinct charge (`_LineFormatter`), and each chunk goes through one `writerows` call.
    """
    out = io.StringIO()
    writer = prechecked_csv_writer(out)  # `_LineFormatter` makes the webhook's text cells safe
    writer.writerow(MESSAGE_HEADER)
    rows = (Message.objects.filter(workspace=workspace, month=month).order_by("ts", "id")
            .values_list("wamid", "ts", "inbound", "contact", "phone_number_id", "market", "country", "category",
                         "billing_type", "outcome", "tier", "charge_units"))
    lines = _LineFormatter(workspace.tz).lines
    written = 0
    try:
        stream = rows.iterator(chunk_size=ROWS_PER_CHUNK)
        while chunk := list(islice(stream, ROWS_PER_CHUNK)):
            writer.writerows(lines(chunk))
            written += len(chunk)
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    except (Exception, SystemExit) as exc:  # SystemExit: how gunicorn stops a worker past its timeout
        logger.exception("messages export of %s %s stopped after %d lines", workspace.slug, month, written)
        yield out.getvalue()
        yield (f"EXPORT INCOMPLETE: the export stopped after {written:,} messages because of an error on our "
               "side; download it again\n")
        if isinstance(exc, SystemExit):
            raise exc  # the worker still stops; the download has said it is cut short
        return
    yield out.getvalue()  # the header alone when the month has no messages


_MINUTES_SECONDS = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]  # "MM:SS" by second of the hour
_FORMULA_STARTS = frozenset(FORMULA_STARTS)  # a cell starting otherwise needs no look


class _LineFormatter:
    """Message rows (as `message_rows` selects them) to the cells of their CSV lines, fast.

    An hour's texts are made once: the UTC and local "YYYY-MM-DD HH:" (two local ones when the zone's
    offset is not whole hours, as in India, so the local hour changes within the UTC hour) and the offset;
    an hour in which the offset changes (a DST switch) is formatted line by line. Amounts are made once per
    distinct charge. The site's CSV helper (`spreadsheet_safe`) is applied here, not by `csv_writer` on every
    cell: only text that came in a webhook (message id, user, business number, category, pricing type) can
    start a formula (times, amounts, tiers are ours; markets, countries, outcomes come from our cards and
    choices), and it is called only for a cell that starts like one (a set lookup per cell).
    """

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.hours: dict[int, tuple[str, str, str, str, int] | None] = {}
        self.amounts: dict[int, str] = {}

    def _hour(self, hour: int) -> tuple[str, str, str, str, int] | None:
        start = hour * 3600
        local = datetime.fromtimestamp(start, self.tz)
        offset = local.utcoffset()
        if offset != datetime.fromtimestamp(start + 3599, self.tz).utcoffset() or offset.total_seconds() % 60:
            return None
        shift = int(offset.total_seconds()) % 3600  # seconds from the UTC hour's start to the local hour's
        next_local = datetime.fromtimestamp(start + 3600 - shift, self.tz) if shift else local
        return (datetime.fromtimestamp(start, timezone.utc).strftime("%Y-%m-%d %H:"), local.strftime("%Y-%m-%d %H:"),
                next_local.strftime("%Y-%m-%d %H:"), local.strftime("%z"), shift)

    def lines(self, rows: list[tuple]) -> list[tuple]:
        hours, amounts, tz, utc, clock, risky = self.hours, self.amounts, self.tz, timezone.utc, _MINUTES_SECONDS, \
            _FORMULA_STARTS
        lines = []
        add = lines.append
        for wamid, ts, inbound, contact, phone, market, country, category, kind, outcome, tier, charge in rows:
            hour, second = divmod(ts, 3600)
            try:
                texts = hours[hour]
            except KeyError:
                texts = hours[hour] = self._hour(hour)
            if texts is None:
                time_utc = datetime.fromtimestamp(ts, utc).strftime("%Y-%m-%d %H:%M:%S")
                time_local = datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S%z")
            else:
                utc_hour, local_hour, next_local_hour, zone_offset, shift = texts
                time_utc = utc_hour + clock[second]
                second += shift
                time_local = (local_hour + clock[second] if second < 3600 else next_local_hour + clock[second - 3600]) \
                    + zone_offset
            try:
                amount = amounts[charge]
            except KeyError:
                amount = amounts[charge] = str(units_to_money(charge))
            if wamid[:1] in risky:
                wamid = spreadsheet_safe(wamid)
            if contact[:1] in risky:
                contact = spreadsheet_safe(contact)
            if phone[:1] in risky:
                phone = spreadsheet_safe(phone)
            if category[:1] in risky:
                category = spreadsheet_safe(category)
            if kind[:1] in risky:
                kind = spreadsheet_safe(kind)
            add((wamid, time_utc, "in" if inbound else "out", contact, phone, market, country, category, kind,
                 outcome, "" if tier is None else tier, amount, time_local))
        return lines
