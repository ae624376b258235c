"""The what-if: the month's traffic replayed under other rules is exactly the engine's replay of the same
events, and the page says plainly when the data cannot be replayed."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from ratecards.snapshots import Catalog
from calculator.engine.replay import replay
from calculator.engine.timeline import Event, ReplayRequest
from ratecards.models import RateCard
from usage.ingest import ingest
from usage.models import MonthSummary, Workspace
from usage.whatif import what_if

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-webhooks.jsonl"
NOVEMBER = date(2026, 11, 1)
TEMPLATES = {"marketing", "marketing_lite", "utility", "authentication", "authentication_international"}


def sample_events_by_hand() -> list[Event]:
    """November 2026 of the sample as engine events, read straight from the file (not through usage/)."""
    statuses: dict[str, list[dict]] = {}
    events = []
    for line in SAMPLE.read_text().splitlines():
        value = json.loads(line)["entry"][0]["changes"][0]["value"]
        for message in value.get("messages", []):
            events.append(Event(_at(message["timestamp"]), "+" + message["from"], "user_message",
                                entry_point="referral" in message))
        for status in value.get("statuses", []):
            statuses.setdefault(status["id"], []).append(status)
    for found in statuses.values():
        last = max(found, key=lambda s: int(s["timestamp"]))
        if last["status"] == "failed":
            continue  # B1: never delivered
        category = next(s["pricing"]["category"] for s in found if "pricing" in s)
        first = min(found, key=lambda s: int(s["timestamp"]))
        kind = "template" if category in TEMPLATES else "message"
        events.append(Event(_at(first["timestamp"]), "+" + first["recipient_id"], kind,
                            category if kind == "template" else None))
    return sorted((e for e in events if e.at.date() >= NOVEMBER), key=lambda e: e.at)


def _at(timestamp: str) -> datetime:
    return datetime.fromtimestamp(int(timestamp), timezone.utc)


@pytest.fixture
def acme():
    space = Workspace.objects.create(name="Acme", slug="acme")
    ingest(SAMPLE.open("rb"), space, "sample")
    return space


def card(on: str):
    listing = RateCard.objects.get(currency="USD", effective_from=date.fromisoformat(on), status="published")
    return Catalog().snapshot(listing.pk)


def test_the_what_if_equals_the_engines_replay_of_the_same_events(acme):
    events = sample_events_by_hand()
    assert len(events) == 10  # 8 delivered business messages and 2 user messages
    request = ReplayRequest(events, business_country=None, auth_international=False, business_phone_numbers=1)
    found = {regime["card"]: Decimal(regime["total"]) for regime in what_if(acme, NOVEMBER)["regimes"]}
    assert set(found) == {"USD 2024-11-01", "USD 2026-07-01", "USD 2026-10-01"}
    for name, total in found.items():
        assert total == replay(request, card(name[4:])).total, name


def test_the_current_rules_replay_checked_by_hand(acme):
    current = next(r for r in what_if(acme, NOVEMBER)["regimes"] if r["key"] == "current")
    # USD 2026-10-01: A1 India marketing 0.0118; C1 India authentication 0.0014 (the business is not eligible
    # for the international rate); C2 Rest of Latin America authentication 0.0113; A2 service inside the
    # window, within the free allowance; A3 utility inside the window, charged on these rules 0.0014; D1
    # answers the ad within 24 h and opens a free entry point window, in which D2 falls; A4 utility 0.0014.
    assert Decimal(current["total"]) == Decimal("0.0273")
    assert current["free"]["free_allowance"] == 1 and current["free"]["free_entry_point"] == 2


def test_without_inbound_messages_the_what_if_says_what_is_missing():
    space = Workspace.objects.create(name="Statuses only", slug="statuses")
    lines = [line for line in SAMPLE.read_text().splitlines() if '"messages":[' not in line]
    ingest(io.BytesIO("\n".join(lines).encode()), space, "statuses")
    found = what_if(space, NOVEMBER)
    assert found["available"] is False and found["regimes"] == []
    assert "no inbound messages" in found["reason"]


def test_new_data_for_the_month_drop_the_stored_what_if(acme):
    what_if(acme, NOVEMBER)
    assert MonthSummary.objects.get(workspace=acme, month=NOVEMBER).what_if is not None
    line = SAMPLE.read_text().splitlines()[0].replace("wamid.A1", "wamid.NEW")
    ingest(io.BytesIO(line.encode()), acme, "more")
    assert MonthSummary.objects.get(workspace=acme, month=NOVEMBER).what_if is None


def test_a_number_no_market_or_country_knows_is_left_out_of_the_replay_and_said_so(acme):
    line = SAMPLE.read_text().splitlines()[0].replace("wamid.A1", "wamid.ODD").replace("919800000001", "99912345678")
    ingest(io.BytesIO(line.encode()), acme, "odd")
    found = what_if(acme, NOVEMBER)
    assert found["available"] is True and len(found["regimes"]) == 3
    assert any("1 message without a usable phone number" in note for note in found["notes"])
