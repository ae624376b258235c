"""A card's rate grid and tier tables as HTML, built in Python: ~700 tier rows through the template
engine took over a second per page (issue 15); this is the same markup in a few milliseconds.
Every value is escaped (`format_html`)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ratecards.grid import CardGrid


def _rate(value: Decimal | None) -> str:
    return "n/a" if value is None else str(value)


def rate_grid(grid: CardGrid, edit_url: str | None = None) -> SafeString:
    """One row per market, one column per category; with `edit_url`, each cell opens the one-rate editor."""
    head = format_html_join("", '<th class="num">{}</th>', ((label,) for _, label in grid.categories))
    rows = []
    for row in grid.rows:
        if edit_url:
            cells = format_html_join("", '<td class="num"><a href="{}?market={}&amp;category={}" title="Edit {} {}">{}</a></td>',
                                     ((edit_url, quote(row.market), code, row.market, code, _rate(rate))
                                      for code, rate in row.cells))
        else:
            cells = format_html_join("", '<td class="num">{}</td>', ((_rate(rate),) for _, rate in row.cells))
        rows.append(format_html("<tr><td>{}</td>{}</tr>", row.market, cells))
    return format_html('<div class="cmp-scroll"><table class="rate-grid" id="rate-grid"><thead><tr><th>Market</th>{}'
                       "</tr></thead><tbody>{}</tbody></table></div>", head, mark_safe("".join(rows)))


def tier_tables(grid: CardGrid) -> SafeString:
    """Per market with tiers: each category's steps (from, to, rate, against the list rate). Only the names
    are text; the other cells are numbers formatted here, so only the names are escaped (per table)."""
    parts = []
    for row in grid.rows:
        if not row.tiers:
            continue
        lines = []
        for category, tiers in row.tiers.items():
            label = escape(category)
            for index, tier in enumerate(tiers):
                percent = "" if tier.change_percent is None else f"{tier.change_percent} %"
                end = "--" if tier.end is None else f"{tier.end:,}"
                lines.append(f'<tr><td>{label if index == 0 else ""}</td><td class="num">{tier.start:,}</td>'
                             f'<td class="num">{end}</td><td class="num">{tier.rate}</td><td class="num">{percent}</td></tr>')
        parts.append(format_html(
            '<h4>{}</h4><div class="cmp-scroll"><table class="rate-grid tier-table"><thead><tr><th>Category</th>'
            '<th class="num">From</th><th class="num">To</th><th class="num">Rate</th><th class="num">vs. list rate</th>'
            "</tr></thead><tbody>{}</tbody></table></div>", row.market, mark_safe("".join(lines))))
    return mark_safe("".join(parts)) if parts else SafeString("No tiers.")
