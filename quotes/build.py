"""From an estimate request, a plan and a currency to a quote's figures (the JSON a quote keeps).

The estimate is priced by the calculator's engine with the cards in force (``price_on_dates``); the plan
by ``plans.pricing``. Money is Decimal throughout; each figure is rounded once, by ``round_money``,
when it is written into the result (a total from its unrounded value). Nothing here is read back from
the database once the quote is saved: pages, the PDF and the CSV show the stored strings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from calculator.api_output import estimates_json, stale_rules_json
from ratecards.snapshots import Catalog
from calculator.engine.cards import CATEGORIES
from calculator.engine.estimate import EstimateResult
from calculator.engine.money import ZERO, round_money
from calculator.engine.vocabulary import CATEGORY_LABELS, count_cents, count_json
from calculator.pricing import PricingProblem, Problems, default_comparison, price_on_dates, priced_dates
from calculator.regimes import describe_rules, regime_title
from customers.terms import NO_OVERRIDES, TermsOverrides, effective_terms, plan_refuses_overrides
from plans.models import Conversion, CreditMoneyPrice, NoExchangeRate, PackageTerms, PlanTerms as StoredTerms, PricePlan, conversion
from plans.pricing import (
    MARKUP_CATEGORIES,
    CreditMoney,
    CreditPrice,
    CreditTerms,
    PackagePrice,
    PlanPrice,
    TermsSnapshot,
    credits_in_money,
    derive_usage,
    price_credits,
    price_package,
    price_plan,
)
from quotes.calls import add_quote_calls
from quotes.credits import credit_money_json, credit_notes, credits_json, credits_market_json
from quotes.package import (
    package_market_json,
    package_notes,
    package_price_list,
    package_terms_json,
    package_totals_json,
)
from quotes.models import TaxSetting
from quotes.requests import StoredRequest, request_json
from quotes.tax import TaxRate, Taxed, apply_tax, comparison_tax_json, tax_json

RESULT_VERSION = 1


@dataclass(frozen=True)
class QuoteFigures:
    result: dict
    request: dict
    card_ids: list[int]
    currency: str
    meta_total: Decimal
    total: Decimal
    credits_total: Decimal | None
    tax_country: str = ""
    tax: Taxed | None = None


@dataclass(frozen=True)
class _Plan:
    plan: PricePlan
    terms: StoredTerms | None  # money plans
    credit_table: CreditTerms | None  # credit plans
    fees: Conversion | None  # the plan's currency to the quote's
    package: PackageTerms | None = None  # package plans
    effective: TermsSnapshot | None = None  # money plans: the terms with the customer's overrides applied
    overrides: TermsOverrides = NO_OVERRIDES


@dataclass(frozen=True)
class MissingRate(PricingProblem):
    """A conversion the quote needs and no admin has entered: what to enter (the form links to it)."""

    base: str = ""
    quote: str = ""
    on: date | None = None


def quote_currency_for(card_currency: str, plan: PricePlan | None, wanted: str | None) -> str:
    """The user's choice, else a money plan's currency, else the card's."""
    if wanted:
        return wanted
    if plan is not None and not plan.is_credits:
        return plan.currency
    return card_currency


def on_own_card(catalog: Catalog, stored: StoredRequest, plan: PricePlan | None,
                wanted_currency: str | None) -> StoredRequest:
    """Meta bills an account in its own currency on that currency's card: a quote in a currency with a
    card in force on the date is priced on that card (and compared with that currency's cards), never
    converted. Only a currency without a card needs an exchange rate."""
    currency = quote_currency_for(stored.currency, plan, wanted_currency)
    if currency == stored.currency or catalog.listing_in_force(currency, stored.on) is None:
        return stored
    return replace(stored, currency=currency, compare_on=None)


