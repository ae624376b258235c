"""What the quote templates show, read from the quote's stored result (never from the cards).

``document_context`` is the quote as the customer sees it (share page, PDF, and the top of the owner's
page); ``internal=True`` adds what only the provider's team sees (notes, markups, plan fees). The
reprice panel prices the stored request again with today's cards and shows the differences; it never
touches the saved quote.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ratecards.snapshots import Catalog
from quotes import customer
from customers.terms import NO_OVERRIDES
from quotes.build import price_quote
from quotes.credits import NO_MONEY_PRICE
from quotes.charts import bar_chart, comparison_groups
from quotes.models import Quote
from quotes.requests import request_from_json
from quotes.tax import NO_TAX_TEXT, summary_lines


def document_context(quote: Quote, *, internal: bool) -> dict:
    result = quote.result
    plan = result.get("plan")
    credits = result.get("credits")
    plan_label = plan["name"] if plan else "Provider"
    priced_by_plan = bool(plan and plan["unit"] in ("money", "package"))
    chart_title = "Monthly cost under each rate card: Meta's price" + (f" and {plan_label}'s" if priced_by_plan else "")
    # The owner's page shows everything the quote keeps; the customer's copy only what concerns their messages.
    comparison = result["comparison"] if internal else customer.comparison(result)
    stale = result.get("stale_rules")
    return {
        "doc": result,
        "plan": plan,
        "plan_description": customer.plan_description(plan),
        "money_plan": bool(plan and plan["unit"] == "money"),
        "credit_plan": bool(plan and plan["unit"] == "credits"),
        "per_message": customer.per_message(result),
        "package_plan": bool(plan and plan["unit"] == "package"),
        "priced_by_plan": priced_by_plan,
        "credit_rows": _credit_rows(result) if credits else [],
        "chart": bar_chart(comparison_groups(result | {"comparison": comparison}, plan_label), chart_title),
        "comparison": comparison,
        "rules": result["rules"] if internal else customer.rules(result),
        "method": result["method"] if internal else customer.method(result),
        "warnings": result["warnings"] if internal else customer.warnings(result),
        "stale_text": (stale or {}).get("text", "") if internal else customer.stale_text(result),
        "credit_summary": _credit_summary(result) if credits else None,
        # A credit's money where the plan has a price in the quote's currency (quotes before prices: none).
        "credit_money": (credits or {}).get("money"),
        "credit_money_text": (credits or {}).get("money_text") or NO_MONEY_PRICE,
        "lines": _lines(quote.request),
        "card": result["estimate"]["estimates"][0]["rate_card"],
        "tiers": _tiers(result),
        "customer_notes": quote.notes if internal else quote.customer_notes,
        "internal": internal,
        "summary": summary_lines(result),
    }


def credit_noun(credits: dict) -> str:
    """"conversations" or "messages": the unit of the quote's credit table (quotes before units: conversations)."""
    return "messages" if credits.get("unit") == "message" else "conversations"


def _credit_rows(result: dict) -> list[dict]:
    noun = credit_noun(result["credits"])
    categories = [c["category"] for c in result["credits"]["categories"]]
    return [{"market": m["market"],
             "cells": [{"credits": m["credits"]["by_category"].get(c), "not_priced": c in m["credits"]["not_priced"]}
                       for c in categories],
             "counts": [m["credits"].get(noun, {}).get(c) for c in categories],
             "total": m["credits"]["total"], "money": m["credits"].get("money"),
             "not_priced": m["credits"]["not_priced"]}
            for m in result["markets"]]


def _credit_summary(result: dict) -> dict:
    credits = result["credits"]
    noun = credit_noun(credits)
    return {"noun": noun, "per": noun.removesuffix("s"), "table_from": credits.get("table_from"),
            "counts": [{"label": c["label"], "count": c.get(noun)} for c in credits["categories"]],
            "not_priced": credits.get("not_priced", [])}


def _tiers(result: dict) -> list[dict]:
    """Markets whose tiered categories moved past the list rate (from Meta's estimate, card currency)."""
    found = []
    for market in result["estimate"]["estimates"][0]["by_market"]:
        for tier in market["tiers"]:
            if tier["tier"] > 0 or Decimal(tier["savings"]) > 0:
                found.append({"market": market["market"], **tier})
    return found


def _lines(request: dict) -> list[dict]:
    found = []
    for line in request["lines"]:
        where = line.get("market") or line.get("country") or line.get("phone")
        found.append({"where": where, **{k: Decimal(line.get(k, "0")) for k in ("marketing", "utility", "authentication", "service")}})
    return found


def reprice_context(quote: Quote, catalog: Catalog, today: date) -> dict:
    stored = replace(request_from_json(quote.request), on=today)
    plan = quote.price_plan
    notes = []
    if quote.plan_name and plan is None:
        notes.append(f"The plan {quote.plan_name} no longer exists: repriced at Meta's prices only.")
    # Today's price book of the customer (a saved quote keeps the terms it was priced with).
    overrides = quote.customer_record.overrides if quote.customer_record_id else NO_OVERRIDES
    figures, problems = price_quote(catalog, stored, plan, quote.currency, quote.tax_country, overrides=overrides)
    if figures is None:
        return {"reprice": {"on": today, "problems": [message for _, message in problems], "notes": notes}}
    old, new = quote.result, figures.result
    markets = []
    old_markets = {m["market"]: m for m in old["markets"]}
    for market in new["markets"]:
        before = old_markets.get(market["market"])
        markets.append(_difference(market["market"], before, market))
    for name, before in old_markets.items():
        if not any(m["market"] == name for m in new["markets"]):
            markets.append(_difference(name, before, None))
    return {"reprice": {
        "on": today, "notes": notes, "problems": [],
        "cards": [c["card"] for c in new["comparison"][:1]],
        "saved_cards": [c["card"] for c in old["comparison"][:1]],
        "meta": _change(old["totals"]["meta"], new["totals"]["meta"]),
        "provider": _change(old["totals"]["provider"], new["totals"]["provider"]),
        "credits": _change(old["totals"].get("credits"), new["totals"].get("credits")) if "credits" in new["totals"] else None,
        # Tax: the setting in force today for the quote's country (quotes saved before taxes: none, gross = net).
        "tax": _change(old["totals"].get("tax", "0.00"), new["totals"]["tax"]),
        "gross": _change(old["totals"].get("gross", old["totals"]["provider"]), new["totals"]["gross"]),
        "tax_saved": (old.get("tax") or {}).get("label", NO_TAX_TEXT),
        "tax_today": new["tax"]["label"],
        "markets": markets,
        "warnings": new["warnings"],
    }}


def _difference(name: str, before: dict | None, after: dict | None) -> dict:
    return {"market": name,
            "meta": _change(before and before["meta_total"], after and after["meta_total"]),
            "provider": _change(before and before["provider_total"], after and after["provider_total"])}


def _change(before: str | None, after: str | None) -> dict:
    old = Decimal(before) if before is not None else Decimal(0)
    new = Decimal(after) if after is not None else Decimal(0)
    difference = new - old
    return {"saved": before, "today": after, "difference": f"{'+' if difference > 0 else ''}{difference}",
            "changed": difference != 0}
