"""What of a quote's stored result the customer reads (share page, PDF, CSV), and what stays with the team.

A quote keeps everything it was priced with; the customer's copy speaks only of the customer's messages:
no notes on where a rate table came from or how reliable it is, no advice meant for the salesperson
("price it in USD"), no warnings of the provider's plan that the tables already show, and a quote on a
per-message card never speaks of conversations (the old conversation-based card is not among its
comparisons; conversations that only the provider's plan counts stay on the owner's page).
Works on quotes saved before these keys existed: everything is read from the stored result.
"""

from __future__ import annotations

from calculator.engine.calls import RECONSTRUCTED_NOTE

# Notes that describe our data (sources, reconstructions), not the customer's messages.
DATA_QUALITY_MARKERS = (RECONSTRUCTED_NOTE, "NOT FOUND", "reconstructed table", "third-party", "provenance")


def per_message(result: dict) -> bool:
    return result["estimate"]["estimates"][0]["rate_card"]["pricing_model"] != "conversation"


def about_our_data(text: str) -> bool:
    return any(marker.lower() in text.lower() for marker in DATA_QUALITY_MARKERS)


def speaks_of_conversations(text: str) -> bool:
    return "conversation" in text.lower()


def stale_text(result: dict) -> str:
    """The stale-rules notice in the customer's words: what the quote uses and what changed, no advice."""
    stale = result.get("stale_rules")
    if not stale:
        return ""
    currency = result.get("card_currency") or result["currency"]
    return (f"This quote uses {stale['card']}, Meta's latest {currency} card, with its rules. Meta changed its "
            f"rules on {stale['newer_rules_from']}: {'; '.join(stale['changes'])}. No {currency} card with those "
            "rules exists yet.")


def warnings(result: dict) -> list[str]:
    """Meta's warnings about these messages (and their calls), without the stale notice shown on its own,
    our data's notes or the plan's (the plan's tables say it: N/A)."""
    estimate = result["estimate"]["estimates"][0]
    found = list(estimate.get("warnings", [])) + list((result.get("calls") or {}).get("warnings", []))
    stale = (result.get("stale_rules") or {}).get("text")
    kept = []
    for warning in found:
        if warning == stale or about_our_data(warning) or warning in kept:
            continue
        if per_message(result) and speaks_of_conversations(warning):
            continue
        kept.append(warning)
    return kept


def credits_per_conversation(result: dict) -> bool:
    """The plan's credit table is per conversation (quotes saved before tables had a unit were): the quote
    then says so and how it converted the messages, on a per-message card too."""
    credits = result.get("credits")
    return bool(credits) and credits.get("unit", "conversation") == "conversation"


def method(result: dict) -> list[str]:
    """How the figures were estimated, as far as the customer's quote needs it."""
    notes = [n for n in result.get("method", []) if not about_our_data(n)]
    if per_message(result) and not credits_per_conversation(result):
        notes = [n for n in notes if not speaks_of_conversations(n)]
    return notes


def comparison(result: dict) -> list[dict]:
    """The cards compared: on a per-message quote, only per-message cards."""
    rows = result.get("comparison", [])
    return [row for row in rows if row.get("pricing_model") != "conversation"] if per_message(result) else rows


def rules(result: dict) -> list[dict]:
    found = result.get("rules", [])
    return [r for r in found if r.get("pricing_model") != "conversation"] if per_message(result) else found


def plan_description(plan: dict | None) -> str:
    """The provider's plan in one plain sentence (its terms, markups included, stay internal)."""
    if not plan:
        return ""
    if plan["unit"] == "credits":
        return (f"{plan['name']} is a credit plan: you pay the provider in credits, a set number for each message "
                "category in each market (the credits table below). Meta's charges are shown for comparison.")
    if plan["unit"] == "package":
        return (f"{plan['name']} is a package: a monthly fee with included units, a price for each unit beyond "
                "them, and Meta's charges on top or included, as listed below.")
    return (f"{plan['name']} is the provider's plan: your price is Meta's charges for your messages plus the "
            "provider's own fees and any discount, all listed below.")
