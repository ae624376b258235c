"""The OpenAPI 3.1 description of API v1, served at /api/v1/openapi.json and drawn at /api/v1/docs."""

from __future__ import annotations

from calculator.api_input import MAX_AGENT_TOKENS, MAX_COMPARE_DATES, MAX_EVENTS, MAX_LINES, MAX_PHONE_NUMBERS
from calculator.calls_api import CALLS_REQUEST_PROPERTY, CALLS_RESULT_SCHEMA

COUNT = {"type": "number", "minimum": 0, "maximum": 10**12, "description": "Messages a month (may be fractional)."}
SHARE = {"type": "number", "minimum": 0, "maximum": 1}
PER_CONVERSATION = {"type": "number", "minimum": 1, "maximum": 10**6}
DATE = {"type": "string", "format": "date", "example": "2026-11-01"}
MONEY = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "Decimal amount, rounded to the minor unit."}
CATEGORY_AMOUNTS = {
    "type": "object",
    "properties": {
        **{c: MONEY for c in ("marketing", "utility", "authentication", "authentication_international", "service")},
        "meta_business_agent": {
            "type": ["string", "null"], "pattern": r"^-?\d+\.\d{2}$",
            "description": "Only when the request gave meta_business_agent_tokens: their cost at the dated rate per "
                           "million tokens of the estimate's currency; 0 before Meta bills them (with a note); null "
                           "when the currency has no rate (with a warning; never an invented figure).",
        },
    },
}
AGENT = {
    "type": "object",
    "description": "Meta Business Agent tokens and how they were priced (only when the request gave them).",
    "properties": {
        "tokens": {"type": "integer"},
        "status": {"enum": ["priced", "not_billed_yet", "no_rate"]},
        "rate_per_million_tokens": {"type": ["string", "null"], "example": "2.0000"},
        "rate_effective_from": {"oneOf": [DATE, {"type": "null"}]},
        "amount": {"type": ["string", "null"]},
        "note": {"type": ["string", "null"]},
    },
}
STALE_RULES = {
    "type": ["object", "null"],
    "description": "Set when the card used predates rules Meta has since changed for every currency (a later card "
                   "of another currency has other rules): the card and rules used, the newer rules and their date, "
                   "and the currencies whose card is current on the date (price in one of them for today's rules).",
    "properties": {
        "card": {"type": "string", "example": "EUR 2026-07-01"},
        "rules": {"type": "object"},
        "newer_rules_from": DATE,
        "newer_card": {"type": "string", "example": "USD 2026-10-01"},
        "newer_rules": {"type": "object"},
        "changes": {"type": "array", "items": {"type": "string"}},
        "current_currencies": {"type": "array", "items": {"type": "string"}, "example": ["USD"]},
    },
}
ERRORS = {
    "description": "Bad input: every offending field is named.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["errors"],
                "properties": {
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["field", "message"],
                            "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                        },
                    }
                },
            },
            "example": {"errors": [{"field": "lines[0].utility", "message": "must be zero or more"}]},
        }
    },
}
ASSUMPTIONS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "utility_in_service_window": {**SHARE, "description": "Share of utility templates delivered inside an open customer service window."},
        "free_entry_point": {**SHARE, "description": "Share of messages delivered inside free entry-point windows."},
        "templates_per_conversation": {**PER_CONVERSATION, "description": "Same-category templates a user gets within 24 hours."},
        "service_messages_per_conversation": {**PER_CONVERSATION, "description": "Free-form replies per service conversation."},
    },
}
LINE = {
    "type": "object",
    "additionalProperties": False,
    "description": "Recipients named by exactly one of market, country or phone, with monthly counts.",
    "properties": {
        "market": {"type": "string", "example": "Rest of Africa"},
        "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "example": "IN"},
        "phone": {"type": "string", "example": "+18095550100"},
        "marketing": COUNT,
        "utility": COUNT,
        "authentication": COUNT,
        "service": COUNT,
        "assumptions": ASSUMPTIONS,
    },
}
BUSINESS = {
    "currency": {"type": "string", "default": "USD", "example": "USD"},
    "business_country": {"type": ["string", "null"], "pattern": "^[A-Za-z]{2}$", "example": "GB"},
    "auth_international": {"type": "boolean", "default": False},
    "business_phone_numbers": {"type": "integer", "minimum": 1, "maximum": MAX_PHONE_NUMBERS, "default": 1},
}
ESTIMATE_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "anyOf": [{"required": ["lines"]}, {"required": ["calls"]}],
    "properties": {
        "on": DATE,
        "compare_on": {"type": "array", "items": DATE, "maxItems": MAX_COMPARE_DATES},
        **BUSINESS,
        "assumptions": ASSUMPTIONS,
        "lines": {"type": "array", "items": LINE, "minItems": 1, "maxItems": MAX_LINES,
                  "description": "Required unless calls are given."},
        "meta_business_agent_tokens": {
            "type": "integer", "minimum": 0, "maximum": int(MAX_AGENT_TOKENS),
            "description": "Tokens a month written by Meta's own AI agent (Meta Business Agent), billed per million "
                           "tokens from 2026-08-01 (USD 2.00), free in no window.",
            "example": 25000000,
        },
        "calls": CALLS_REQUEST_PROPERTY,
    },
    "example": {
        "on": "2026-11-01",
        "currency": "USD",
        "business_country": "GB",
        "lines": [{"country": "IN", "marketing": 100000, "utility": 250000}, {"phone": "+18095550100", "utility": 1000}],
        "calls": [{"country": "IN", "business_initiated_minutes": 1000, "average_call_seconds": 56,
                   "user_initiated_minutes": 500}],
    },
}
RATE_CARD = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "effective_from": DATE,
        "pricing_model": {"enum": ["conversation", "message"]},
        "currency": {"type": "string"},
        "rules": {"type": "object"},
    },
}
ESTIMATE = {
    "type": "object",
    "properties": {
        "on": DATE,
        "rate_card": RATE_CARD,
        "total": MONEY,
        "list_total": MONEY,
        "tier_savings": MONEY,
        "by_category": CATEGORY_AMOUNTS,
        "by_market": {"type": "array", "items": {"type": "object"}},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}},
        "stale_rules": STALE_RULES,
        "meta_business_agent": AGENT,
        "calls": CALLS_RESULT_SCHEMA,
    },
}
EVENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["at", "user", "kind"],
    "properties": {
        "at": {"type": "string", "format": "date-time", "example": "2026-11-02T03:00:00Z"},
        "user": {"type": "string", "example": "+919800000001"},
        "kind": {"enum": ["user_message", "template", "message", "user_call"]},
        "category": {"enum": ["marketing", "utility", "authentication"]},
        "entry_point": {"type": "boolean"},
    },
}
REPLAY_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["events"],
    "properties": {
        "cards_on": {"type": "array", "items": DATE, "minItems": 1, "maxItems": MAX_COMPARE_DATES},
        **BUSINESS,
        "events": {"type": "array", "items": EVENT, "minItems": 1, "maxItems": MAX_EVENTS},
        "timezone": {"type": "string", "default": "UTC", "maxLength": 64, "example": "Asia/Kolkata",
                     "description": "IANA time zone of the account: its days and months (volume tiers, the free "
                                    "service allowance) are counted in it, as Meta counts them. The answer names it."},
    },
}