def price_quote(catalog: Catalog, stored: StoredRequest, plan: PricePlan | None,
                wanted_currency: str | None = None, tax_country: str = "", *,
                overrides: TermsOverrides = NO_OVERRIDES) -> tuple[QuoteFigures | None, Problems]:
    """The quote's figures: Meta's charges, the provider's price (net; ``overrides`` are a customer's price
    book on top of a money plan's terms), and the tax of the setting in force on the quote's date for
    ``tax_country`` (blank: no tax) with the gross."""
    figures, problems = _price_net(catalog, stored, plan, wanted_currency, overrides)
    if figures is None:
        return None, problems
    return with_tax(figures, tax_country), []


def with_tax(figures: QuoteFigures, tax_country: str) -> QuoteFigures:
    """The figures with the tax on their net (quotes/tax.py): a credit quote carries none. Each comparison
    row is taxed alike, for the same country at the setting in force on the row's own date."""
    credits = figures.credits_total is not None

    def rate_on(day: str) -> TaxRate | None:
        setting = None if credits else TaxSetting.objects.in_force(tax_country, date.fromisoformat(day))
        return setting.as_rate() if setting else None

    taxed = apply_tax(figures.total, rate_on(figures.result["on"]), figures.currency)
    totals, section = tax_json(taxed, tax_country, credits=credits)
    comparison = [row | comparison_tax_json(row, rate_on(row["on"]), figures.currency, tax_country, credits=credits)
                  for row in figures.result["comparison"]]
    result = figures.result | {"totals": figures.result["totals"] | totals, "tax": section, "comparison": comparison}
    return replace(figures, result=result, tax_country=tax_country, tax=taxed)


def _price_net(catalog: Catalog, stored: StoredRequest, plan: PricePlan | None, wanted_currency: str | None,
               overrides: TermsOverrides) -> tuple[QuoteFigures | None, Problems]:
    refused = plan_refuses_overrides(plan.kind if plan else "", overrides)
    if refused:
        return None, [PricingProblem("price_plan", f"{plan.name if plan else 'no plan'}: the customer's {refused}")]
    stored = on_own_card(catalog, stored, plan, wanted_currency)
    dates = priced_dates(stored.on, stored.compare_on, lambda: default_comparison(catalog, stored.currency, stored.on))
    results, problems = price_on_dates(catalog, stored.request, stored.currency, dates)
    if problems:
        return None, problems
    currency = quote_currency_for(stored.currency, plan, wanted_currency)
    plan_found, problems = _plan_on(plan, stored.on, currency, overrides)
    try:
        meta_conversion = conversion(stored.currency, currency, stored.on)
    except NoExchangeRate as exc:
        problems.append(MissingRate("quote_currency" if wanted_currency else "price_plan", str(exc),
                                    base=stored.currency, quote=currency, on=stored.on))
    if problems:
        return None, problems
    priced = [_price_one(catalog, stored, result, plan_found, meta_conversion, currency) for result in results]
    result = _result_json(stored, results, priced, plan_found, meta_conversion, currency)
    first = priced[0]
    figures = QuoteFigures(
        result=result,
        request=request_json(stored.request, stored.on, stored.compare_on, stored.currency),
        card_ids=[r.card.id for r in results],
        currency=currency,
        meta_total=round_money(first.meta_total, currency),
        total=round_money(first.total, currency),
        credits_total=first.credits.rounded_total if first.credits else None,
    )
    if stored.calls:  # quotes/calls.py: calls at Meta's price next to the messages
        return add_quote_calls(catalog, stored, figures, meta_rate=meta_conversion.rate,
                               messages_meta=first.meta_total, provider=first.total, currency=currency,
                               estimate_result=results[0])
    return figures, []


