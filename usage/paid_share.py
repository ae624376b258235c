"""Whether the share of paid messages jumped: the last 7 days against the 28 days before them.

The paid share of a window is its paid messages over its delivered (counted) messages, from the daily
sums. A jump is a rise of at least `PAID_SHARE_RISE` percentage points, with at least
`MIN_SHARE_MESSAGES` delivered messages in each window (fewer say nothing). Used by the month page and
the daily digest (`usage.alerts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum

from .models import COUNTED_OUTCOMES, DailyUsage, Outcome, Workspace

PAID_SHARE_RISE = 5  # percentage points that make a rise in the paid share worth a warning
MIN_SHARE_MESSAGES = 50  # delivered messages each window needs before a jump in its paid share means anything
WEEK, BEFORE = 7, 28  # days: the week compared, and the days before it it is compared with


@dataclass(frozen=True)
class PaidShareJump:
    week: tuple[date, date]
    week_share: float
    before: tuple[date, date]
    before_share: float
    week_messages: int
    before_messages: int

    @property
    def points(self) -> float:
        return (self.week_share - self.before_share) * 100

    @property
    def jumped(self) -> bool:
        return self.points >= PAID_SHARE_RISE


def paid_share_jump(workspace: Workspace, until: date) -> PaidShareJump | None:
    """The paid share of the 7 days ending ``until`` against the 28 days before them (None: too few)."""
    start = until - timedelta(days=WEEK + BEFORE - 1)
    week_from = until - timedelta(days=WEEK - 1)
    rows = (DailyUsage.objects.filter(workspace=workspace, day__gte=start, day__lte=until,
                                      outcome__in=COUNTED_OUTCOMES)
            .values("day", "outcome").annotate(n=Sum("messages")).order_by())
    counts = {"week": [0, 0], "before": [0, 0]}  # [all, paid]
    for row in rows:
        window = counts["week" if row["day"] >= week_from else "before"]
        window[0] += row["n"]
        if row["outcome"] == Outcome.PAID:
            window[1] += row["n"]
    (week_all, week_paid), (before_all, before_paid) = counts["week"], counts["before"]
    if week_all < MIN_SHARE_MESSAGES or before_all < MIN_SHARE_MESSAGES:
        return None
    return PaidShareJump((week_from, until), week_paid / week_all, (start, week_from - timedelta(days=1)),
                         before_paid / before_all, week_all, before_all)
