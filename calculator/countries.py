"""Countries as people type them: an ISO code, or a name in English, Spanish, Portuguese, French, German,
Italian or Dutch ("España", "Inde", "Deutschland"), accents and case aside; and a suggestion for a typo
("Inida": did you mean India?).

The names in other languages come with libphonenumber (the ``phonenumbers`` package we already use to read
phone numbers): ``phonenumbers.geodata.locale.LOCALE_DATA`` holds each region's name per language, from the
Unicode CLDR. Nothing is fetched at run time and no table of our own is kept; names people use that are in
neither (UK, USA, Holland...) are the aliases below.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cache

import phonenumbers
from django import forms
from phonenumbers.geodata.locale import LOCALE_DATA

# Languages whose country names are accepted besides English: the common languages of our users.
NAME_LANGUAGES = ("es", "pt", "fr", "de", "it", "nl")
SUGGEST_CUTOFF = 0.78  # difflib similarity ratio: "inida"/"india" 0.8; "narnia"/"armenia" 0.77, no match

# Names people type that the ISO names do not cover.
COUNTRY_ALIASES = {
    "uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "usa": "US", "us": "US", "united states of america": "US", "america": "US", "eeuu": "US", "eua": "US",
    "paises bajos": "NL",
    "uae": "AE", "emirates": "AE", "holland": "NL", "korea": "KR", "south korea": "KR",
    "turkiye": "TR", "czechia": "CZ", "czech republic": "CZ", "ivory coast": "CI", "russian federation": "RU",
    "vietnam": "VN", "viet nam": "VN", "ksa": "SA", "burma": "MM", "swaziland": "SZ", "macedonia": "MK",
    "kosovo": "XK", "ascension": "AC", "ascension island": "AC", "tristan da cunha": "TA",
}
EXTRA_NAMES = {"XK": "Kosovo", "AC": "Ascension Island", "TA": "Tristan da Cunha"}


def _name(code: str, language: str) -> str:
    entry = LOCALE_DATA.get(code, {})
    name = entry.get(language, "")
    while name.startswith("*"):  # "*aa": the same text as the entry for language "aa"
        name = entry.get(name[1:], "")
    return name


@cache
def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 code to English name, for every region phonenumbers knows, sorted by name."""
    names = {code: _name(code, "en") or EXTRA_NAMES.get(code, code) for code in phonenumbers.SUPPORTED_REGIONS}
    return dict(sorted(names.items(), key=lambda item: _fold(item[1])))


def _fold(text: str) -> str:
    """Lower case, accents and punctuation dropped: "Côte d'Ivoire" and "cote divoire" match."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9 ]", "", plain.lower().replace("&", "and").replace("-", " ")).strip()


@cache
def _country_index() -> dict[str, str]:
    """Folded name: code. English names first; a name in another language never takes an English one's
    place (if two regions share a name in some language, the first language's wins)."""
    index = {_fold(name): code for code, name in country_names().items()}
    for language in NAME_LANGUAGES:
        for code in phonenumbers.SUPPORTED_REGIONS:
            name = _fold(_name(code, language))
            if name:
                index.setdefault(name, code)
    index.update(COUNTRY_ALIASES)
    return index


def country_code(text: str) -> str | None:
    """The ISO code for an ISO code or a country name as typed; None when neither."""
    raw = (text or "").strip()
    if len(raw) == 2 and raw.upper() in phonenumbers.SUPPORTED_REGIONS:
        return raw.upper()
    folded = _fold(raw)
    if folded.endswith(")") or "(" in raw:  # "India (IN)": the code in brackets wins
        match = re.search(r"\(([A-Za-z]{2})\)\s*$", raw)
        if match and match.group(1).upper() in phonenumbers.SUPPORTED_REGIONS:
            return match.group(1).upper()
    return _country_index().get(folded)


def suggest_country(text: str) -> str | None:
    """The code of the country a typo most likely meant ("Inida": IN), or None when nothing is close."""
    folded = _fold(text or "")[:40]
    if len(folded) < 3:
        return None
    close = difflib.get_close_matches(folded, _country_index().keys(), n=1, cutoff=SUGGEST_CUTOFF)
    return _country_index()[close[0]] if close else None


class CountryNotKnown(forms.ValidationError):
    """A country nobody knows, with the one it probably meant (``suggestion``, a code) when there is one."""

    def __init__(self, text: str):
        self.typed, self.suggestion = text[:40], suggest_country(text)
        if self.suggestion:
            super().__init__("'%(text)s' is not a country we know: did you mean %(name)s (%(code)s)?",
                             params={"text": self.typed, "name": country_names()[self.suggestion],
                                     "code": self.suggestion}, code="unknown_country")
        else:
            super().__init__("'%(text)s' is not a country we know: pick one from the list or type its two-letter "
                             "code (e.g. IN)", params={"text": self.typed}, code="unknown_country")


class CountryField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 80)
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        text = super().to_python(value)
        if not text:
            return ""
        code = country_code(text)
        if code is None:
            raise CountryNotKnown(text)
        return code
