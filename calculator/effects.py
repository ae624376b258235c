"""What-if answered in words: what each assumption the user set changes in the bill, and why.

Setting "utility sent while the chat is open" to 50 % may leave the total unchanged (the card in force
charges utility inside the window): the page says so, with the rules' dates and what the share would save
under the rules that free it. The authentication-international box and the entry-point share likewise.
Every figure is the engine's, priced again without (or with) the setting; every date comes from the
cards' rules (docs/pricing-rules.md, "The rules of a card"), none is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from ratecards.snapshots import Catalog
from calculator.engine.estimate import EstimateRequest, EstimateResult
from calculator.engine.money import ZERO, round_money
from calculator.engine.vocabulary import money_text, plain_number
from calculator.pricing import PricedDate, price_on_dates
from calculator.regimes import Regime

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Effect:
    field: str  # the estimate-wide field it explains: utility_in_service_window, free_entry_point, auth_international
    text: str


def assumption_effects(catalog: Catalog, request: EstimateRequest, regimes: list[Regime]) -> list[Effect]:
    """One sentence for each what-if setting that concerns this mix (none when nothing is set or sent)."""
    if not regimes:
        return []
    found = [_utility_in_window(catalog, request, regimes), _entry_point(catalog, request, regimes[0]),
             _auth_international(catalog, request, regimes[0])]
    return [effect for effect in found if effect is not None]


def _price(catalog: Catalog, request: EstimateRequest, results: list[EstimateResult]) -> list[EstimateResult]:
    """The same cards and dates as ``results``, for another request."""
    dates = [PricedDate("on", result.on) for result in results]
    priced, problems = price_on_dates(catalog, request, results[0].currency, dates)
    return priced if not problems else []


def _shares(request: EstimateRequest, name: str) -> list[Decimal]:
    """The share as the user set it: the estimate's, and each line's own where a line overrides it."""
    found = [getattr(request.assumptions, name)]
    found += [getattr(line.assumptions, name) for line in request.lines if getattr(line.assumptions, name) is not None]
    return found


def _share_words(request: EstimateRequest, name: str) -> str:
    shares = sorted(set(_shares(request, name)))
    if len(shares) == 1:
        return f"your {plain_number(shares[0] * HUNDRED)} %"
    return "your shares"


def _without(request: EstimateRequest, name: str) -> EstimateRequest:
    lines = tuple(replace(line, assumptions=replace(line.assumptions, **{name: ZERO}))
                  if getattr(line.assumptions, name) is not None else line for line in request.lines)
    return replace(request, assumptions=replace(request.assumptions, **{name: ZERO}), lines=lines)


def _sent(request: EstimateRequest, category: str) -> Decimal:
    return sum((getattr(line, category) for line in request.lines), ZERO)


def _rule_runs(catalog: Catalog, currency: str, flag) -> list[tuple[date, date | None, bool]]:
    """The periods of the currency's per-message cards by one rule's value: (from, to or None, value)."""
    runs: list[tuple[date, date | None, bool]] = []
    for listing in catalog.listings():
        if listing.currency != currency:
            continue
        rules = catalog.snapshot(listing.id).rules
        value = None if rules.per_conversation else flag(rules)
        if runs and runs[-1][2] == value:
            continue
        if runs:
            start, _, old = runs[-1]
            runs[-1] = (start, listing.effective_from - timedelta(days=1), old)
        runs.append((listing.effective_from, None, value))
    return runs


def _run_of(runs, on: date) -> tuple[date, date | None, bool] | None:
    return next((run for run in runs if run[0] <= on and (run[1] is None or on <= run[1])), None)


def _period(start: date, end: date | None) -> str:
    """"the July 2025-September 2026 rules"; "the rules from October 2026" while they last."""
    if end is None:
        return f"the rules from {start:%B %Y}"
    return f"the {start:%B %Y}–{end:%B %Y} rules"


def _utility_in_window(catalog: Catalog, request: EstimateRequest, regimes: list[Regime]) -> Effect | None:
    name = "utility_in_service_window"
    if not any(_shares(request, name)) or not _sent(request, "utility"):
        return None
    current = regimes[0]
    if current.card.rules.per_conversation:
        return None
    currency, words = current.result.currency, _share_words(request, name)
    free_regime = next((r for r in reversed(regimes[1:]) if not r.card.rules.per_conversation
                        and r.card.rules.utility_free_in_service_window), None)
    results = [current.result] + ([free_regime.result] if free_regime else [])
    priced = _price(catalog, _without(request, name), results)
    if not priced:
        return None
    saved_now = priced[0].total - current.result.total
    runs = _rule_runs(catalog, currency, lambda rules: rules.utility_free_in_service_window)
    run = _run_of(runs, current.result.on)
    if current.card.rules.utility_free_in_service_window:
        text = (f"Utility sent while the chat is open is free under {current.card.name}: {words} saves "
                f"{money_text(saved_now, currency)} a month.")
        later = next((r for r in runs if r[0] > current.result.on and r[2] is False), None)
        if later:
            text += f" From {later[0]:%-d %b %Y} it is charged: then it saves nothing."
        return Effect(name, text)
    since = f" from {run[0]:%-d %b %Y}" if run else ""
    text = f"Utility inside the chat window is charged{since}: {words} changes nothing now"
    if free_regime:
        saved = priced[1].total - free_regime.result.total
        free_run = _run_of(runs, free_regime.result.on)
        period = _period(free_run[0], free_run[1]) if free_run else f"the {free_regime.card.name} rules"
        text += f"; under {period} it would save {money_text(saved, currency)}."
    else:
        text += "."
    return Effect(name, text)


def _entry_point(catalog: Catalog, request: EstimateRequest, current: Regime) -> Effect | None:
    name = "free_entry_point"
    if not any(_shares(request, name)) or not any(_sent(request, c) for c in ("marketing", "utility", "authentication",
                                                                                "service")):
        return None
    priced = _price(catalog, _without(request, name), [current.result])
    if not priced:
        return None
    saved = priced[0].total - current.result.total
    hours = current.card.rules.free_entry_point_hours
    return Effect(name, f"Messages to people who came from an ad or a Page button are free for {hours} hours: "
                        f"{_share_words(request, name)} saves {money_text(saved, current.result.currency)} a month "
                        f"({money_text(current.result.total, current.result.currency)} instead of "
                        f"{money_text(priced[0].total, current.result.currency)}).")


def _auth_international(catalog: Catalog, request: EstimateRequest, current: Regime) -> Effect | None:
    name = "auth_international"
    if not _sent(request, "authentication"):
        return None
    currency = current.result.currency
    if not request.business_country:
        return Effect(name, "Give your business's country: authentication-international rates apply only to "
                            "one-time passwords sent to other countries.")
    priced = _price(catalog, replace(request, auth_international=not request.auth_international), [current.result])
    if not priced:
        return None
    ticked, unticked = ((current.result.total, priced[0].total) if request.auth_international
                        else (priced[0].total, current.result.total))
    if round_money(ticked, currency) == round_money(unticked, currency):
        return Effect(name, "For this mix the box changes nothing: no authentication goes to a country with an "
                            "international rate other than your business's.")
    times = f", {(ticked / unticked).quantize(Decimal('0.1'))} times the bill" if unticked else ""
    if request.auth_international:
        return Effect(name, f"Ticked: authentication to other countries at the international rate costs "
                            f"{money_text(ticked - unticked, currency)} more a month "
                            f"({money_text(ticked, currency)} instead of {money_text(unticked, currency)}{times}).")
    return Effect(name, f"Ticking this would add {money_text(ticked - unticked, currency)} a month "
                        f"({money_text(ticked, currency)} instead of {money_text(unticked, currency)}{times}).")