def _plan_on(plan: PricePlan | None, on: date, currency: str,
             overrides: TermsOverrides = NO_OVERRIDES) -> tuple[_Plan | None, Problems]:
    if plan is None:
        return None, []
    if plan.is_credits:
        table = plan.credit_table_on(on)
        if table is None:
            return None, [PricingProblem("price_plan", f"{plan.name} has no credit rates in force on {on.isoformat()}")]
        return _Plan(plan, None, table, None), []
    terms = plan.package_terms_on(on) if plan.is_package else plan.terms_on(on)
    if terms is None:
        return None, [PricingProblem("price_plan",
                                     f"{plan.name} has no {'package ' if plan.is_package else ''}terms in force on "
                                     f"{on.isoformat()}: an admin must add them (Price plans) before this quote "
                                     "can be made")]
    try:
        fees = conversion(plan.currency, currency, on)
    except NoExchangeRate as exc:
        return None, [MissingRate("quote_currency", str(exc), base=plan.currency, quote=currency, on=on)]
    if plan.is_package:
        return _Plan(plan, None, None, fees, terms), []
    return _Plan(plan, terms, None, fees, effective=effective_terms(terms.as_terms(), overrides),
                 overrides=overrides), []


@dataclass(frozen=True)
class _Priced:
    result: EstimateResult
    meta_rate: Decimal
    usages: tuple
    plan: PlanPrice | None
    credits: CreditPrice | None
    package: PackagePrice | None = None
    credit_money: CreditMoney | None = None
    credit_price: CreditMoneyPrice | None = None  # the plan's price per credit in force on this result's date

    @property
    def meta_total(self) -> Decimal:
        return self.result.total * self.meta_rate

    @property
    def agent(self) -> Decimal:
        """Meta Business Agent tokens at Meta's rate, in the quote's currency (0 when not asked or no rate)."""
        return (self.result.meta_business_agent_amount or ZERO) * self.meta_rate

    @property
    def total(self) -> Decimal:
        # A plan prices messages; Meta's agent tokens are passed on at Meta's price, after the plan.
        if self.package is not None:
            return self.package.total + self.agent
        return self.plan.total + self.agent if self.plan is not None else self.meta_total

    @property
    def priced_by_plan(self) -> bool:
        """A money or package plan: the provider's total differs from Meta's."""
        return self.plan is not None or self.package is not None


def _price_one(catalog: Catalog, stored: StoredRequest, result: EstimateResult, plan: _Plan | None,
               meta: Conversion, currency: str) -> _Priced:
    usages = derive_usage(catalog.snapshot(result.card.id), stored.request, result)
    plan_price = credits = package = credit_money = credit_price = None
    if plan is not None and plan.terms is not None:
        plan_price = price_plan(plan.effective, usages, currency, meta_rate=meta.rate, fee_rate=plan.fees.rate)
    elif plan is not None and plan.package is not None:
        package = price_package(plan.package.as_package(), usages, currency, meta_rate=meta.rate,
                                fee_rate=plan.fees.rate)
    elif plan is not None:
        credits = price_credits(plan.credit_table.rates, usages, plan.credit_table.unit)
        # The price of a credit in force on this card's date: a comparison row on another date has its own.
        credit_price = plan.plan.credit_money_on(result.on, currency)
        if credit_price is not None:
            credit_money = credits_in_money(credits, credit_price.price_per_credit, currency)
    return _Priced(result, meta.rate, usages, plan_price, credits, package, credit_money, credit_price)


# --- The stored JSON ------------------------------------------------------------------------------------


def _result_json(stored: StoredRequest, results: list[EstimateResult], priced: list[_Priced], plan: _Plan | None,
                 meta: Conversion, currency: str) -> dict:
    first = priced[0]

    def money(amount: Decimal) -> str:
        return str(round_money(amount, currency))

    return {
        "version": RESULT_VERSION,
        "currency": currency,
        "card_currency": stored.currency,
        "on": stored.on.isoformat(),
        "estimate": estimates_json(stored.currency, results),
        "conversion": _conversion_json(meta),
        "plan": _plan_json(plan, currency),
        "markets": [_market_json(first, index, money, plan and plan.credit_table)
                    for index in range(len(first.result.by_market))],
        "by_category": _by_category_json(first, money),
        "totals": _totals_json(first, money),
        "credits": _credits_json(first, plan) if first.credits else None,
        "comparison": [_comparison_json(p, money) for p in priced],
        "rules": [{"card": r.card.name, "effective_from": r.card.effective_from.isoformat(),
                   "pricing_model": r.card.pricing_model, "title": regime_title(r.card.rules),
                   "sentences": list(describe_rules(r.card.rules))} for r in _distinct_cards(results)],
        "method": _method_notes(first, plan, meta),
        "warnings": list(first.result.warnings) + list(first.plan.warnings if first.plan else ())
        + list(first.credits.warnings if first.credits else ()),
        "notes": list(first.result.notes),
        "stale_rules": _stale_json(first.result),
        "meta_business_agent": _agent_json(first, money),
    }


