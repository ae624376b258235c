"""The MCP tools: names, descriptions and input schemas, and each tool run over the JSON API's own code.

A tool's arguments are the JSON API's body for the same request (docs/api.md) and its answer the API's
200 body; the same readers (`calculator/api_input.py`), engine calls and shapers
(`calculator/api_output.py`) do the work, so the bounds of `calculator/engine/limits.py` hold here too.
Bad input answers a tool error whose `errors` name every offending field, as the API's 400 does.
Plain synchronous Django code: `pricing_mcp.server` runs it on the request's own thread.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest

from accounts.auth import bearer_key, key_user
from calculator import api as calculator_api
from calculator import openapi
from calculator.api_input import read_date
from calculator.api_output import card_json, rate_text
from quotes import api as quotes_api
from accounts.roles import can_quote
from ratecards.comparison import compare_cards
from ratecards.models import CardStatus, RateCard
from ratecards.snapshots import Catalog
from ratecards.views import resolve_answer

Problems = list[tuple[str, str]]
Answer = tuple[dict | None, Problems]


def _object(properties: dict, required: tuple[str, ...] = ()) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


CARD_ID = {"type": "integer", "minimum": 1, "description": "A rate card's id, as list_rate_cards gives it."}
QUOTE_PROPERTIES = {
    **openapi.ESTIMATE_REQUEST["properties"],
    "customer": {"type": "string", "maxLength": quotes_api.CUSTOMER_MAX, "example": "Acme Ltd",
                 "description": "Who the quote is for: a name, or an existing customer's id \"cus_...\" "
                                "whose price book (default plan, currency, overrides) then prices the quote."},
    "price_plan": {"type": "string", "description": "A provider price plan's name, e.g. example-credits; "
                                                    "without it the quote is Meta's prices alone (or, for a "
                                                    "customer id, the customer's default plan)."},
    "valid_until": {**openapi.DATE, "description": "Last day the quote holds (today or later)."},
    "notes": {"type": "string", "maxLength": 5000},
    "notes_for_customer": {"type": "boolean", "default": False, "description": "Show the notes on the shared quote."},
    "quote_currency": {"type": "string", "pattern": "^[A-Z]{3}$",
                       "description": "Quote in another currency (needs a dated exchange rate in the admin)."},
    "tax_country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "example": "DE",
                    "description": "The customer's country for tax (ISO 3166 alpha-2): the tax setting in force on "
                                   "the quote's date applies to the net; leave it out for no tax."},
}
SCHEMAS = {
    "estimate": _object(openapi.ESTIMATE_REQUEST["properties"]),
    "resolve_market": _object({
        "phone": {"type": "string", "example": "+18095550100", "description": "International format, with +."},
        "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "example": "DO",
                    "description": "ISO 3166 alpha-2 code; give this or phone, not both."},
        "on": {**openapi.DATE, "description": "The date whose market mapping applies (default today)."},
    }),
    "replay": _object(openapi.REPLAY_REQUEST["properties"], ("events",)),
    "list_rate_cards": _object({
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "example": "USD",
                     "description": "Only this currency's cards (default every currency)."},
        "on": {**openapi.DATE, "description": "Only the card in force on this date, per currency."},
    }),
    "compare_rate_cards": _object({
        "new": CARD_ID,
        "old": {**CARD_ID, "description": "The card to compare with (default: the card of the same currency "
                                          "in force the day before `new` took effect)."},
    }, ("new",)),
    "create_quote": _object(QUOTE_PROPERTIES, ("customer", "lines")),
}
DESCRIPTIONS = {
    "estimate": (
        "What Meta charges a month for a message mix on WhatsApp Business Platform, under the rate card in force on "
        "`on` (default today) and, for comparison, under the card in force on each `compare_on` date. Give `lines`: "
        "each names its market by exactly one of `country` (ISO code, e.g. IN), `phone` (+E.164) or `market` (a "
        "name), with monthly counts of marketing, utility, authentication and service messages. Answers the JSON "
        "API's POST /api/v1/estimate body: `estimates[0]` for `on`, then one per compare date, each with "
        "`rate_card`, `total`, `by_category`, `by_market` and `warnings` (amounts are decimal strings)."),
    "resolve_market": (
        "Which pricing market a recipient is billed as: give `phone` (e.g. +18095550100) or `country` (e.g. DO), "
        "and optionally the date `on`. Answers `market`, `country`, `calling_code` and `prefix`, as GET "
        "/api/v1/markets/resolve does. Use it before estimating when you are unsure of a number's market."),
    "replay": (
        "Prices an exact timeline of messages event by event (24-hour service windows, free entry points, "
        "volume tiers, free service allowance). `events`: each with `at` (ISO date-time with zone), `user` (the "
        "recipient's phone), `kind` (template, message, user_message, user_call) and for templates `category`. "
        "`cards_on`: dates whose cards price the whole timeline (default: each event's own date). Answers "
        "POST /api/v1/replay's body: one result per card with `total`, `by_category`, `charged` and per-event "
        "`events`."),
    "list_rate_cards": (
        "Meta's published rate cards: id, name, currency, effective date, pricing model (conversation or message) "
        "and rules. Filter by `currency`, or give `on` for only the card in force on that date. Use the ids with "
        "compare_rate_cards."),
    "compare_rate_cards": (
        "What changed from one published rate card to another: every rate that went up, down, was added or "
        "removed (market, category, old, new, change in percent), markets added or removed and rule changes. "
        "Give `new` (a card id from list_rate_cards) and optionally `old` (default: the card of the same currency "
        "in force the day before `new` took effect)."),
    "create_quote": (
        "Saves a priced quote for a customer and answers its read-only share link, PDF and CSV links and totals. "
        "Needs an API key of a Sales account sent as the HTTP header 'Authorization: Bearer <key>' (set it in "
        "the MCP client's configuration). The arguments are an estimate's (`lines`, `on`, `currency`, ...) plus "
        "`customer` (a name or a customer id cus_...) and optionally `price_plan`, `tax_country`, `valid_until`, "
        "`notes`; the answer is POST /api/v1/quotes's (`totals` has `meta`, `provider` before tax, `tax` and "
        "`gross`)."),
}
READ_ONLY = {"estimate", "resolve_market", "replay", "list_rate_cards", "compare_rate_cards"}


def _unknown(arguments: dict, allowed: dict) -> Problems:
    return [(name, f"unknown field; known: {', '.join(sorted(allowed))}") for name in arguments if name not in allowed]


def _card_id(value: Any, name: str, problems: Problems) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append((name, "must be a rate card's id (a whole number >= 1), as list_rate_cards gives it"))
        return None
    return value


def list_rate_cards(arguments: dict, request: HttpRequest) -> Answer:
    problems = _unknown(arguments, SCHEMAS["list_rate_cards"]["properties"])
    catalog = Catalog()
    currency = arguments.get("currency")
    if currency is not None and currency not in catalog.currencies():
        problems.append(("currency", f"no published card in {currency!r}; known: {', '.join(catalog.currencies())}"))
    on = read_date(arguments["on"], "on", problems) if arguments.get("on") is not None else None
    if problems:
        return None, problems
    infos = [info for info in catalog.card_infos() if currency is None or info.currency == currency]
    if on is not None:
        in_force = {listing.id for c in catalog.currencies() if (listing := catalog.listing_in_force(c, on))}
        infos = [info for info in infos if info.id in in_force]
    return {"rate_cards": [card_json(info) for info in infos]}, []


def _published(card_id: int, name: str, problems: Problems) -> RateCard | None:
    card = RateCard.objects.filter(pk=card_id, status=CardStatus.PUBLISHED).first()
    if card is None:
        problems.append((name, f"no published rate card has the id {card_id}: see list_rate_cards"))
    return card


def _previous(card: RateCard) -> RateCard | None:
    return (RateCard.objects.filter(currency=card.currency, status=CardStatus.PUBLISHED,
                                    effective_from__lt=card.effective_from).order_by("-effective_from").first())


def compare_rate_cards(arguments: dict, request: HttpRequest) -> Answer:
    problems = _unknown(arguments, SCHEMAS["compare_rate_cards"]["properties"])
    new_id = _card_id(arguments.get("new"), "new", problems)
    old_id = _card_id(arguments["old"], "old", problems) if arguments.get("old") is not None else None
    new = _published(new_id, "new", problems) if new_id else None
    old = _published(old_id, "old", problems) if old_id else None
    if new is not None and old is None and old_id is None:
        old = _previous(new)
        if old is None:
            problems.append(("old", f"{new.name} is its currency's first card: name the card to compare with"))
    if problems:
        return None, problems
    comparison = compare_cards(old, new)
    infos = {info.id: info for info in Catalog().card_infos()}
    return {
        "old": card_json(infos[old.pk]),
        "new": card_json(infos[new.pk]),
        "changes": [{"market": c.market, "category": c.category, "old": rate_text(c.old), "new": rate_text(c.new),
                     "change": c.kind, "change_percent": rate_text(c.change_percent)} for c in comparison.changes],
        "unchanged": comparison.unchanged_count,
        "markets_added": comparison.markets_added,
        "markets_removed": comparison.markets_removed,
        "rule_changes": [{"rule": r.name, "label": r.label, "old": r.old, "new": r.new} for r in comparison.rule_changes],
        "tier_changes": [{"market": t.market, "category": t.category,
                          "old": [{"from": start, "rate": rate_text(rate)} for start, rate in t.old],
                          "new": [{"from": start, "rate": rate_text(rate)} for start, rate in t.new]}
                         for t in comparison.tier_changes],
    }, []


def resolve_market(arguments: dict, request: HttpRequest) -> Answer:
    problems = _unknown(arguments, SCHEMAS["resolve_market"]["properties"])
    if problems:
        return None, problems
    return resolve_answer(arguments.get("phone"), arguments.get("country"), arguments.get("on"))


def create_quote(arguments: dict, request: HttpRequest) -> Answer:
    """The key check of the API (accounts.auth): only an API key; a session has no CSRF check here."""
    if bearer_key(request) is None:
        return None, [("authorization", "send a Sales account's API key as the HTTP header "
                                        "'Authorization: Bearer <key>' (an administrator creates keys)")]
    user = key_user(request)
    if user is None:
        return None, [("authorization", "the API key is unknown or revoked")]
    if not can_quote(user):
        return None, [("authorization", "this account may not make quotes: it needs the Sales or Sales managers group")]
    quote, problems = quotes_api.quote_from_body(user, arguments)
    if problems:
        return None, problems
    return quotes_api.quote_json(request, quote), []


RUNNERS: dict[str, Callable[[dict, HttpRequest], Answer]] = {
    "estimate": lambda arguments, request: calculator_api.estimate_answer(arguments),
    "resolve_market": resolve_market,
    "replay": lambda arguments, request: calculator_api.replay_answer(arguments),
    "list_rate_cards": list_rate_cards,
    "compare_rate_cards": compare_rate_cards,
    "create_quote": create_quote,
}


def run(name: str, arguments: dict, request: HttpRequest) -> tuple[dict, bool]:
    """(the JSON answer, whether it is an error): the API's 200 body, or `{"errors": [...]}`."""
    runner = RUNNERS.get(name)
    if runner is None:
        return {"errors": [{"field": "name", "message": f"no tool is called {name!r}; known: {', '.join(RUNNERS)}"}]}, True
    answer, problems = runner(arguments, request)
    if problems:
        return {"errors": [{"field": field, "message": message} for field, message in problems]}, True
    return json.loads(json.dumps(answer, cls=DjangoJSONEncoder)), False
