"""CSV exports of a month: the daily sums (what the dashboard shows), and every message, streamed."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from typing import Iterator

from .models import Message, Workspace, units_to_money
from .summary import daily

DAILY_HEADER = ["day", "market", "country", "category", "pricing_type", "outcome", "messages", "charge_usd",
                "list_price_usd"]  # amounts exact, to four decimals: they add up to the month's charge
MESSAGE_HEADER = ["message_id", "time_utc", "direction", "user", "business_phone_number_id", "market", "country",
                  "category", "pricing_type", "outcome", "tier", "charge_usd", "time_local"]  # time_local: in the workspace's zone


def month_csv(workspace: Workspace, month: date) -> str:
    """One row per day, market, country, category, type and outcome (amounts exact, not rounded)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DAILY_HEADER)
    rows = daily(workspace, month).order_by("day", "market", "category", "billing_type", "outcome")
    for row in rows.values_list("day", "market", "country", "category", "billing_type", "outcome", "messages",
                                "charge_units", "list_units"):
        day, market, country, category, pricing_type, outcome, messages, charge, list_units = row
        writer.writerow([day.isoformat(), market, country, category, pricing_type, outcome, messages,
                         units_to_money(charge), units_to_money(list_units)])
    return out.getvalue()


class _Line:
    """A file-like that hands back what csv.writer wrote, for streaming."""

    def write(self, text: str) -> str:
        return text


def message_rows(workspace: Workspace, month: date) -> Iterator[str]:
    """Every message of the month in time order, one CSV line each (charges to four decimals, unrounded)."""
    writer = csv.writer(_Line())
    tz = workspace.tz
    yield writer.writerow(MESSAGE_HEADER)
    rows = (Message.objects.filter(workspace=workspace, month=month).order_by("ts", "id")
            .values_list("wamid", "ts", "inbound", "contact", "phone_number_id", "market", "country", "category",
                         "billing_type", "outcome", "tier", "charge_units"))
    for wamid, ts, inbound, contact, phone, market, country, category, kind, outcome, tier, charge in \
            rows.iterator(chunk_size=5000):
        yield writer.writerow([wamid, datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                               "in" if inbound else "out", contact, phone, market, country, category, kind, outcome,
                               "" if tier is None else tier, units_to_money(charge),
                               datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S%z")])