def _credits_json(priced: _Priced, plan: _Plan) -> dict:
    price = priced.credit_price
    return credits_json(priced.credits, plan.credit_table, priced.credit_money,
                        price and price.effective_from, price and price.effective_to)


def _stale_json(result: EstimateResult) -> dict | None:
    """The API's stale_rules with the sentence shown next to the quote's total."""
    found = stale_rules_json(result.stale_rules)
    return None if found is None else found | {"text": result.stale_rules.warning()}


def _agent_json(priced: _Priced, money) -> dict | None:
    """Meta Business Agent tokens in the quote's currency; amounts None where the card currency has no rate."""
    agent = priced.result.meta_business_agent
    if agent is None:
        return None
    amount = None if agent.amount is None else money(agent.amount * priced.meta_rate)
    return {"tokens": count_json(agent.tokens), "status": agent.status, "meta": amount, "provider": amount,
            "rate_per_million_tokens": None if agent.rate is None else str(agent.rate.per_million),
            "rate_currency": agent.currency, "note": agent.note or agent.warning or None}


def _distinct_cards(results: list[EstimateResult]) -> list[EstimateResult]:
    seen, found = set(), []
    for result in results:
        if result.card.id not in seen:
            seen.add(result.card.id)
            found.append(result)
    return found


def _conversion_json(found: Conversion | None) -> dict | None:
    if found is None or not found.needed:
        return None
    entered = found.entered
    return {"from": found.base, "to": found.quote, "rate": str(found.rate), "inverse": found.inverse,
            "entered": {"base": entered.base, "quote": entered.quote, "rate": str(entered.rate.normalize()),
                        "effective_from": entered.effective_from.isoformat(), "source": entered.source},
            "text": found.description()}


def _plan_json(plan: _Plan | None, currency: str) -> dict | None:
    if plan is None:
        return None
    found = {"name": plan.plan.name, "unit": plan.plan.unit, "currency": plan.plan.currency or None}
    if plan.package is not None:
        package = plan.package
        return found | {
            "effective_from": package.effective_from.isoformat(),
            "effective_to": package.effective_to.isoformat() if package.effective_to else None,
            "terms": package_terms_json(package), "fee_conversion": _conversion_json(plan.fees),
            "price_list": package_price_list(package, plan.plan.currency),
        }
    if plan.terms is None:
        return found | {"credit_rows": len(plan.credit_table.rates), "credit_unit": plan.credit_table.unit,
                        "fee_conversion": None, "terms": None, "price_list": []}
    stored_terms, terms = plan.terms, plan.effective
    plan_currency = plan.plan.currency
    internal = {f"markup_{category}": str(terms.markup_percent[category]) for category in MARKUP_CATEGORIES}
    internal |= {name: str(getattr(terms, name)) for name in (
        "fee_per_message", "fee_per_conversation", "fee_per_receptive_window", "monthly_fee", "discount_percent")}
    internal["charge_utility_in_window"] = terms.charge_utility_in_window
    return found | {
        "effective_from": stored_terms.effective_from.isoformat(),
        "effective_to": stored_terms.effective_to.isoformat() if stored_terms.effective_to else None,
        "terms": internal,
        "customer_overrides": _overrides_json(plan.overrides),
        "fee_conversion": _conversion_json(plan.fees),
        "price_list": _price_list(terms, plan_currency),
    }


def _overrides_json(overrides: TermsOverrides) -> dict | None:
    """The customer's own terms that replaced the plan's (the effective ones are in ``terms``)."""
    if overrides.empty:
        return None
    found = {f"markup_{category}": str(value) for category, value in overrides.markup_percent.items()}
    return found | {name: str(getattr(overrides, name)) for name in ("fee_per_message", "discount_percent",
                                                                      "monthly_fee")
                    if getattr(overrides, name) is not None}


