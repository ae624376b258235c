"""JSON API input: parsed into the engine's dataclasses, or every offending field named.

Numbers are read from JSON as Decimal (never float). Each problem is a `(field, message)` pair with
the field written as in the request (`lines[0].utility`), so a client can show it next to its input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import phonenumbers

from calculator import timezones
from calculator.engine import limits
from calculator.engine.estimate import (ASSUMPTION_FIELDS, COUNT_FIELDS, PER_CONVERSATION_FIELDS, SHARE_FIELDS,
                                         AssumptionOverrides, Assumptions, EstimateLine, EstimateRequest)
from calculator.engine.limits import (MAX_AGENT_TOKENS, MAX_COMPARE_DATES, MAX_COUNT,  # noqa: F401 (re-exported)
                                      MAX_EVENTS, MAX_LINES, MAX_PER_CONVERSATION, MAX_PHONE_NUMBERS,
                                      MAX_REPLAY_EVENT_CARDS)
from calculator.engine.replay import LAST_DAY, TEMPLATE_CATEGORIES
from pricing_site.edge import first_unstorable
from calculator.engine.markets import InvalidPhoneNumber, read_phone

ESTIMATE_FIELDS = {
    "on", "compare_on", "currency", "business_country", "auth_international", "business_phone_numbers",
    "assumptions", "lines", "meta_business_agent_tokens",
    "calls",  # read by calculator.calls_api
}
LINE_FIELDS = {"market", "country", "phone", "assumptions", *COUNT_FIELDS}
REPLAY_FIELDS = {"cards_on", "currency", "business_country", "auth_international", "business_phone_numbers", "events",
                 "timezone"}
EVENT_FIELDS = {"at", "user", "kind", "category", "entry_point"}
EVENT_KINDS = ("user_message", "template", "message", "user_call")  # a user's call opens the window as a message does


class BadBody(ValueError):
    """The body is not a JSON object at all, or holds text no field can store (`field` names where)."""

    def __init__(self, message: str, field: str = "body"):
        super().__init__(message)
        self.field = field


Problems = list[tuple[str, str]]


def parse_json_body(content_type: str, body: bytes) -> dict:
    if not body or not body.strip():
        raise BadBody("the request body is empty: send a JSON object")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise BadBody(f"send the body as application/json (got '{content_type or 'no content type'}')")
    try:
        limits.json_values_bound(body)
        data = json.loads(body, parse_float=limits.json_decimal, parse_int=limits.json_int,
                          parse_constant=_reject_constant)
    except limits.OverBudget as exc:
        raise BadBody(f"the body is too large to read: {exc}") from None
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8 text") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise BadBody(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadBody("the body is nested too deeply") from None
    if not isinstance(data, dict):
        raise BadBody("the body must be a JSON object ({...})")
    problem = first_unstorable(data)
    if problem:
        raise BadBody(problem[1], field=problem[0])
    return data


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def unknown_fields(data: dict, allowed: set[str], prefix: str, problems: Problems) -> None:
    for key in data:
        if key not in allowed:
            problems.append((f"{prefix}{key}", f"unknown field; expected one of {', '.join(sorted(allowed))}"))


def is_object_of(data: Any, name: str, allowed: set[str], expected: str, problems: Problems) -> bool:
    """Whether `data` is an object (else one problem saying it must be one with `expected`); its fields
    outside `allowed` are named as problems."""
    if not isinstance(data, dict):
        problems.append((name, "must be an object with " + expected))
        return False
    unknown_fields(data, allowed, name + ".", problems)
    return True


def read_number(value: Any, name: str, problems: Problems, *, low: Decimal, high: Decimal, low_text: str,
                high_text: str | None = None) -> Decimal | None:
    """A JSON number within [low, high] as Decimal; appends a problem and returns None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        problems.append((name, "must be a number"))
        return None
    try:
        number = limits.sane_decimal(Decimal(value))
    except limits.NumberRefused as exc:
        problems.append((name, high_text or f"must be at most {high:,}" if exc.kind == "too_large" else str(exc)))
        return None
    if number < low:
        problems.append((name, low_text))
        return None
    if number > high:
        problems.append((name, high_text or f"must be at most {high:,}"))
        return None
    return number


