"""The messages CSV's fast line formatter writes what a plain per-line strftime writes, in every kind of zone.

The export formats dates once an hour (issue 11, point 5: 821,553 lines inside the worker's timeout); these
tests compare it, second by second around daylight-saving switches, with the straightforward formatting
the export used before (datetime.fromtimestamp(...).strftime per line).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from usage.exports import _LineFormatter
from usage.models import units_to_money


def reference_line(row: tuple, tz) -> list[str]:
    wamid, ts, inbound, contact, phone, market, country, category, kind, outcome, tier, charge = row
    return [wamid, datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S"), "in" if inbound else "out",
            contact, phone, market, country, category, kind, outcome, "" if tier is None else tier,
            units_to_money(charge), datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S%z")]


def written(rows) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def row(ts: int, n: int = 0) -> tuple:
    return (f"wamid.{n}", ts, n % 5 == 0, "919876543210", "106540352242922", "India", "IN", "utility", "regular",
            "charged", (None, 0, 1)[n % 3], (0, 14, 123456789)[n % 3])


# Around each zone's switches of 2027 (UTC instants): whole-hour, half-hour, 45-minute, negative half-hour
# offsets, and Lord Howe's half-hour DST step.
SWITCHES = [
    ("America/Los_Angeles", ["2027-03-14T10:00:00", "2027-11-07T09:00:00"]),
    ("Europe/London", ["2027-03-28T01:00:00", "2027-10-31T01:00:00"]),
    ("America/St_Johns", ["2027-03-14T05:30:00", "2027-11-07T04:30:00"]),  # -03:30 / -02:30
    ("Australia/Lord_Howe", ["2027-04-03T15:00:00", "2027-10-02T15:30:00"]),  # +11:00 / +10:30
    ("Asia/Kolkata", ["2027-01-01T00:00:00"]),  # +05:30, no switch
    ("Asia/Kathmandu", ["2027-01-01T00:00:00"]),  # +05:45
    ("UTC", ["2027-01-01T00:00:00"]),
]


@pytest.mark.parametrize("zone, switches", SWITCHES)
def test_every_second_around_a_switch_is_written_as_per_line_formatting_writes_it(zone, switches):
    tz = ZoneInfo(zone)
    for switch in switches:
        at = int(datetime.fromisoformat(switch).replace(tzinfo=timezone.utc).timestamp())
        rows = [row(ts, n) for n, ts in enumerate(range(at - 2 * 3600, at + 2 * 3600, 7))]
        assert written(_LineFormatter(tz).lines(rows)) == written(reference_line(r, tz) for r in rows)


def test_a_month_of_scattered_times_is_written_as_before():
    tz = ZoneInfo("Asia/Kolkata")
    start = int(datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp())
    rows = [row(start + n * 2_678_399 // 5000, n) for n in range(5000)]  # spread over 31 days
    assert written(_LineFormatter(tz).lines(rows)) == written(reference_line(r, tz) for r in rows)


def test_webhook_text_that_starts_a_formula_is_quoted_and_the_rest_is_left_alone():
    tz = ZoneInfo("UTC")
    hostile = ("=HYPERLINK(\"http://x\")", 1798761600, False, "+4915", "@phone", "Germany", "DE", "-utility",
               "=regular", "charged", None, 0)  # "+4915" is a number, not a formula: the helper leaves it
    line = written(_LineFormatter(tz).lines([hostile]))
    assert line == ("\"'=HYPERLINK(\"\"http://x\"\")\",2027-01-01 00:00:00,out,+4915,'@phone,Germany,DE,"
                    "'-utility,'=regular,charged,,0.0000,2027-01-01 00:00:00+0000\r\n")
