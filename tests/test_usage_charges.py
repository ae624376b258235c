"""What a month costs: the sample checked by hand, volume tiers counted in time order whatever order the
data arrive in, and the tier progress the dashboard shows."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ratecards.models import RateCard
from usage.dashboard import tier_progress
from usage.ingest import ingest
from usage.models import Message, Workspace
from usage.summary import month_totals

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-webhooks.jsonl"
JAN_2027 = 1798761600  # 2027-01-01T00:00:00Z
INDIA = "919800000001"


@pytest.fixture
def workspace():
    return Workspace.objects.create(name="Acme", slug="acme")


def test_the_sample_months_cost_what_the_cards_say(workspace):
    ingest(SAMPLE.open("rb"), workspace, "sample")
    # November 2026, USD 2026-10-01 card, paid messages only:
    #   A1 India marketing 0.0118 + A4 India utility 0.0014 (first of the month: list rate)
    #   + C1 India authentication-international 0.0304 + C2 Rest of Latin America authentication 0.0113
    #   = 0.0549, shown as $0.05.
    november = month_totals(workspace, date(2026, 11, 1))
    assert november.charge == Decimal("0.0549")
    assert november.as_json()["charge"] == "0.05"
    assert november.by_category["authentication_international"].charge == Decimal("0.0304")
    # January 2025, USD 2024-11-01 (conversation-based): one German marketing conversation, 0.1365.
    assert month_totals(workspace, date(2025, 1, 1)).charge == Decimal("0.1365")
    assert Message.objects.get(wamid="wamid.E1").card_id == RateCard.objects.get(
        currency="USD", effective_from=date(2024, 11, 1), status="published").pk


def utility_lines(numbers, state="delivered", recipient=INDIA, category="utility") -> str:
    return "\n".join(json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "106540352242922"}, "statuses": [{
            "id": f"wamid.T{n}", "status": state, "timestamp": str(JAN_2027 + 3600 * n), "recipient_id": recipient,
            "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular", "category": category}}]}}]}]})
        for n in numbers)


def load(workspace, text):
    return ingest(io.BytesIO(text.encode()), workspace, "file")


def tiers_by_time(workspace):
    return list(Message.objects.filter(workspace=workspace).order_by("ts").values_list("tier", "charge_units"))


def test_each_paid_message_is_charged_at_the_tier_its_position_in_the_month_falls_in(workspace, small_tiers):
    load(workspace, utility_lines(range(1, 7)))
    # Positions 1-2 at 0.0014, 3-4 at 0.0013, 5-6 at 0.0012 (Meta's bounds are inclusive).
    assert tiers_by_time(workspace) == [(0, 14), (0, 14), (1, 13), (1, 13), (2, 12), (2, 12)]
    totals = month_totals(workspace, date(2027, 1, 1))
    assert totals.charge == Decimal("0.0078")
    assert totals.tier_savings == Decimal("0.0006")  # 6 x 0.0014 at list rate = 0.0084


def test_earlier_messages_loaded_later_move_the_later_ones_up_the_tiers(workspace, small_tiers):
    load(workspace, utility_lines(range(3, 7)))
    assert tiers_by_time(workspace) == [(0, 14), (0, 14), (1, 13), (1, 13)]
    load(workspace, utility_lines([1, 2]))
    assert tiers_by_time(workspace) == [(0, 14), (0, 14), (1, 13), (1, 13), (2, 12), (2, 12)]
    assert month_totals(workspace, date(2027, 1, 1)).charge == Decimal("0.0078")


def test_a_message_that_turns_out_failed_gives_its_place_to_the_next(workspace, small_tiers):
    load(workspace, utility_lines(range(1, 7)))
    load(workspace, utility_lines([1], state="failed"))
    assert tiers_by_time(workspace) == [(None, 0), (0, 14), (0, 14), (1, 13), (1, 13), (2, 12)]
    assert month_totals(workspace, date(2027, 1, 1)).charge == Decimal("0.0066")


def test_authentication_and_authentication_international_share_one_count(workspace, small_tiers):
    load(workspace, utility_lines(range(1, 4), category="authentication")
         + "\n" + utility_lines(range(4, 6), category="authentication_international").replace("wamid.T", "wamid.I"))
    progress = {(t.market, t.category): t for t in tier_progress(workspace, date(2027, 1, 1))}
    assert progress[("India", "authentication")].count == 5


def test_tier_progress_shows_the_next_breakpoint_and_what_it_saves(workspace, small_tiers):
    load(workspace, utility_lines(range(1, 7)))
    [india] = [t for t in tier_progress(workspace, date(2027, 1, 1)) if t.category == "utility"]
    assert (india.market, india.count, india.tier, india.tiers) == ("India", 6, 2, 4)
    assert (india.next_start, india.to_next) == (101, 95)
    assert india.rate_now == Decimal("0.0012") and india.next_rate == Decimal("0.0011")
    assert india.next_saving_per_thousand == Decimal("0.1000")
    assert india.savings == Decimal("0.0006")
    assert 0 < india.progress < 0.05  # 2 of the 96 messages from 5 to 100