def read_date(value: Any, name: str, problems: Problems) -> date | None:
    if not isinstance(value, str):
        problems.append((name, "must be a date written YYYY-MM-DD"))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append((name, f"'{value}' is not a date: use YYYY-MM-DD, e.g. 2026-11-01"))
        return None


def read_country(value: Any, name: str, problems: Problems) -> str | None:
    if not isinstance(value, str) or value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        problems.append((name, f"{json.dumps(value, default=str)} is not an ISO 3166 country code (e.g. IN, BR, GB)"))
        return None
    return value.upper()


def read_bool(value: Any, name: str, problems: Problems) -> bool:
    if not isinstance(value, bool):
        problems.append((name, "must be true or false"))
        return False
    return value


def read_currency(value: Any, known: list[str], problems: Problems) -> str | None:
    if not isinstance(value, str) or value.upper() not in known:
        problems.append(("currency", f"{json.dumps(value, default=str)} has no rate card; known: {', '.join(known)}"))
        return None
    return value.upper()


def read_phone_numbers(value: Any, problems: Problems) -> int:
    number = read_number(value, "business_phone_numbers", problems, low=Decimal(1), high=Decimal(MAX_PHONE_NUMBERS),
                         low_text="must be 1 or more")
    if number is not None and number != number.to_integral_value():
        problems.append(("business_phone_numbers", "must be a whole number"))
        return 1
    return int(number) if number is not None else 1


def read_agent_tokens(value: Any, problems: Problems) -> Decimal | None:
    """Meta Business Agent tokens a month: a whole number from 0 to MAX_AGENT_TOKENS."""
    name = "meta_business_agent_tokens"
    number = read_number(value, name, problems, low=Decimal(0), high=MAX_AGENT_TOKENS,
                         low_text="must be zero or more tokens")
    if number is not None and number != number.to_integral_value():
        problems.append((name, "must be a whole number of tokens"))
        return None
    return number


def read_assumptions(data: Any, prefix: str, problems: Problems) -> dict[str, Decimal]:
    """The four assumptions given in an object; absent ones are left out."""
    if not is_object_of(data, prefix.rstrip("."), set(ASSUMPTION_FIELDS), ", ".join(ASSUMPTION_FIELDS), problems):
        return {}
    found = {}
    for name in SHARE_FIELDS:
        if name in data:
            value = read_number(data[name], prefix + name, problems, low=Decimal(0), high=Decimal(1),
                                low_text="must be a share from 0 to 1", high_text="must be a share from 0 to 1")
            if value is not None:
                found[name] = value
    for name in PER_CONVERSATION_FIELDS:
        if name in data:
            value = read_number(data[name], prefix + name, problems, low=Decimal(1), high=MAX_PER_CONVERSATION,
                                low_text="must be 1 or more (a conversation holds at least one message)")
            if value is not None:
                found[name] = value
    return found


@dataclass(frozen=True)
class BusinessInput:
    currency: str | None
    country: str | None
    auth_international: bool
    phone_numbers: int


def read_business(data: dict, currencies: list[str], problems: Problems) -> BusinessInput:
    """The fields an estimate and a replay share: currency and who the business is."""
    country = None
    if data.get("business_country") not in (None, ""):
        country = read_country(data["business_country"], "business_country", problems)
    return BusinessInput(
        currency=read_currency(data.get("currency", "USD"), currencies, problems),
        country=country,
        auth_international=read_bool(data["auth_international"], "auth_international", problems)
        if "auth_international" in data else False,
        phone_numbers=read_phone_numbers(data["business_phone_numbers"], problems)
        if "business_phone_numbers" in data else 1,
    )


def read_items(data: dict, name: str, most: int, read_one, problems: Problems, missing: str) -> list:
    """A non-empty list of at most `most` items, each read by `read_one(item, index, problems)`."""
    raw = data.get(name)
    if not isinstance(raw, list) or not raw:
        problems.append((name, missing))
        return []
    if len(raw) > most:
        problems.append((name, f"at most {most:,} {name} (got {len(raw):,})"))
        return []
    return [read_one(item, index, problems) for index, item in enumerate(raw)]


