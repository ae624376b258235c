"""Meta's own figures (a `pricing_analytics` response) next to ours, per country, category and type.

Meta's volumes and costs are what it billed; ours are counted from the webhooks and priced with the cards.
A difference in volume usually means missing or duplicated webhooks; a difference in cost with equal
volumes means a rate or tier that differs from the card (or a card that is out of date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from calculator.engine.money import round_money

from .charges import billed_category
from .models import COUNTED_OUTCOMES, CURRENCY, AnalyticsPoint, DailyUsage, Workspace, units_to_money
from .summary import category_rank

TYPE_LABELS = {"regular": "regular (paid)", "free_customer_service": "free customer service",
               "free_entry_point": "free entry point"}
SHOWN = 12  # lines shown before "the other lines"
ZERO = Decimal(0)


@dataclass
class Line:
    country: str
    category: str
    type: str
    meta_volume: int = 0
    meta_cost: Decimal = ZERO
    our_volume: int = 0
    our_cost: Decimal = ZERO

    @property
    def volume_difference(self) -> int:
        return self.our_volume - self.meta_volume

    @property
    def cost_difference(self) -> Decimal:
        return self.our_cost - self.meta_cost

    @property
    def volume_difference_text(self) -> str:
        return f"{self.volume_difference:+,}".replace("-", "\u2212")  # the minus sign money differences use

    @property
    def volume_differs(self) -> bool:
        return self.volume_difference != 0

    @property
    def cost_differs(self) -> bool:
        return round_money(self.cost_difference, CURRENCY) != 0

    @property
    def differs(self) -> bool:
        return self.volume_differs or self.cost_differs

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type.replace("_", " ") or "—")


@dataclass
class Reconciliation:
    month: date
    lines: list[Line]
    total: Line

    @property
    def differences(self) -> int:
        return sum(1 for line in self.lines if line.differs)

    @property
    def by_difference(self) -> list[Line]:
        """Largest differences first (cost, then volume); lines that match last."""
        return sorted(self.lines, key=lambda l: (not l.differs, -abs(l.cost_difference), -abs(l.volume_difference)))

    @property
    def first(self) -> list[Line]:
        return self.by_difference[:SHOWN]

    @property
    def rest(self) -> list[Line]:
        return self.by_difference[SHOWN:]


def reconcile(workspace: Workspace, month: date) -> Reconciliation | None:
    """None when no pricing_analytics data cover the month."""
    points = (AnalyticsPoint.objects.filter(workspace=workspace, month=month)
              .values("country", "pricing_category", "pricing_type").annotate(v=Sum("volume"), c=Sum("cost")).order_by())
    if not points:
        return None
    lines: dict[tuple[str, str, str], Line] = {}
    for row in points:
        key = (row["country"], billed_category(row["pricing_category"]), row["pricing_type"])
        line = lines.setdefault(key, Line(*key))
        line.meta_volume += row["v"] or 0
        line.meta_cost += Decimal(row["c"] or 0)
    ours = (DailyUsage.objects.filter(workspace=workspace, month=month, outcome__in=COUNTED_OUTCOMES)
            .values("country", "category", "billing_type").annotate(v=Sum("messages"), c=Sum("charge_units")).order_by())
    for row in ours:
        key = (row["country"], row["category"], row["billing_type"])
        line = lines.setdefault(key, Line(*key))
        line.our_volume += row["v"]
        line.our_cost += units_to_money(row["c"])
    ordered = sorted(lines.values(), key=lambda l: (l.country or "~", category_rank(l.category), l.type))
    total = Line("", "", "", sum(l.meta_volume for l in ordered), sum((l.meta_cost for l in ordered), ZERO),
                 sum(l.our_volume for l in ordered), sum((l.our_cost for l in ordered), ZERO))
    return Reconciliation(month, ordered, total)