def _price_list(terms: TermsSnapshot, currency: str) -> list[str]:
    """The plan's fees as the customer reads them (markups stay internal: the prices show them)."""
    found = []
    if terms.monthly_fee:
        found.append(f"Platform fee: {round_money(terms.monthly_fee, currency)} {currency} a month")
    if terms.fee_per_message:
        found.append(f"{terms.fee_per_message.normalize():f} {currency} per message Meta charges")
    if terms.fee_per_conversation:
        found.append(f"{terms.fee_per_conversation.normalize():f} {currency} per conversation")
    if terms.fee_per_receptive_window:
        found.append(f"{terms.fee_per_receptive_window.normalize():f} {currency} per chat the customer starts "
                     "(each opens a 24-hour customer service window)")
    if terms.charge_utility_in_window:
        found.append("Utility templates inside the customer service window are charged")
    if terms.discount_percent:
        found.append(f"Discount: {terms.discount_percent.normalize():f}% off the whole price")
    return found


def _market_json(priced: _Priced, index: int, money, table: CreditTerms | None) -> dict:
    market = priced.result.by_market[index]
    usage = priced.usages[index]
    plan_market = priced.plan.markets[index] if priced.plan else None
    provider = plan_market.provider if plan_market else None
    rows = []
    for category in CATEGORIES:
        meta = market.by_category[category] * priced.meta_rate
        price = provider[category] if provider else meta
        if market.charged[category] == 0 and meta == 0 and price == 0:
            continue
        rows.append({"category": category, "label": CATEGORY_LABELS[category],
                     "charged": count_json(market.charged[category]), "meta": money(meta), "provider": money(price)})
    found = {
        "market": market.market,
        "categories": rows,
        "meta_total": money(market.total * priced.meta_rate),
        "provider_total": money(plan_market.provider_total if plan_market else market.total * priced.meta_rate),
        "tier_savings": money(market.tier_savings * priced.meta_rate),
        "receptive_windows": count_json(usage.receptive_windows),
        "utility_in_window": count_json(usage.utility_in_window),
        "receptive_windows_fee": money(plan_market.receptive_windows) if plan_market else None,
        "utility_in_window_charge": money(plan_market.utility_in_window) if plan_market else None,
    }
    if priced.package:
        found["package"] = package_market_json(priced.package, index)
    if priced.credits:
        found["credits"] = credits_market_json(priced.credits, table, index, priced.credit_money)
    return found


def _by_category_json(priced: _Priced, money) -> list[dict]:
    meta = priced.result.by_category
    provider = priced.plan.by("provider") if priced.plan else None
    rows = []
    for category in CATEGORIES:
        meta_amount = meta[category] * priced.meta_rate
        price = provider[category] if provider else meta_amount
        if priced.result.charged_by_category[category] == 0 and meta_amount == 0 and price == 0:
            continue
        rows.append({"category": category, "label": CATEGORY_LABELS[category],
                     "charged": count_json(priced.result.charged_by_category[category]),
                     "meta": money(meta_amount), "provider": money(price)})
    return rows


def _totals_json(priced: _Priced, money) -> dict:
    found = {"meta": money(priced.meta_total), "tier_savings": money(priced.result.tier_savings * priced.meta_rate),
             "provider": money(priced.total)}
    if priced.result.meta_business_agent is not None:
        found["meta_messages"] = money(priced.meta_total - priced.agent)  # Meta's charge for messages alone
    plan = priced.plan
    if plan is not None:
        found |= {
            "receptive_windows": money(plan.receptive_windows),
            "utility_in_window": money(plan.utility_in_window),
            "usage": money(plan.usage_total),
            "monthly_fee": money(plan.monthly_fee),
            "subtotal": money(plan.subtotal),
            "discount": money(plan.discount),
            "discount_percent": f"{plan.discount_percent.normalize():f}",
            # Internal: how the price is built (the owner's page only).
            "markup": money(sum(plan.by("markup").values(), ZERO)),
            "message_fees": money(sum(plan.by("message_fees").values(), ZERO)),
            "conversation_fees": money(sum(plan.by("conversation_fees").values(), ZERO)),
        }
    if priced.credits is not None:
        found["credits"] = str(priced.credits.rounded_total)
    if priced.credit_money is not None:
        found["credits_money"] = str(priced.credit_money.total)
    if priced.package is not None:
        found["package"] = package_totals_json(priced.package)
    return found


