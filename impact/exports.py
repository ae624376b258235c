"""The impact report as CSV (the site's formula-safe writer) and as each person's lines for the e-mail."""

from __future__ import annotations

import io
from decimal import Decimal

from impact.report import ImpactReport

HEADER = ["section", "owner", "customer or workspace", "reference or month", "status", "currency",
          "saved or before", "on the new card", "change", "change %", "note"]


def _cell(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def _signed(value: Decimal | None) -> str:
    return "" if value is None else (f"+{value}" if value > 0 else str(value))


def rows(report: ImpactReport):
    yield HEADER
    for line in report.quotes:
        quote = line.quote
        yield ["quote", quote.owner.get_username(), quote.customer, quote.reference, quote.status, line.currency,
               _cell(line.saved), _cell(line.new), _cell(line.change), _cell(line.percent), line.problem]
    for line in report.workspaces:
        yield ["workspace", "", line.workspace.name, f"{line.month:%Y-%m}", "", line.currency, _cell(line.before),
               _cell(line.new), _cell(line.change), _cell(line.percent), line.problem or f"before: {line.card_name}"]
    for section, totals in (("quotes total", report.quote_totals), ("workspaces total", report.workspace_totals)):
        for total in totals:
            yield [section, "", "", "", "", total.currency, _cell(total.before), _cell(total.new), _cell(total.change),
                   _cell(total.percent), f"{total.count} priced"]


def report_csv(report: ImpactReport, writer_for) -> str:
    buffer = io.StringIO()
    writer_for(buffer).writerows(rows(report))
    return buffer.getvalue()


def quote_text(line) -> str:
    quote = line.quote
    if line.new is None:
        return f"- {quote.reference} {quote.customer}: {line.currency} {line.saved} saved; not priced: {line.problem}"
    share = "" if line.percent is None else f", {_signed(line.percent)} %"
    return (f"- {quote.reference} {quote.customer} ({quote.get_status_display().lower()}): {line.currency} "
            f"{line.saved} saved, {line.new} on the new card ({_signed(line.change)}{share})")


def workspace_text(line) -> str:
    if line.change is None:
        return f"- {line.workspace.name}, {line.month:%B %Y}: {line.problem}"
    share = "" if line.percent is None else f", {_signed(line.percent)} %"
    return (f"- {line.workspace.name}, {line.month:%B %Y}: {line.currency} {line.before} on {line.card_name}, "
            f"{line.new} on the new card ({_signed(line.change)}{share})")
