"""The calculator's calls section: a formset of calls lines (prefix ``calls``) in the same GET form, the
calls priced with the calling card in force on the page's date, and their own tier chart.

One blank calls line is always shown below the filled ones, so the section works without JavaScript
(type, press "Show the estimate", a new blank line appears). Meta's own calling rate files were not
found: the section says so and shows each market's reliability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.http import QueryDict

from calculator.calls_api import MAX_CALL_SECONDS, MAX_MINUTES
from calculator.calls_pricing import CallsAsk, price_calls
from ratecards.snapshots import Catalog
from calculator.charts import _base_layout, _figure
from calculator.engine.calls import TIER_ENDS, CallsResult
from calculator.engine.money import ZERO, round_money
from calculator.engine.vocabulary import currency_prefix
from calculator.forms import (CALLS_FIELDS, CALLS_PREFIX, MAX_CALLS_LINES, AmountField, CountryField, calls_indexes,
                              describe_errors)



class CallsLineForm(forms.Form):
    country = CountryField(label="Calls to", required=False,
                           widget=forms.TextInput(attrs={"list": "country-list", "autocomplete": "off",
                                                         "placeholder": "Type a country", "spellcheck": "false"}))
    business_minutes = AmountField(label="Minutes you call a month", low=Decimal(0), high=MAX_MINUTES,
                                   low_text="must be zero or more minutes")
    average_seconds = AmountField(label="Average call length (seconds)", low=Decimal(1), high=MAX_CALL_SECONDS,
                                  low_text="must be at least 1 second")
    user_minutes = AmountField(label="Minutes customers call you (free)", low=Decimal(0), high=MAX_MINUTES,
                               low_text="must be zero or more minutes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        describe_errors(self)
        self.fields["average_seconds"].widget.attrs["placeholder"] = "e.g. 56"

    def clean(self):
        data = super().clean()
        wants = data.get("business_minutes") or data.get("user_minutes")
        if wants and not data.get("country") and "country" not in self.errors:
            self.add_error("country", "choose the country of the numbers you call")
        if data.get("business_minutes") and not data.get("average_seconds") and "average_seconds" not in self.errors:
            self.add_error("average_seconds", "give the average call length: each call is billed in 6-second pulses")
        return data

    def to_ask(self) -> CallsAsk:
        data = self.cleaned_data
        return CallsAsk(country=data["country"], business_initiated_minutes=data.get("business_minutes") or ZERO,
                        average_call_seconds=data.get("average_seconds") or Decimal(60),
                        user_initiated_minutes=data.get("user_minutes") or ZERO)


CallsFormSet = forms.formset_factory(CallsLineForm, extra=0, max_num=MAX_CALLS_LINES,
                                     absolute_max=MAX_CALLS_LINES)


@dataclass
class CallsSection:
    formset: forms.BaseFormSet
    asks: list[CallsAsk] = field(default_factory=list)
    result: CallsResult | None = None
    figure: dict | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.result.total if self.result else ZERO


def read_calls_section(data: QueryDict | None) -> CallsSection:
    """The calls lines typed (with one blank line after them); lines with errors are left out of pricing."""
    indexes = calls_indexes(data)
    filled = [i for i in indexes if any((data.get(f"{CALLS_PREFIX}-{i}-{name}") or "").strip() for name in CALLS_FIELDS)]
    total = min((max(filled) + 2) if filled else 1, MAX_CALLS_LINES)
    bound = QueryDict(mutable=True)
    bound[f"{CALLS_PREFIX}-TOTAL_FORMS"] = str(total)
    bound[f"{CALLS_PREFIX}-INITIAL_FORMS"] = "0"
    for index in range(total):
        for name in CALLS_FIELDS:
            key = f"{CALLS_PREFIX}-{index}-{name}"
            if data and key in data:
                bound[key] = data[key][:100]
    formset = CallsFormSet(bound, prefix=CALLS_PREFIX)
    formset.is_valid()
    asks = [form.to_ask() for form in formset.forms
            if form.has_changed() and not form.errors and form.cleaned_data.get("country")]
    return CallsSection(formset, asks)


def price_calls_section(section: CallsSection, catalog: Catalog, currency: str, on, business_country) -> None:
    if not section.asks:
        return
    result, problems = price_calls(catalog, section.asks, currency, on, business_country)
    if problems:
        section.problems = [message for _, message in problems]
        return
    section.result = result
    section.figure = calls_tier_figure(result)


def calls_tier_figure(result: CallsResult) -> dict | None:
    """Per market with priced calls: the per-minute rate at each monthly minute tier (a flat line where the
    tiers are unknown), the month's billed minutes marked."""
    markets = [m for m in result.by_market if m.priced and m.billed_minutes > 0][:4]
    if not markets:
        return None
    currency = result.currency
    data = []
    colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
    top_x = max(float(max(m.billed_minutes for m in markets)) * 4, TIER_ENDS[-1] * 2.0)
    for colour, market in zip(colours, markets):
        rates = [float(r) for r in market.ladder] or [float(market.per_minute)] * (len(TIER_ENDS) + 1)
        xs = [1.0] + [float(end) for end in TIER_ENDS] + [top_x]
        ys = rates + [rates[-1]]
        known = "" if market.ladder else " (tiers unknown: first rate shown)"
        data.append(dict(type="scatter", x=xs, y=ys, mode="lines", line={"shape": "hv", "color": colour, "width": 2.5},
                         name=f"{market.market}{known}",
                         hovertemplate=f"{market.market}: from minute %{{x:,.0f}}, {currency_prefix(currency)}%{{y:.4f}} a minute<extra></extra>"))
        reached = market.tiers[-1].rate if market.tiers else market.per_minute
        data.append(dict(type="scatter", x=[float(market.billed_minutes)], y=[float(reached)], mode="markers",
                         marker={"size": 12, "color": colour, "symbol": "diamond", "line": {"color": "#fff", "width": 1.5}},
                         showlegend=False,
                         hovertemplate=f"{market.market}: {float(market.billed_minutes):,.0f} billed minutes this month, "
                                       f"{currency_prefix(currency)}{float(round_money(market.cost, currency)):,.2f}<extra></extra>"))
    layout = _base_layout(
        height=300, margin={"l": 72, "r": 16, "t": 20, "b": 48},
        legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0, "font": {"size": 12}},
        xaxis={"type": "log", "gridcolor": "#e4e7eb", "fixedrange": True, "tickformat": "~s",
               "title": {"text": "Billed minutes this month (log scale)", "font": {"size": 12}}},
        yaxis={"tickprefix": currency_prefix(currency), "tickformat": ".4f", "gridcolor": "#e4e7eb", "rangemode": "tozero",
               "fixedrange": True},
    )
    return _figure(data, layout, "Per-minute calling rate at each monthly minute tier with your billed minutes marked")


def calls_csv_rows(head: list[str], result: CallsResult) -> list[list[str]]:
    """Rows for the calculator's CSV: one per market with calls, then the calls total."""
    rows = []
    for market in result.by_market:
        rows.append(head + [market.market, "calls", _count(market.billed_minutes), str(round_money(market.cost, result.currency)),
                            result.currency])
    rows.append(head + ["all", "calls", _count(result.billed_minutes), str(result.rounded_total), result.currency])
    return rows


def _count(value: Decimal) -> str:
    text = f"{value:.2f}"
    return text[:-3] if text.endswith(".00") else text