def json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def openapi_document(server: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "WhatsApp Business Platform pricing API",
            "version": "1",
            "description": "What Meta charges for a message mix or an exact timeline, under the card in force on a "
            "date and under any other card for comparison. Amounts are decimal strings rounded to the "
            "currency's minor unit; counts are numbers.",
        },
        "servers": [{"url": server.rstrip("/")}],
        "paths": {
            "/api/v1/markets/resolve": {
                "get": {
                    "summary": "The market a phone number or country is billed as on a date",
                    "parameters": [
                        {"name": "phone", "in": "query", "schema": {"type": "string"}, "example": "+18095550100"},
                        {"name": "country", "in": "query", "schema": {"type": "string"}, "example": "DO"},
                        {"name": "on", "in": "query", "schema": DATE},
                    ],
                    "responses": {
                        "200": {"description": "The market.", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "400": ERRORS,
                    },
                }
            },
            "/api/v1/estimate": {
                "post": {
                    "summary": "Price a monthly message mix, compared with other cards",
                    "requestBody": json_body(ESTIMATE_REQUEST),
                    "responses": {
                        "200": {
                            "description": "One estimate per card: estimates[0] for `on`, then one per compare_on date.",
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "properties": {
                                    "currency": {"type": "string"},
                                    "estimates": {"type": "array", "items": ESTIMATE},
                                    "lines": {"type": "array", "items": {"type": "object"}},
                                },
                            }}},
                        },
                        "400": ERRORS,
                    },
                }
            },
            "/api/v1/replay": {
                "post": {
                    "summary": "Price exact timelines event by event",
                    "requestBody": json_body(REPLAY_REQUEST),
                    "responses": {
                        "200": {"description": "One result per card in cards_on.", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "400": ERRORS,
                    },
                }
            },
        },
    }