@dataclass
class EstimateInput:
    request: EstimateRequest
    on: date
    compare_on: list[date] | None  # None: the default comparison
    currency: str
    date_fields: list[str] = field(default_factory=list)  # "on", "compare_on[0]", ... for error messages


def read_line(data: Any, index: int, problems: Problems) -> EstimateLine | None:
    prefix = f"lines[{index}]."
    before = len(problems)
    if not is_object_of(data, f"lines[{index}]", LINE_FIELDS, "a market, country or phone and counts", problems):
        return None
    named = [key for key in ("market", "country", "phone") if data.get(key) not in (None, "")]
    if len(named) != 1:
        problems.append((f"lines[{index}]", "name the recipients by exactly one of market, country or phone"
                         + (f" (got {', '.join(named)})" if named else "")))
    where = {}
    if "market" in named:
        if not isinstance(data["market"], str):
            problems.append((prefix + "market", "must be a market name, e.g. Rest of Africa"))
        else:
            where["market"] = data["market"].strip()
    if "country" in named:
        where["country"] = read_country(data["country"], prefix + "country", problems)
    if "phone" in named:
        if not isinstance(data["phone"], str):
            problems.append((prefix + "phone", "must be a phone number written as text, e.g. \"+18095550100\""))
        else:
            where["phone"] = data["phone"]
    counts = {}
    for name in COUNT_FIELDS:
        if name in data:
            value = read_number(data[name], prefix + name, problems, low=Decimal(0), high=MAX_COUNT,
                                low_text="must be zero or more")
            if value is not None:
                counts[name] = value
    own = read_assumptions(data["assumptions"], prefix + "assumptions.", problems) if "assumptions" in data else {}
    if len(problems) > before:
        return None
    return EstimateLine(**where, **counts, assumptions=AssumptionOverrides(**own))


def read_estimate(data: dict, currencies: list[str], today: date) -> tuple[EstimateInput | None, Problems]:
    problems: Problems = []
    unknown_fields(data, ESTIMATE_FIELDS, "", problems)
    on = read_date(data["on"], "on", problems) if "on" in data else today
    compare_on = None
    if "compare_on" in data:
        raw = data["compare_on"]
        if not isinstance(raw, list) or len(raw) > MAX_COMPARE_DATES:
            problems.append(("compare_on", f"must be a list of at most {MAX_COMPARE_DATES} dates (YYYY-MM-DD)"))
        else:
            compare_on = [read_date(value, f"compare_on[{i}]", problems) for i, value in enumerate(raw)]
    business = read_business(data, currencies, problems)
    assumptions = read_assumptions(data["assumptions"], "assumptions.", problems) if "assumptions" in data else {}
    lines = []
    if "lines" in data or not data.get("calls"):  # calls alone need no message lines
        lines = read_items(data, "lines", MAX_LINES, read_line, problems,
                           "give at least one line: a market, country or phone with monthly counts")
    agent_tokens = read_agent_tokens(data["meta_business_agent_tokens"], problems) \
        if "meta_business_agent_tokens" in data else None
    if problems:
        return None, problems
    request = EstimateRequest(
        meta_business_agent_tokens=agent_tokens,
        lines=tuple(lines),
        assumptions=Assumptions(**assumptions),
        business_country=business.country,
        auth_international=business.auth_international,
        business_phone_numbers=business.phone_numbers,
    )
    return EstimateInput(request=request, on=on, compare_on=compare_on, currency=business.currency), []


@dataclass
class EventInput:
    at: datetime
    user: str
    kind: str
    category: str | None
    entry_point: bool


@dataclass
class ReplayInput:
    events: list[EventInput]
    cards_on: list[date] | None
    currency: str
    business_country: str | None
    auth_international: bool
    business_phone_numbers: int
    timezone: str = timezones.DEFAULT  # IANA name: the account's months (tiers, allowance) run in it


