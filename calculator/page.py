"""What the calculator page shows, computed from its query: the forms, the priced regimes, the charts,
and the rows of its tables (so the template only lays them out)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import QueryDict
from django.utils import timezone

from calculator import charts
from calculator.calls_page import CallsSection, price_calls_section, read_calls_section
from ratecards.models import RateCard
from ratecards.snapshots import Catalog, NoCard
from calculator.engine.cards import CATEGORIES
from calculator.engine.estimate import EstimateResult, TierStatus
from calculator.engine.money import ZERO, round_money
from calculator.countries import suggest_country
from calculator.effects import Effect, assumption_effects
from calculator.forms import PREFIX, CalculatorInput, LineForm, canonical_query, country_names, read_calculator
from calculator.mixes import MIXES
from calculator.paste import PasteForm, PasteResult
from calculator.pricing import Problems, market_map_for
from calculator.regimes import Regime, price_regimes
from calculator.engine.markets import MarketMap
from calculator.engine.vocabulary import tier_step

FREE_LABELS = {
    "service_window": "free inside the customer's 24-hour window",
    "entry_point": "free after an ad or Page button",
    "allowance": "covered by the free service allowance",
}


@dataclass
class CategoryRow:
    category: str
    charged: Decimal
    amounts: list[Decimal]  # one per regime, the card in force first


@dataclass
class TierPanel:
    market: str
    status: TierStatus

    @property
    def reached(self) -> str:
        """"step 1 of 6" is the list rate: the words of every tier everywhere (engine/vocabulary.py)."""
        return tier_step(self.status.tier_index, self.status.tier_count)


@dataclass(frozen=True)
class CountryFix:
    """A country typed wrong and the one it probably meant, with the estimate's query using it."""

    line: int | None  # 1-based; None for the business's country
    typed: str
    name: str
    query: str


@dataclass
class Page:
    input: CalculatorInput
    query: str  # the canonical query string of this estimate ("" on a first visit)
    regimes: list[Regime] = field(default_factory=list)
    comparison_figure: dict | None = None
    tier_figure: dict | None = None
    markets: dict[int, str] = field(default_factory=dict)  # line form index: the market it is billed as
    paste_form: PasteForm | None = None
    pasted: PasteResult | None = None
    calls: CallsSection | None = None  # calculator/calls_page.py
    draft: RateCard | None = None  # a draft card staff are trying (never for the public): labelled on the page
    effects: list[Effect] = field(default_factory=list)  # what-if settings in words (calculator/effects.py)

    @property
    def grand_total(self) -> Decimal:
        """Messages under the card in force, plus calls."""
        return self.result.total + (self.calls.total if self.calls else ZERO)

    @property
    def rounded_grand_total(self) -> Decimal:
        return round_money(self.grand_total, self.result.currency)

    @property
    def in_force_label(self) -> str:
        """"Now" when the estimate is for today; else its date (a past or future card is not "now")."""
        return charts.in_force_label(self.input.on, timezone.localdate())

    @property
    def current(self) -> Regime | None:
        return self.regimes[0] if self.regimes else None

    @property
    def result(self) -> EstimateResult | None:
        return self.regimes[0].result if self.regimes else None

    @property
    def comparisons(self) -> list[Regime]:
        return self.regimes[1:]

    def category_rows(self) -> list[CategoryRow]:
        rows = []
        for category in CATEGORIES:
            amounts = [r.result.by_category.get(category, ZERO) for r in self.regimes]
            charged = self.result.charged_by_category.get(category, ZERO)
            if charged or any(amounts):
                rows.append(CategoryRow(category, charged, amounts))
        return rows

    def free_rows(self) -> list[tuple[str, Decimal]]:
        return [(FREE_LABELS[reason], count) for reason, count in self.result.free_by_reason.items() if count > 0]

    def charged_total(self) -> Decimal:
        return sum(self.result.charged_by_category.values(), ZERO)

    def tier_rows(self) -> list[TierPanel]:
        return [TierPanel(market, status) for market, status in charts.tier_panels(self.result)]

    def agent_amounts(self) -> list[Decimal | None] | None:
        """Meta Business Agent per regime (None where a currency has no rate), or None when not asked."""
        if self.result.meta_business_agent is None:
            return None
        return [r.result.meta_business_agent_amount for r in self.regimes]

    def notes(self) -> list[str]:
        found = list(self.result.notes)
        for regime in self.comparisons:
            found += [f"{regime.card.name}: {n}" for n in regime.result.notes if n not in self.result.notes]
        return found

    def stale_offers(self) -> list[tuple[str, str]]:
        """For a card whose rules are out of date: the same estimate in each currency whose card is current,
        as (currency, query string)."""
        stale = self.result.stale_rules
        if stale is None or not self.query:
            return []
        query = QueryDict(self.query, mutable=True)
        found = []
        for currency in stale.current_currencies:
            query["currency"] = currency
            found.append((currency, query.urlencode(safe=",")))
        return found

    def effect_text(self, name: str) -> str:
        return next((effect.text for effect in self.effects if effect.field == name), "")

    def country_fixes(self) -> list[CountryFix]:
        """"Inida": did you mean India? One per country field typed wrong with a close name."""
        if not self.query:
            return []
        fields = [(None, "business_country", self.input.form)]
        fields += [(n, f"{PREFIX}-{n - 1}-country", form) for n, form in enumerate(self.input.formset.forms, 1)]
        fixes = []
        for line, key, form in fields:
            name = "business_country" if line is None else "country"
            if form.is_bound and form.has_error(name, "unknown_country"):
                typed = str(form[name].value() or "")
                code = suggest_country(typed)
                if code:
                    query = QueryDict(self.query, mutable=True)
                    query[key] = code
                    fixes.append(CountryFix(line, typed[:40], country_names()[code], query.urlencode(safe=",")))
        return fixes

    def warnings(self) -> list[str]:
        # The stale-rules warning is shown beside the total (with its links), not again in the list.
        stale = self.result.stale_rules.warning() if self.result.stale_rules else None
        found = [w for w in self.result.warnings if w != stale]
        for regime in self.comparisons:
            found += [f"{regime.card.name}: {w}" for w in regime.result.warnings if w not in self.result.warnings]
        return found

    def context(self, **extra) -> dict:
        return {"page": self, "calc": self.input, "mixes": MIXES, "countries": country_names(), "prefix": PREFIX,
                "paste_form": self.paste_form or PasteForm(), **extra}


