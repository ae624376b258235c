"""Which market a recipient is billed as: pure Python, no ORM.

Meta maps a number to its **country** and the country to a market (pricing-rules.md, "Market"): the
country is libphonenumber's region for the number's digits, except where Meta lists area codes itself
(the NANP area codes of the Dominican Republic, Jamaica and Puerto Rico; Kazakhstan under +7); a
country that no rule in force lists is billed as ``Other``, also when it shares a calling code with a
listed one (Bahamas under +1, Guernsey under +44). So a country typed by ISO code and a number of that
country always resolve to the same market, and a number's ``country`` is its own (US, not CA).

`MappingRule` rows come from the database (or the shipped CSV); `MarketMap.for_date` keeps the
rules in force on one date and answers for phone numbers and ISO countries; `MarketMap.priced_by` is that
mapping as one rate card can price it (a card that predates a market prices its countries where the
card's own mapping put them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Collection, Iterable

import phonenumbers

OTHER = "Other"


class InvalidPhoneNumber(ValueError):
    """The text is not a valid international phone number."""


class UnknownCountry(ValueError):
    """The text is not an ISO 3166 alpha-2 country code."""


@dataclass(frozen=True, slots=True)
class MappingRule:
    market: str
    iso2: str
    country: str
    calling_code: str
    prefix: str
    effective_from: date | None = None
    effective_to: date | None = None

    def in_force(self, on: date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )


@dataclass(frozen=True, slots=True)
class Resolution:
    market: str
    country: str | None  # ISO 3166 alpha-2, None when unknown
    calling_code: str | None = None
    prefix: str | None = None  # the mapping prefix that matched; None for Other
    e164: str | None = None  # the normalised number, when a phone number was resolved


_SEPARATORS = re.compile(r"[\s().\-/]")
# calling code (as text) -> the ISO regions libphonenumber knows under it ("001" for non-geographic numbers)
_REGIONS = {str(code): regions for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()}
NON_GEOGRAPHIC = "001"
MEXICO_WHATSAPP = "+521"  # Mexico's mobiles as WhatsApp writes them: +52 1 55 1234 5678


def normalise_phone(text: str) -> phonenumbers.PhoneNumber:
    """Parse an international number written with or without '+', spaces allowed.

    Raises InvalidPhoneNumber with a message a user can act on.
    """
    raw = (text or "").strip()
    if not raw:
        raise InvalidPhoneNumber("enter a phone number with its country calling code, e.g. +44 20 7946 0958")
    compact = _SEPARATORS.sub("", raw)
    if compact.startswith("00"):
        compact = compact[2:]
    if not compact.startswith("+"):
        compact = "+" + compact
    if not compact[1:].isdigit():
        raise InvalidPhoneNumber(f"'{raw}' is not a phone number: use digits, spaces and an optional leading +")
    try:
        number = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"'{raw}' is not a phone number: {exc._msg}") from None
    if not phonenumbers.is_valid_number(number) and compact.startswith(MEXICO_WHATSAPP):
        # WhatsApp's own form of a Mexican mobile (wa_id 521...): the "1" Mexico dropped in 2019
        shorter = phonenumbers.parse("+52" + compact[len(MEXICO_WHATSAPP):], None)
        if phonenumbers.is_valid_number(shorter):
            return shorter
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"'{raw}' is not a valid number for any country (check the calling code and length)")
    return number


def national_phone(text: str, region: str) -> Phone | None:
    """A number written without its country code ("612 345 678"), read as a number of ``region`` (the
    business's country); None when it is written internationally (+, 00) or is not valid there."""
    raw = (text or "").strip()
    if not raw or raw.startswith(("+", "00")) or region not in phonenumbers.SUPPORTED_REGIONS:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    found = phonenumbers.region_code_for_number(number)  # "+1 416..." typed in the US is Canada's
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                 None if found in (None, NON_GEOGRAPHIC) else found, str(number.country_code))


@dataclass(frozen=True, slots=True)
class Phone:
    """A valid international number: what every entry point (estimate, resolve, replay, paste) accepts."""

    e164: str  # "+447911123456": the user's identity, however it was written (wa_id, spaces, 00...)
    country: str | None  # libphonenumber's region; None for non-geographic numbers (+800, +882...)
    calling_code: str


@lru_cache(maxsize=1 << 15)
def read_phone(text: str) -> Phone:
    """The one validation of a phone number typed or sent by a user; cached (parsing costs ~25 us).

    Raises InvalidPhoneNumber (not cached) with a message naming what is wrong.
    """
    number = normalise_phone(text)
    region = phonenumbers.region_code_for_number(number)
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                 None if region in (None, NON_GEOGRAPHIC) else region, str(number.country_code))


def calling_code_of(digits: str) -> str | None:
    """The calling code an international number's digits (no '+') start with, if any."""
    for length in (1, 2, 3):
        if digits[:length] in _REGIONS:
            return digits[:length]
    return None


def country_of_digits(digits: str) -> str | None:
    """The country of an international number's digits, without validating the number (for numbers Meta
    has already delivered to, in webhooks and replays).

    Fast: a calling code of one country answers from a table; only a shared calling code (+1, +7, +44,
    ...) needs libphonenumber, once per number (cached). A number under a shared code that libphonenumber
    cannot place (a range newer than its data) is the calling code's main country: Meta delivered to it.
    """
    code = calling_code_of(digits)
    if code is None:
        return None
    regions = _REGIONS[code]
    if len(regions) == 1:
        return None if regions[0] == NON_GEOGRAPHIC else regions[0]
    return _shared_code_region(digits) or regions[0]


@lru_cache(maxsize=1 << 16)
def _shared_code_region(digits: str) -> str | None:
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(number)


