"""Meta's own tier switches (`VOLUME_BASED_PRICING_TIER_UPDATE` webhooks) next to ours.

Meta announces, per account, the moment the business reached a new volume tier in a market and category
for a month. Duplicates describe the same switch: the smallest `tier_update_time` counts. Our switch into
tier k is the time of the first message of the month (across the business's accounts) that we charged at
tier k or above. The two are compared per market, tier group and tier; a switch only one side has, or
times further apart than `SWITCH_TOLERANCE`, is flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from django.db.models import Min

from calculator.engine.cards import tier_group
from calculator.engine.vocabulary import tier_step
from ratecards.models import Market

from .charges import Ladder
from .models import Message, Outcome, TierUpdate, Workspace
from .webhooks import TierSwitch

SWITCH_TOLERANCE = 3600  # seconds: Meta stamps its switch when it processes the message, not when it was sent


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name).strip().casefold()


def market_names() -> dict[str, str]:
    """Our markets by a loose form of their name, to read Meta's `region` ("INDIA", "Rest_of_Africa")."""
    return {_key(name): name for name in Market.objects.values_list("name", flat=True)}


def store_switches(workspace: Workspace, switches: list[TierSwitch]) -> int:
    """Keep Meta's tier switches: one row per switch, its smallest tier_update_time. Answers new rows."""
    merged: dict[tuple, list] = {}
    for s in switches:
        key = (s.category, s.region, s.effective_month, s.tier_start)
        found = merged.get(key)
        if found is None:
            merged[key] = [s, 1]
        else:
            found[1] += 1
            if s.tier_update_time < found[0].tier_update_time:
                found[0] = s
    if not merged:
        return 0
    markets = market_names()
    added = 0
    for (category, region, month, start), (switch, copies) in merged.items():
        row = TierUpdate.objects.filter(workspace=workspace, category=category, region=region,
                                        effective_month=month, tier_start=start).first()
        if row is None:
            TierUpdate.objects.create(
                workspace=workspace, account_id=switch.account_id, category=category, region=region,
                market=markets.get(_key(region), ""), effective_month=month, tier_start=start,
                tier_end=switch.tier_end, tier_update_time=switch.tier_update_time, copies=copies)
            added += 1
            continue
        row.copies += copies
        if switch.tier_update_time < row.tier_update_time:
            row.tier_update_time, row.tier_end = switch.tier_update_time, switch.tier_end
        row.save(update_fields=["copies", "tier_update_time", "tier_end"])
    return added


@dataclass(frozen=True)
class Switch:
    tier: int  # index in the card's ladder (0: list rate)
    at: datetime  # in the account's time zone
    steps: int  # the ladder's length, the list rate included

    @property
    def text(self) -> str:
        """"step 2 of 4 from 14 Jan 09:12": the one tier wording (calculator/engine/vocabulary.py); the time
        formatted here, not by the template's date filter (which would show it in the site's zone)."""
        return f"{tier_step(self.tier, self.steps)} from {self.at:%-d %b %H:%M}"


@dataclass(frozen=True)
class SwitchCheck:
    """One tier of one market and group: Meta's switch into it, ours, and whether they differ."""

    tier: int  # index in the card's ladder (0: list rate); -1 where Meta's bounds are not the card's
    meta: datetime | None
    ours: datetime | None
    bounds_known: bool = True  # Meta's lower bound is one of the card's tier starts
    steps: int = 0  # the ladder's length, the list rate included

    @property
    def differs(self) -> bool:
        if self.meta is None or self.ours is None or not self.bounds_known:
            return True
        return abs((self.meta - self.ours).total_seconds()) > SWITCH_TOLERANCE

    @property
    def text(self) -> str:
        meta = f"Meta {self.meta:%-d %b %H:%M}" if self.meta else "Meta: no switch"
        ours = f"ours {self.ours:%-d %b %H:%M}" if self.ours else "ours: not reached"
        step = tier_step(self.tier, self.steps) if self.bounds_known else "a step the card does not have"
        return f"{step}: {meta}, {ours}"


def meta_switches(scope: list[int], month: date) -> dict[tuple[str, str], list[TierUpdate]]:
    """Meta's switches of a business-month per (market, tier group), earliest duplicate across accounts."""
    found: dict[tuple[str, str], dict[int, TierUpdate]] = {}
    for row in TierUpdate.objects.filter(workspace_id__in=scope, effective_month=month).order_by("tier_update_time"):
        group = found.setdefault((row.market or row.region, tier_group(row.category)), {})
        group.setdefault(row.tier_start, row)  # ordered by time: the first is the smallest tier_update_time
    return {key: sorted(rows.values(), key=lambda r: r.tier_start) for key, rows in found.items()}


def our_switches(scope: list[int], month: date) -> dict[tuple[str, str], dict[int, int]]:
    """Our switches: per (market, tier group), tier -> Unix time of the first message charged at it or above."""
    rows = (Message.objects.filter(workspace_id__in=scope, month=month, outcome=Outcome.PAID, tier__gte=1)
            .values("market", "category", "tier").annotate(first=Min("ts")).order_by())
    found: dict[tuple[str, str], dict[int, int]] = {}
    for row in rows:
        group = found.setdefault((row["market"], tier_group(row["category"])), {})
        tier = row["tier"]
        group[tier] = min(group.get(tier, row["first"]), row["first"])
    for group in found.values():  # into tier k at the first message at k or above
        earliest = None
        for tier in sorted(group, reverse=True):
            earliest = group[tier] if earliest is None else min(earliest, group[tier])
            group[tier] = earliest
    return found


def tier_of(ladder: Ladder, start: int) -> int | None:
    """The ladder index whose first message is `start` (Meta's inclusive lower bound)."""
    if start in (0, 1):
        return 0
    starts = tuple(end + 1 for end in ladder.ends[:-1] if end is not None)
    return starts.index(start) + 1 if start in starts else None


def checks(meta: list[TierUpdate], ours: dict[int, int], ladder: Ladder, tz: tzinfo) -> list[SwitchCheck]:
    """Meta's and our switches of one market and group, tier by tier."""
    found: dict[int, SwitchCheck] = {}
    unknown = []
    steps = len(ladder.units)
    for row in meta:
        tier = tier_of(ladder, row.tier_start)
        if tier is None:
            unknown.append(SwitchCheck(-1, datetime.fromtimestamp(row.tier_update_time, tz), None, False, steps))
            continue
        ts = ours.get(tier)
        found[tier] = SwitchCheck(tier, datetime.fromtimestamp(row.tier_update_time, tz),
                                  datetime.fromtimestamp(ts, tz) if ts is not None else None, steps=steps)
    for tier, ts in ours.items():
        if tier not in found:
            found[tier] = SwitchCheck(tier, None, datetime.fromtimestamp(ts, tz), steps=steps)
    return [found[t] for t in sorted(found)] + unknown