def read_instant(value: Any, name: str, problems: Problems) -> datetime | None:
    if not isinstance(value, str):
        problems.append((name, "must be a time written like 2026-11-02T03:00:00Z"))
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        problems.append((name, f"'{value}' is not a time: use ISO 8601, e.g. 2026-11-02T03:00:00Z"))
        return None
    if moment.tzinfo is None:
        problems.append((name, f"'{value}' has no time zone: end it with Z for UTC or give an offset like +05:30"))
        return None
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        problems.append((name, f"'{value}' is out of range"))
        return None


def read_event(data: Any, index: int, problems: Problems) -> EventInput | None:
    prefix = f"events[{index}]."
    before = len(problems)
    if not is_object_of(data, f"events[{index}]", EVENT_FIELDS, "at, user and kind", problems):
        return None
    at = read_instant(data.get("at"), prefix + "at", problems)
    if at is not None and at.date() > LAST_DAY:
        problems.append((prefix + "at", f"must be on or before {LAST_DAY.isoformat()}"))
    user = data.get("user")
    if not isinstance(user, str) or not user.strip():
        problems.append((prefix + "user", "must be the user's phone number as text, e.g. \"+919800000001\""))
    else:
        # The one validation estimate and resolve use too; a user is their E.164 number, so Meta's wa_id
        # (447911123456) and +44 7911 123456 are the same person.
        try:
            user = read_phone(user).e164
        except InvalidPhoneNumber as exc:
            problems.append((prefix + "user", str(exc)))
    kind = data.get("kind")
    category = data.get("category")
    if kind not in EVENT_KINDS:
        problems.append((prefix + "kind", f"must be one of {', '.join(EVENT_KINDS)}"))
    elif kind == "template":
        if category not in TEMPLATE_CATEGORIES:
            problems.append((prefix + "category", f"a template needs a category: {', '.join(TEMPLATE_CATEGORIES)} "
                             "(marketing_lite is billed as marketing)"))
    elif category is not None:
        problems.append((prefix + "category", f"only templates have a category (this is a {kind})"))
    entry_point = read_bool(data["entry_point"], prefix + "entry_point", problems) if "entry_point" in data else False
    if entry_point and kind != "user_message":
        problems.append((prefix + "entry_point", "only a user_message comes from an entry point"))
    if len(problems) > before:
        return None
    return EventInput(at=at, user=user, kind=kind, category=category, entry_point=entry_point)


def read_replay(data: dict, currencies: list[str]) -> tuple[ReplayInput | None, Problems]:
    problems: Problems = []
    unknown_fields(data, REPLAY_FIELDS, "", problems)
    cards_on = None
    if "cards_on" in data:
        raw = data["cards_on"]
        if not isinstance(raw, list) or not raw or len(raw) > MAX_COMPARE_DATES:
            problems.append(("cards_on", f"must be a list of 1 to {MAX_COMPARE_DATES} dates (YYYY-MM-DD)"))
        else:
            cards_on = [read_date(value, f"cards_on[{i}]", problems) for i, value in enumerate(raw)]
    business = read_business(data, currencies, problems)
    timezone_name = data.get("timezone", timezones.DEFAULT)
    wrong_zone = timezones.problem(timezone_name)
    if wrong_zone is not None:
        problems.append(("timezone", wrong_zone))
    dates = len(cards_on) if cards_on else 1
    events_asked = len(data["events"]) if isinstance(data.get("events"), list) else 0
    if events_asked * dates > MAX_REPLAY_EVENT_CARDS:
        problems.append(("events", f"a replay prices at most {MAX_REPLAY_EVENT_CARDS:,} events x cards_on dates; "
                         f"this one asks for {events_asked:,} events x {dates} dates = {events_asked * dates:,}: "
                         "send fewer events or fewer dates per request"))
        return None, problems
    events = read_items(data, "events", MAX_EVENTS, read_event, problems, "give at least one event")
    if problems:
        return None, problems
    return ReplayInput(events, cards_on, business.currency, business.country, business.auth_international,
                       business.phone_numbers, timezone_name), []

