"""CSV exports of a month: the daily sums (what the dashboard shows), and every message, streamed."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime, timezone
from typing import Iterator

from pricing_site.spreadsheets import csv_writer

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
    """
    out = io.StringIO()
    writer = csv_writer(out)
    tz = workspace.tz
    writer.writerow(MESSAGE_HEADER)
    rows = (Message.objects.filter(workspace=workspace, month=month).order_by("ts", "id")
            .values_list("wamid", "ts", "inbound", "contact", "phone_number_id", "market", "country", "category",
                         "billing_type", "outcome", "tier", "charge_units"))
    written = 0
    try:
        for wamid, ts, inbound, contact, phone, market, country, category, kind, outcome, tier, charge in \
                rows.iterator(chunk_size=5000):
            writer.writerow([wamid, datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                             "in" if inbound else "out", contact, phone, market, country, category, kind, outcome,
                             "" if tier is None else tier, units_to_money(charge),
                             datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S%z")])
            written += 1
            if not written % ROWS_PER_CHUNK:
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
    yield out.getvalue()
