"""A card written back out in Meta's CSV layout; importing the text gives back the same card."""

from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal

from ratecards.importer.layout import (
    META_TIER_ROWS,
    OTHER,
    RATE_CATEGORIES,
    TIER_FIELDS,
    TIERS_TITLE_SUFFIX,
    _show,
    meta_date,
)
from pricing_site.spreadsheets import SafeWriter, csv_writer
from ratecards.models import TIERED_CATEGORIES, Category, PricingModel, RateCard

# --- Export ---------------------------------------------------------------------------------------------


def _meta_order(name: str) -> tuple[int, str]:
    """Meta's row order: countries A-Z, then North America, the 'Rest of' regions A-Z, and Other last."""
    if name == OTHER:
        return (3, "")
    if name.startswith("Rest of "):
        return (2, name)
    if name == "North America":
        return (1, "")
    return (0, name)


def _title(card: RateCard) -> str:
    unit = "conversation" if card.pricing_model == PricingModel.CONVERSATION else "message"
    return (f"Cost per {unit} in {card.currency} on the WhatsApp Business Platform, "
            f"effective {meta_date(card.effective_from)}")


def _writer() -> tuple[io.StringIO, SafeWriter]:
    buffer = io.StringIO()
    return buffer, csv_writer(buffer, lineterminator="\r\n")  # Meta's files end lines with CRLF


def _card_rates(card: RateCard) -> dict[str, dict[str, Decimal | None]]:
    by_market: dict[str, dict[str, Decimal | None]] = {}
    for market, category, rate in card.rates.values_list("market__name", "category", "rate"):
        by_market.setdefault(market, {})[category] = rate
    return by_market


def export_rates_csv(card: RateCard) -> str:
    """The card's rates in Meta's layout; importing the text gives back the same rates."""
    buffer, writer = _writer()
    header = ["Market", "Currency", *(_header_cell(c) for c in RATE_CATEGORIES)]
    writer.writerow([_title(card)] + [""] * (len(header) - 1))
    writer.writerow(header)
    for market, rates in sorted(_card_rates(card).items(), key=lambda item: _meta_order(item[0])):
        writer.writerow([market, card.currency, *(_show_cell(rates.get(c.value)) for c in RATE_CATEGORIES)])
    return buffer.getvalue()


def _header_cell(category: Category) -> str:
    # Meta breaks the long header inside its cell: "Authentication-<line break>International".
    return category.label.replace("-", "-\n") if category == Category.AUTHENTICATION_INTERNATIONAL else category.label


def _show_cell(value: Decimal | None) -> str:
    return "n/a" if value is None else _show(value)


def export_tiers_csv(card: RateCard) -> str | None:
    """The card's volume tiers in Meta's layout, or None when it has none."""
    tiers: dict[str, dict[str, list[tuple[int, Decimal, Decimal | None]]]] = {}
    for market, category, start, rate, percent in card.tiers.order_by("start").values_list(
        "market__name", "category", "start", "rate", "vs_list_rate"
    ):
        tiers.setdefault(market, {}).setdefault(category, []).append((start, rate, percent))
    if not tiers:
        return None
    rates = _card_rates(card)
    width = 2 + len(TIERED_CATEGORIES) * len(TIER_FIELDS)
    buffer, writer = _writer()
    writer.writerow([_title(card) + TIERS_TITLE_SUFFIX] + [""] * (width - 1))
    groups, subheadings, header = ["", ""], ["", ""], ["Market\n(per rate card)", "Currency"]
    for category in TIERED_CATEGORIES:
        groups += [category.label, "", "", "", ""]
        subheadings += ["Messages (per month)", "", "What we charge", "", ""]
        header += list(TIER_FIELDS)
    writer.writerows([groups, subheadings, header])
    for market in sorted(set(rates) | set(tiers), key=_meta_order):
        writer.writerows(_tier_block_rows(market, card.currency, tiers.get(market, {}), rates.get(market, {})))
    return buffer.getvalue()


def _tier_block_rows(market: str, currency: str, tiers: dict[str, list[tuple[int, Decimal, Decimal | None]]],
                     rates: dict[str, Decimal | None]) -> list[list[str]]:
    height = max([META_TIER_ROWS, *(len(steps) for steps in tiers.values())])
    rows = [[market if i == 0 else "", currency] for i in range(height)]
    for category in TIERED_CATEGORIES:
        steps = tiers.get(category.value, [])
        list_rate = rates.get(category.value) if rates.get(category.value) is not None else (
            steps[0][1] if steps else None)
        for i in range(height):
            if i >= len(steps):
                rows[i] += ["n/a"] * len(TIER_FIELDS)
                continue
            start, rate, percent = steps[i]
            end = f"{steps[i + 1][0] - 1:,}" if i + 1 < len(steps) else "--"
            rows[i] += [f"{start:,}", end, "List rate" if i == 0 else "Tier rate", _show(rate),
                        _vs_list_rate(rate, list_rate, percent)]
    return rows


def _vs_list_rate(rate: Decimal, list_rate: Decimal | None, stored: Decimal | None) -> str:
    """Meta's 'vs. List rate' column: its own label when the import kept one, else computed from the
    four-decimal rates to the whole percent (Meta computes from unrounded rates, so a computed figure
    can be off; it is a label, never used to price)."""
    if stored is not None:
        percent = stored
    elif list_rate:
        percent = ((rate / list_rate - 1) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    else:
        percent = Decimal(0)
    text = f"{percent.normalize():f}" if percent else "0"
    return f"{text}%"
