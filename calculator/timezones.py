"""IANA time zone names as settings and API fields: checked against the zone database, never a path.

Meta counts an account's month (volume tiers, the free service allowance) in the account's own time
zone, so workspaces and replays carry one. `zoneinfo.ZoneInfo` would also open files by relative path,
so a name is accepted only when it is in the list of known zones.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import timezone, tzinfo

from django.core.exceptions import ValidationError

MAX_LENGTH = 64
DEFAULT = "UTC"


@functools.lru_cache(maxsize=1)
def known_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone(name: str) -> tzinfo | None:
    """The zone of an IANA name like "Asia/Kolkata", or None when the name is not a known zone."""
    if not isinstance(name, str) or len(name) > MAX_LENGTH or name not in known_names():
        return None
    return timezone.utc if name == "UTC" else zoneinfo.ZoneInfo(name)


def problem(name: object) -> str | None:
    """Why a value is not a time zone name (None when it is one)."""
    if not isinstance(name, str) or not name:
        return 'must be an IANA time zone name, e.g. "Asia/Kolkata" or "UTC"'
    if zone(name) is None:
        shown = name if len(name) <= MAX_LENGTH else name[:MAX_LENGTH] + "…"
        return f"'{shown}' is not a known IANA time zone name (e.g. \"Asia/Kolkata\", \"America/Los_Angeles\", \"UTC\")"
    return None


def validate_timezone(value: str) -> None:
    """Model and form validator."""
    found = problem(value)
    if found is not None:
        raise ValidationError(found)