class MarketMap:
    """The mapping rules in force on one date: country -> market, and Meta's own area-code listings."""

    __slots__ = ("on", "_by_country", "_by_area", "_area_lengths", "_shared_codes", "markets", "moved", "_priced")

    def __init__(self, on: date, rules: Iterable[MappingRule]):
        self._build(on, [rule for rule in rules if rule.in_force(on)], {})

    def _build(self, on: date, rules: list[MappingRule], moved: dict[str, dict[str, str]]) -> None:
        self.on = on
        # A country's rules, shortest prefix first: its own rule names its market (the Dominican Republic
        # has three NANP prefixes but one market); sorted so the answer never depends on database order.
        by_country: dict[str, list[MappingRule]] = {}
        for rule in sorted(rules, key=lambda r: (len(r.prefix), r.prefix, r.iso2)):
            by_country.setdefault(rule.iso2, []).append(rule)
        self._by_country = {code: tuple(found) for code, found in by_country.items()}
        # Rules for part of a calling code (area codes Meta lists: DO 1809, KZ 77): they say the country.
        self._by_area = {rule.prefix: rule for rule in rules if rule.prefix != rule.calling_code}
        self._area_lengths = tuple(sorted({len(prefix) for prefix in self._by_area}, reverse=True))
        # Calling codes whose numbers need more than the code to place: several countries, or area rules.
        self._shared_codes = frozenset({code for code, regions in _REGIONS.items() if len(regions) > 1}
                                       | {rule.calling_code for rule in self._by_area.values()})
        self.markets = frozenset({found[0].market for found in self._by_country.values()} | {OTHER})
        # Markets of this date that a card has no rates for: market -> {country: the market it is priced as}
        self.moved = moved
        self._priced: dict = {}

    @classmethod
    def for_date(cls, rules: Iterable[MappingRule], on: date) -> "MarketMap":
        return cls(on, rules)

    def resolve_digits(self, digits: str, e164: str | None = None, region: str | None = None) -> Resolution:
        """An international number's digits (no '+'), its country from `region` when the caller parsed it."""
        for length in self._area_lengths:
            rule = self._by_area.get(digits[:length])
            if rule is not None:
                return Resolution(rule.market, rule.iso2, rule.calling_code, rule.prefix, e164)
        country = region if region is not None else country_of_digits(digits)
        rules = self._by_country.get(country) if country else None
        if not rules:
            return Resolution(OTHER, country, calling_code_of(digits), None, e164)
        rule = rules[0]
        return Resolution(rule.market, country, rule.calling_code,
                          next((r.prefix for r in rules if digits.startswith(r.prefix)), None), e164)

    def place_key(self, digits: str) -> str:
        """The part of a number's digits that decides where it is billed under this mapping, for caches: the
        calling code when one country has it and no area rule splits it, else the whole number."""
        code = calling_code_of(digits)
        return digits if code is None or code in self._shared_codes else code

    def resolve_phone(self, text: str, home: str | None = None) -> Resolution:
        """A phone number as a user wrote it: validated (InvalidPhoneNumber), then placed by its country.
        ``home``: the country of numbers written without a country code (the paste box's business country)."""
        phone = (national_phone(text, home) if home else None) or read_phone(text)
        found = self.resolve_digits(phone.e164[1:], phone.e164, phone.country or NON_GEOGRAPHIC)
        return found if found.country != NON_GEOGRAPHIC else Resolution(OTHER, None, phone.calling_code, None,
                                                                         phone.e164)

    def resolve_country(self, iso2: str) -> Resolution:
        code = (iso2 or "").strip().upper()
        if len(code) != 2 or not code.isalpha() or code not in phonenumbers.SUPPORTED_REGIONS:
            raise UnknownCountry(f"'{iso2}' is not an ISO 3166 country code (two letters, e.g. IN, BR, GB)")
        rules = self._by_country.get(code)
        if not rules:
            return Resolution(OTHER, code, str(phonenumbers.country_code_for_region(code)), None, None)
        return Resolution(rules[0].market, code, rules[0].calling_code, rules[0].prefix, None)

    def countries_of(self, market: str) -> frozenset[str]:
        """ISO codes of the countries listed under a market on this date (empty for Other)."""
        return frozenset(code for code, rules in self._by_country.items() if rules[0].market == market)

    def priced_by(self, priced: Collection[str], card_map: "MarketMap") -> "MarketMap":
        """This mapping as a card with rates for the markets `priced` can price it.

        A card that predates a market (no USD card for Hong Kong's first months, an EUR card older than
        Bangladesh) prices that market's countries as its own mapping (`card_map`) placed them, so nothing
        is priced at 0 or refused for want of a row; `moved` says which, for the warnings. Itself when the
        card prices every market; cached per card mapping.
        """
        unpriced = tuple(sorted(m for m in self.markets if m not in priced))
        if not unpriced:
            return self
        key = (id(card_map), unpriced)
        found = self._priced.get(key)
        if found is not None and found[0] is card_map:
            return found[1]
        rules: list[MappingRule] = []
        moved: dict[str, dict[str, str]] = {}
        for country, own in self._by_country.items():
            if own[0].market in priced:
                rules += own
                continue
            theirs = card_map._by_country.get(country, ())
            if theirs and theirs[0].market in priced:
                rules += theirs
            moved.setdefault(own[0].market, {})[country] = theirs[0].market if theirs and theirs[0].market in priced \
                else OTHER
        merged = object.__new__(MarketMap)
        merged._build(self.on, rules, moved)
        self._priced[key] = (card_map, merged)
        return merged

    def moved_from(self, country: str | None) -> str | None:
        """The market of this date that a country belongs to when the card prices it elsewhere."""
        if not self.moved or country is None:
            return None
        return next((market for market, countries in self.moved.items() if country in countries), None)