def _comparison_json(priced: _Priced, money) -> dict:
    card = priced.result.card
    return {
        "on": priced.result.on.isoformat(), "card": card.name, "card_id": card.id,
        "pricing_model": card.pricing_model, "title": regime_title(card.rules),
        "meta_total": money(priced.meta_total),
        "provider_total": money(priced.total) if priced.priced_by_plan else None,
        "credits_total": str(priced.credits.rounded_total) if priced.credits else None,
        "credits_money": _comparison_credit_money(priced),
        "tier_savings": money(priced.result.tier_savings * priced.meta_rate),
    }


def _comparison_credit_money(priced: _Priced) -> dict | None:
    """A credit plan's credits in money at the price per credit in force on the row's date; None without one."""
    money, price = priced.credit_money, priced.credit_price
    if money is None:
        return None
    return credit_money_json(money, price.effective_from)


def _method_notes(priced: _Priced, plan: _Plan | None, meta: Conversion) -> list[str]:
    """How figures that are not Meta's own were estimated, in words (shown on the quote)."""
    notes = []
    if meta.needed:
        notes.append("Meta's prices: " + meta.description() + ".")
    if plan is not None and priced.result.meta_business_agent_amount:
        notes.append("Meta Business Agent tokens are passed on at Meta's price per million tokens, without the "
                     "plan's markup, fees or discount.")
    if plan is None:
        return notes
    if plan.fees is not None and plan.fees.needed:
        notes.append("The plan's fees: " + plan.fees.description() + ".")
    if priced.package is not None:
        return notes + package_notes(priced.package)
    windows = sum((u.receptive_windows for u in priced.usages), ZERO)
    if plan.credit_table is not None:
        return notes + credit_notes(plan.plan.name, plan.credit_table, priced.result.card.rules, priced.result.on,
                                    windows)
    in_window = sum((u.utility_in_window for u in priced.usages), ZERO)
    terms = plan.effective
    rules = priced.result.card.rules
    if terms and terms.fee_per_receptive_window and rules.per_conversation:
        notes.append(f"Conversations the customer starts (receptive windows) are estimated from the inputs: service "
                     f"messages ÷ replies per service conversation ≈ {count_cents(windows, grouped=True)} a month.")
    elif plan.credit_table is not None or (terms and terms.fee_per_receptive_window):
        notes.append(f"Chats the customer starts (each opens a 24-hour customer service window) are estimated from "
                     f"the inputs: service messages ÷ replies per chat ≈ {count_cents(windows, grouped=True)} a month.")
    if terms and terms.charge_utility_in_window:
        if rules.utility_free_in_service_window:
            notes.append(f"Utility templates inside the customer service window are estimated from the inputs: utility "
                         "× (1 − share after ads) × share sent while the chat is open ≈ "
                         f"{count_cents(in_window, grouped=True)} a month. Meta does not charge them on this card; "
                         "this plan does, at Meta's utility list rate "
                         "with the plan's utility markup, plus the per-message fee.")
        else:
            notes.append("This plan charges utility templates inside the customer service window; Meta charges them "
                         "on this card too, so they are in Meta's cost already.")
    if terms and terms.fee_per_conversation and not rules.per_conversation:
        notes.append("Conversations on a per-message card are estimated: templates ÷ templates per conversation.")
    if terms and terms.fee_per_message and rules.per_conversation:
        notes.append("Messages behind Meta's conversations are estimated: conversations × templates (or replies) per "
                     "conversation.")
    return notes
