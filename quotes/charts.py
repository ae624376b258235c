"""The quote's comparison chart as inline SVG, drawn on the server from the stored decimal strings.

WeasyPrint runs no JavaScript, so the PDF cannot use Plotly; the same SVG serves the page. Bar lengths
are Decimal fractions of the widest bar, written with one decimal place (pixels, not money).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from calculator.engine.vocabulary import grouped_number

WIDTH = 640
LABEL_WIDTH = 150
TITLE_HEIGHT = 20
BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 16
VALUE_ROOM = 110
PIXEL = Decimal("0.1")


@dataclass(frozen=True)
class Bar:
    label: str
    amount: Decimal
    text: str  # the amount as shown, e.g. "1,234.56 USD"
    kind: str  # "meta" or "provider": its colour (quotes.css and the fill below)


@dataclass(frozen=True)
class Group:
    title: str
    subtitle: str
    bars: tuple[Bar, ...]


FILLS = {"meta": "#8aa4b8", "provider": "#128c7e"}


def comparison_groups(result: dict, plan_label: str) -> tuple[Group, ...]:
    """One group per card priced (the quote's card first), with Meta's total and the provider's."""
    currency = result["currency"]
    groups = []
    for entry in result["comparison"]:
        bars = [Bar("Meta", Decimal(entry["meta_total"]), f"{grouped_number(entry['meta_total'])} {currency}", "meta")]
        if entry.get("provider_total") is not None:
            bars.append(Bar(plan_label, Decimal(entry["provider_total"]),
                            f"{grouped_number(entry['provider_total'])} {currency}", "provider"))
        groups.append(Group(entry["card"], entry["title"], tuple(bars)))
    return tuple(groups)




def bar_chart(groups: tuple[Group, ...], title: str) -> SafeString:
    widest = max((bar.amount for group in groups for bar in group.bars), default=Decimal(0))
    room = Decimal(WIDTH - LABEL_WIDTH - VALUE_ROOM)
    parts, y = [], 0
    for group in groups:
        heading = escape(group.title) + (f' <tspan font-weight="normal" fill="#52606d">· {escape(group.subtitle)}</tspan>'
                                         if group.subtitle else "")
        parts.append(f'<text class="chart-group" x="0" y="{y + 12}" font-size="12" font-weight="bold">{heading}</text>')
        y += TITLE_HEIGHT
        for index, bar in enumerate(group.bars):
            top = y + index * (BAR_HEIGHT + BAR_GAP)
            length = (bar.amount / widest * room).quantize(PIXEL) if widest > 0 else Decimal(0)
            length = max(length, Decimal(1)) if bar.amount > 0 else Decimal(0)
            parts.append(
                f'<text x="{LABEL_WIDTH - 8}" y="{top + 12}" font-size="11" text-anchor="end">{escape(bar.label)}</text>'
                f'<rect class="bar-{bar.kind}" x="{LABEL_WIDTH}" y="{top}" width="{length}" height="{BAR_HEIGHT}" '
                f'fill="{FILLS[bar.kind]}"/>'
                f'<text x="{LABEL_WIDTH + length + 6}" y="{top + 12}" font-size="11">{escape(bar.text)}</text>'
            )
        y += len(group.bars) * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP
    height = max(y, 1)
    svg = (f'<svg class="quote-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}" '
           f'font-family="DejaVu Sans, Arial, sans-serif"><title>{escape(title)}</title>{"".join(parts)}</svg>')
    return mark_safe(svg)
