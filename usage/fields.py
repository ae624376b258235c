"""What a record may hold before it is written: every text fits its column and can be stored.

A value longer than its column, or holding a NUL (which PostgreSQL cannot store in text), would fail the
whole load's transaction when written; checked here, per record, it is reported with its line and
skipped like any other broken record (README: "broken lines are reported by line number and skipped").
Limits come from the models' max_length, so a migration that widens a column widens the check.
"""

from __future__ import annotations

from typing import Iterable

from pricing_site.edge import unstorable

from .models import AnalyticsPoint as AnalyticsPointRow
from .models import Message, TemplateCategoryChange
from .webhooks import (CONTACT, CONVERSATION, LAST_STATUS, PHONE, PRICE_CATEGORY, PRICE_TYPE, PRICING_MODEL,
                       TIER_EVENT, WAMID, ParsedAnalyticsPoint, CategoryChange, RecordError, TierSwitch)

LARGEST_BIGINT = 2**63 - 1


def _longest(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# (position in a message state, what Meta calls it, longest text its column takes)
STATE_TEXT = tuple((index, what, _longest(Message, column)) for index, what, column in (
    (WAMID, "message id", "wamid"), (CONTACT, "recipient_id (or from)", "contact"),
    (PHONE, "phone_number_id", "phone_number_id"), (LAST_STATUS, "status", "last_status"),
    (PRICING_MODEL, "pricing_model", "pricing_model"), (PRICE_TYPE, "pricing type", "price_type"),
    (PRICE_CATEGORY, "pricing category", "price_category"), (CONVERSATION, "conversation id", "conversation_id"),
))
CHANGE_TEXT = tuple((name, _longest(TemplateCategoryChange, name)) for name in (
    "template_id", "name", "language", "previous_category", "new_category"))
POINT_TEXT = tuple((name, _longest(AnalyticsPointRow, name)) for name in (
    "phone_number", "country", "pricing_type", "pricing_category", "tier"))


def _problem(what: str, text: str, longest: int) -> str | None:
    if len(text) > longest:
        return f"{what} is {len(text):,} characters long ({text[:24]!r}...); at most {longest} fit"
    reason = unstorable(text)
    return f"{what} {reason}" if reason else None


def check_envelope(states: list[list], changes: list[CategoryChange | TierSwitch], raw: bytes) -> None:
    """Raises RecordError naming the first value that cannot be stored."""
    # A NUL can only arrive escaped (a raw control character is not JSON), and msgspec refuses lone
    # surrogates: the scan for NULs runs only on the rare record whose bytes hold the escape.
    scan = b"\\u0000" in raw
    for state in states:
        for index, what, longest in STATE_TEXT:
            text = state[index]
            if len(text) > longest or (scan and "\x00" in text):
                raise RecordError(f"message {state[WAMID][:40]!r}: {_problem(what, text, longest)}")
    for change in changes:
        if type(change) is TierSwitch:
            _check_switch(change)
            continue
        for name, longest in CHANGE_TEXT:
            problem = _problem(f"template_category_update {name}", getattr(change, name), longest)
            if problem:
                raise RecordError(problem)


def _check_switch(switch: TierSwitch) -> None:
    """Tier webhooks: texts are cut to their columns where they are read; a NUL or a tier bound past
    BIGINT would still fail the load."""
    for name in ("account_id", "category", "region"):
        reason = unstorable(getattr(switch, name))
        if reason:
            raise RecordError(f"{TIER_EVENT} {name} {reason}")
    for name in ("tier_start", "tier_end"):
        bound = getattr(switch, name)
        if bound is not None and bound > LARGEST_BIGINT:
            raise RecordError(f"{TIER_EVENT} {name} {bound} is out of range (at most {LARGEST_BIGINT:,})")


def check_points(points: Iterable[ParsedAnalyticsPoint]) -> None:
    for number, point in enumerate(points):
        for name, longest in POINT_TEXT:
            problem = _problem(name, getattr(point, name), longest)
            if problem:
                raise RecordError(f"pricing_analytics data point {number + 1}: {problem}")
