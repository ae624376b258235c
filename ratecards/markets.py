"""Which market a recipient is billed as: pure Python, no ORM.

Meta bills a message by the recipient's calling code, with a longer prefix where one is listed
(NANP area codes, Kazakhstan under +7). The longest prefix in force on the date wins; a number
whose prefix is not listed is billed as ``Other``.

`MappingRule` rows come from the database (or the shipped CSV); `MarketMap.for_date` keeps the
rules in force on one date and answers for phone numbers and ISO countries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterable

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
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"'{raw}' is not a valid number for any country (check the calling code and length)")
    return number


class MarketMap:
    """The mapping rules in force on one date."""

    __slots__ = ("on", "_by_prefix", "_by_country", "_longest", "markets")

    def __init__(self, on: date, rules: Iterable[MappingRule]):
        self.on = on
        # Several countries can share a prefix (+1 is both the US and Canada): all are kept, and the
        # number itself says which country it belongs to.
        self._by_prefix: dict[str, list[MappingRule]] = {}
        self._by_country: dict[str, MappingRule] = {}
        for rule in sorted(rules, key=lambda r: (r.prefix, r.iso2)):
            if not rule.in_force(on):
                continue
            self._by_prefix.setdefault(rule.prefix, []).append(rule)
            # A country's own rule is the one whose prefix is its calling code (Dominican Republic
            # has three NANP prefixes but one market); any of its rules names the market.
            known = self._by_country.get(rule.iso2)
            if known is None or len(rule.prefix) < len(known.prefix):
                self._by_country[rule.iso2] = rule
        self._longest = max((len(p) for p in self._by_prefix), default=0)
        self.markets = frozenset({r.market for rules in self._by_prefix.values() for r in rules} | {OTHER})

    @classmethod
    def for_date(cls, rules: Iterable[MappingRule], on: date) -> "MarketMap":
        return cls(on, rules)

    def resolve_digits(self, digits: str, e164: str | None = None, region: str | None = None) -> Resolution:
        """Longest listed prefix of an international number's digits (no '+').

        Where several countries share that prefix, `region` (the number's own country, when known)
        picks among them; otherwise the first by ISO code does, so the answer never depends on the
        order rows came out of the database.
        """
        for length in range(min(self._longest, len(digits)), 0, -1):
            rules = self._by_prefix.get(digits[:length])
            if rules:
                rule = next((r for r in rules if r.iso2 == region), rules[0])
                return Resolution(rule.market, rule.iso2, rule.calling_code, rule.prefix, e164)
        return Resolution(OTHER, None, None, None, e164)

    def resolve_phone(self, text: str) -> Resolution:
        number = normalise_phone(text)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        resolution = self.resolve_digits(e164[1:], e164, phonenumbers.region_code_for_number(number))
        if resolution.country is None:
            region = phonenumbers.region_code_for_number(number)
            resolution = Resolution(OTHER, region if region and region != "001" else None,
                                    str(number.country_code), None, e164)
        return resolution

    def resolve_country(self, iso2: str) -> Resolution:
        code = (iso2 or "").strip().upper()
        if len(code) != 2 or not code.isalpha() or code not in phonenumbers.SUPPORTED_REGIONS:
            raise UnknownCountry(f"'{iso2}' is not an ISO 3166 country code (two letters, e.g. IN, BR, GB)")
        rule = self._by_country.get(code)
        if rule is None:
            return Resolution(OTHER, code, str(phonenumbers.country_code_for_region(code)), None, None)
        return Resolution(rule.market, code, rule.calling_code, rule.prefix, None)

    def countries_of(self, market: str) -> frozenset[str]:
        """ISO codes of the countries listed under a market on this date (empty for Other)."""
        return frozenset(code for code, rule in self._by_country.items() if rule.market == market)
