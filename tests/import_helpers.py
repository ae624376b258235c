"""Shared by the importer tests: the shipped files as text, and a snapshot of what the database holds."""

from __future__ import annotations

import json
from pathlib import Path

from ratecards.models import CatalogVersion, Market, MarketMapping, Rate, RateCard, SeedRecord, VolumeTier

CARDS = Path(__file__).resolve().parent.parent / "ratecards" / "data" / "ratecards"
CALLING_CODES = CARDS.parent / "calling-codes.csv"
META_RATES = "meta-usd-rates-2026-04-01.csv"
META_TIERS = "meta-usd-volume-tiers-2026-04-01.csv"


def manifest() -> list[dict]:
    return json.loads((CARDS / "manifest.json").read_text(encoding="utf-8"))


def shipped(name: str) -> str:
    """A shipped file's text, line endings untouched (Meta's files use CRLF)."""
    return (CARDS / name).read_bytes().decode("utf-8")


def line_of(text: str, fragment: str) -> int:
    """The 1-based line on which `fragment` starts, as an editor counts lines."""
    index = text.index(fragment)
    return text.count("\n", 0, index) + 1


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def database_state() -> dict:
    """Row counts, highest ids and the catalogue token: any write changes at least one of them."""
    state = {}
    for model in (Market, MarketMapping, RateCard, Rate, VolumeTier, SeedRecord):
        state[model.__name__] = (model.objects.count(), max(model.objects.values_list("pk", flat=True), default=0))
    state["statuses"] = sorted(RateCard.objects.values_list("pk", "status"))
    state["catalog"] = list(CatalogVersion.objects.values_list("token", flat=True))
    return state


def next_usd_card(title_date: str = "January 1, 2027") -> tuple[str, str]:
    """Meta's next USD card as an admin would download it: the shipped 2026-10-01 files (Meta's own), re-dated,
    with India's marketing rate changed from 0.0118 to 0.0107 (a market-level change as Meta makes them)."""
    rates = shipped("usd-rates-2026-10-01.csv")
    tiers = shipped("usd-volume-tiers-2026-10-01.csv")
    rates = replace_once(rates, "effective October 1, 2026", f"effective {title_date}")
    rates = replace_once(rates, "India,USD,0.0118,", "India,USD,0.0107,")
    tiers = replace_once(tiers, "effective October 1, 2026", f"effective {title_date}")
    return rates, tiers
