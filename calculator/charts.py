"""Plotly figures for the calculator, built in Python and drawn by static/js/charts.js.

Money is Decimal everywhere else; it becomes float only here, at the Plotly boundary, from values
already rounded for display (so a bar's hover shows the same cents as the tables).

Speed: an update must come back within 150 ms, and validating a figure in graph_objects costs more
than everything else in the request (50-150 ms here for the tier chart alone). So traces and layout are
written as the plain dicts of Plotly's figure schema, with hand-placed axes instead of make_subplots,
and handed to ``go.Figure(..., _validate=False)``; tests/test_calculator_parts.py
(test_the_figures_are_valid_plotly_and_show_the_rounded_amounts) builds every figure again with
validation on, so a property Plotly does not know fails the tests instead of the page.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import plotly.graph_objects as go

from calculator.engine.cards import CardSnapshot, Tier
from calculator.engine.estimate import EstimateResult, TierStatus
from calculator.engine.money import round_money
from calculator.engine.vocabulary import PRICED_CATEGORY_LABELS, currency_prefix
from calculator.regimes import Regime

# Okabe-Ito derived: distinguishable with common colour-vision deficiencies.
CATEGORY_COLOURS = {
    "marketing": "#0072B2",
    "utility": "#009E73",
    "authentication": "#E69F00",
    "authentication_international": "#CC79A7",
    "service": "#56B4E9",
}
MAX_TIER_PANELS = 4
FONT = {"family": "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13, "color": "#1f2933"}
CONFIG = {"displayModeBar": False, "responsive": True}


def _money_float(amount: Decimal, currency: str) -> float:
    return float(round_money(amount, currency))


def _base_layout(**extra) -> dict:
    layout = {
        "font": FONT, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 64, "r": 16, "t": 28, "b": 40}, "hoverlabel": {"font": {"size": 13}},
    }
    layout.update(extra)
    return layout


def in_force_label(on: date, today: date) -> str:
    """What the chart calls the card in force on the date asked: "Now" for today, else that date."""
    return "Now" if on == today else f"{on.day} {on:%b %Y}"


def comparison_figure(regimes: list[Regime], on: date, today: date) -> dict:
    """The same mix under each regime, in date order, stacked by category."""
    ordered = sorted(regimes, key=lambda regime: regime.card.effective_from)
    currency = regimes[0].result.currency
    asked = in_force_label(on, today)
    labels = [f"{f'<b>{asked}</b> · ' if r.current else ''}{r.card.effective_from.isoformat()}<br>{_short_title(r)}"
              for r in ordered]
    data = []
    for category, name in PRICED_CATEGORY_LABELS.items():
        amounts = [_money_float(r.result.by_category.get(category, Decimal(0)), currency) for r in ordered]
        if not any(amounts):
            continue
        data.append(dict(
            type="bar", x=labels, y=amounts, name=name, marker={"color": CATEGORY_COLOURS[category]},
            hovertemplate=f"{name}: {currency_prefix(currency)}%{{y:,.2f}}<extra></extra>",
        ))
    totals = [_money_float(r.result.total, currency) for r in ordered]
    data.append(dict(
        type="scatter", x=labels, y=totals, mode="text", text=[f"{currency_prefix(currency)}{t:,.2f}" for t in totals],
        textposition="top center", showlegend=False, hoverinfo="skip", textfont={"size": 13, "color": "#1f2933"},
    ))
    layout = _base_layout(
        barmode="stack", height=340, bargap=0.45,
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0, "font": {"size": 12}, "traceorder": "normal"},
        yaxis={"tickprefix": currency_prefix(currency), "tickformat": ",.0f" if max(totals, default=0) >= 100 else ",.2f",
               "gridcolor": "#e4e7eb", "rangemode": "tozero", "range": [0, max(totals, default=1) * 1.18 or 1],
               "fixedrange": True, "automargin": True},
        xaxis={"fixedrange": True, "tickfont": {"size": 12}, "automargin": True, "tickangle": 0},
    )
    narrow = {"xaxis.tickvals": labels, "xaxis.ticktext": [
        f"{f'<b>{asked}</b><br>' if r.current else ''}{r.card.effective_from.strftime('%b %Y')}" for r in ordered]}
    return _figure(data, layout, "Monthly cost of the same messages under each set of Meta's rules", narrow)


def _short_title(regime: Regime) -> str:
    rules = regime.card.rules
    if rules.per_conversation:
        return "per conversation"
    return "per message, service " + ("charged" if rules.service_charged else "free")


def tier_panels(result: EstimateResult) -> list[tuple[str, TierStatus]]:
    """(market, status) for every market and tiered category with charged messages, largest first."""
    panels = [(market.market, status) for market in result.by_market for status in market.tiers if status.charged > 0]
    return sorted(panels, key=lambda panel: -panel[1].count)


def tier_figure(result: EstimateResult, card: CardSnapshot) -> dict | None:
    """Per market and tiered category: the graduated price staircase, your volume, the blended rate."""
    panels = tier_panels(result)[:MAX_TIER_PANELS]
    if not panels:
        return None
    currency = result.currency
    count = len(panels)
    panel_height = 250
    height = 70 + panel_height * count
    title_room = 46 / height  # two lines of panel title above each plot, as a share of the figure
    gap = 0.07 * panel_height / height if count > 1 else 0
    data, annotations = [], []
    layout = _base_layout(height=height, showlegend=False, margin={"l": 72, "r": 16, "t": 50, "b": 48})
    for index, (market, status) in enumerate(panels):
        axis = "" if index == 0 else str(index + 1)
        x_ref, y_ref = f"x{axis}", f"y{axis}"
        ladder = card.ladder(market, status.category)
        xs, ys = _staircase(ladder, max(float(status.count), 1.0))
        name = PRICED_CATEGORY_LABELS[status.category]
        colour = CATEGORY_COLOURS[status.category]
        data.append(dict(
            type="scatter", x=xs, y=ys, mode="lines", line={"shape": "hv", "color": colour, "width": 2.5}, xaxis=x_ref, yaxis=y_ref,
            name=f"{market} {name}", hovertemplate="From message %{x:,.0f}: " + currency_prefix(currency) + "%{y:.4f}<extra></extra>",
        ))
        blended = status.blended_rate
        volume = float(status.count)
        if blended is not None:
            data.append(dict(
                type="scatter", x=[1, max(volume, 1.0)], y=[float(blended)] * 2, mode="lines", xaxis=x_ref, yaxis=y_ref,
                line={"dash": "dot", "color": "#52606d", "width": 1.5}, name="Blended rate",
                hovertemplate=f"Blended rate: {currency_prefix(currency)}{float(blended):.4f} per message<extra></extra>",
            ))
        data.append(dict(
            type="scatter", x=[max(volume, 1.0)], y=[float(status.rate_now)], mode="markers", xaxis=x_ref, yaxis=y_ref,
            marker={"size": 12, "color": "#1f2933", "symbol": "diamond", "line": {"color": "#fff", "width": 1.5}},
            name="Your volume",
            hovertemplate=f"Your volume: {volume:,.0f} messages<br>Now at {currency_prefix(currency)}{float(status.rate_now):.4f}<extra></extra>",
        ))
        top = 1 - index / count
        bottom = top - 1 / count + gap
        layout["xaxis" + axis] = {
            "type": "log", "anchor": y_ref, "gridcolor": "#e4e7eb", "fixedrange": True,
            "title": {"text": "Messages this month (log scale)" if index == count - 1 else "", "font": {"size": 12}},
            "tickformat": "~s",
        }
        layout["yaxis" + axis] = {
            "domain": [max(bottom, 0), top - (title_room if index else 0)], "anchor": x_ref,
            "tickprefix": currency_prefix(currency),
            "gridcolor": "#e4e7eb", "rangemode": "tozero", "fixedrange": True, "tickformat": ".4f",
        }
        saving = round_money(status.savings, currency)
        blended_text = f"blended {currency_prefix(currency)}{float(blended):.4f}" if blended is not None else "no charged messages"
        annotations.append({
            "text": f"<b>{market} · {name}</b><br>{blended_text} · saves {currency_prefix(currency)}{float(saving):,.2f}",
            "xref": "paper", "yref": "paper", "x": 0, "y": top - (title_room if index else 0), "xanchor": "left",
            "yanchor": "bottom", "showarrow": False, "font": {"size": 13}, "align": "left",
        })
    layout["annotations"] = annotations
    return _figure(data, layout, "Volume tier price steps with your monthly volume marked")


def _staircase(ladder: tuple[Tier, ...], volume: float) -> tuple[list[float], list[float]]:
    """Tier starts and rates as a step line on a log axis (starting at message 1), drawn past the volume."""
    xs = [float(max(tier.start, 1)) for tier in ladder]
    ys = [float(tier.rate) for tier in ladder]
    end = max(volume * 4, xs[-1] * 4, 10.0)
    xs.append(end)
    ys.append(ys[-1])
    return xs, ys


def _figure(data: list, layout: dict, description: str, narrow: dict | None = None) -> dict:
    """The figure as charts.js draws it; ``narrow`` holds layout changes (Plotly.relayout keys) for charts
    narrower than 520 px."""
    figure = go.Figure(data=data, layout=layout, _validate=False).to_plotly_json()
    return {"data": figure["data"], "layout": figure["layout"], "config": CONFIG, "description": description,
            "narrow": narrow or {}}