def build_page(data: QueryDict | None, catalog: Catalog) -> Page:
    calc = read_calculator(data, timezone.localdate(), catalog.currencies)
    page = Page(calc, canonical_query(_with_defaults(data, calc)) if data else "")
    if catalog.draft is not None:
        page.draft = catalog.draft
        page.query = f"{page.query}&draft={catalog.draft.pk}" if page.query else f"draft={catalog.draft.pk}"
    page.calls = read_calls_section(data)
    market_map = _billing_map(catalog, calc)
    for index, form in enumerate(calc.formset.forms):
        code = getattr(form, "cleaned_data", {}).get("country") if form.is_bound else None
        if code:
            page.markets[index] = market_map.resolve_country(code).market
    if calc.request is None or calc.currency is None:
        return page
    regimes, problems = price_regimes(catalog, calc.request, calc.currency, calc.on)
    if problems:
        _show_problems(calc, problems)
        return page
    page.regimes = regimes
    page.effects = assumption_effects(catalog, calc.request, regimes)
    if page.draft is not None and regimes[0].card.id != page.draft.pk:
        calc.notices.append(f"This estimate is not priced with the draft {page.draft}: it is for "
                            f"{page.draft.currency} from {page.draft.effective_from.isoformat()}; choose that "
                            "currency and a date from then on.")
    page.comparison_figure = charts.comparison_figure(regimes, calc.on, timezone.localdate())
    page.tier_figure = charts.tier_figure(regimes[0].result, catalog.card_in_force(calc.currency, calc.on))
    price_calls_section(page.calls, catalog, calc.currency, calc.on, calc.request.business_country)
    return page


def _billing_map(catalog: Catalog, calc: CalculatorInput) -> MarketMap:
    """The mapping the estimate is priced with, so a line's "billed as" is what its total used: the date's
    mapping as the card in force can price it (an EUR card of 2026-07-01 bills Bangladesh as Rest of Asia
    Pacific on 2026-11-01)."""
    if calc.currency:
        try:
            return market_map_for(catalog, catalog.card_in_force(calc.currency, calc.on), calc.on)
        except NoCard:
            pass
    return catalog.market_map(calc.on)


def _with_defaults(data: QueryDict, calc: CalculatorInput) -> QueryDict:
    """The query with the date and currency it was priced with, so the URL keeps meaning the same."""
    data = data.copy()
    if not data.get("on"):
        data["on"] = calc.on.isoformat()
    if not data.get("currency") and calc.currency:
        data["currency"] = calc.currency
    return data


def _show_problems(calc: CalculatorInput, problems: Problems) -> None:
    """Problems found while pricing shown beside their fields: a line's beside that line's input (a line
    names its recipients by country here, so a market or phone problem goes beside the country)."""
    for problem in problems:
        if problem.line is not None:
            form = calc.line_forms[problem.line]
            form.add_error(problem.line_field if problem.line_field in LineForm.base_fields else "country",
                           problem.message)
        elif problem.field in calc.form.fields:
            calc.form.add_error(problem.field, problem.message)
        else:
            calc.notices.append(problem.message)
