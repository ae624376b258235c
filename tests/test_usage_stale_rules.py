"""The usage month page names the cards and rules that priced it, and says when Meta's rules had moved
past one of them (issue 10, point 5). The dashboard prices in USD; shipped USD cards are current, so
the stale case is made by publishing a later card of another currency with other rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from ratecards import catalog
from ratecards.models import CardStatus, RateCard
from usage.ingest import ingest
from usage.models import Workspace

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-webhooks.jsonl"
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def member(client):
    space = Workspace.objects.create(name="Acme", slug="acme")
    ingest(SAMPLE.open("rb"), space, "sample-webhooks.jsonl")
    user = User.objects.create_user("ann", password="not-used-here")
    space.members.add(user)
    client.force_login(user)
    return client


def test_the_month_names_its_card_and_rules_and_no_stale_notice_when_current(member):
    html = member.get(reverse("usage-month", args=["acme", NOVEMBER])).content.decode()
    assert "USD 2026-10-01 (per message, service charged)" in html
    assert "stale-rules" not in html


def test_a_card_whose_rules_meta_changed_later_gets_the_notice(member):
    # A later EUR card (2026-11-15) whose rules differ from USD 2026-10-01's: utility free in the window again.
    draft = RateCard.objects.get(currency="EUR", effective_from=date(2026, 7, 1)).new_draft()
    RateCard.objects.filter(pk=draft.pk).update(
        status=CardStatus.PUBLISHED, effective_from=date(2026, 11, 15), utility_free_in_service_window=True,
        service_charged=True, free_service_allowance=1000, free_service_scope="phone_number")
    catalog.bump()
    html = member.get(reverse("usage-month", args=["acme", NOVEMBER])).content.decode()
    assert 'class="notice stale-rules"' in html
    assert "Meta's rules changed on 2026-11-15; part of this month is priced with older rules." in html
    assert "USD 2026-10-01 is the latest USD card" in html
    assert "utility free inside the customer service window" in html
