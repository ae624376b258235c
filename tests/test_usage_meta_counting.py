"""Counting as Meta counts (issue 17): tiers per business across its accounts, Meta's own tier webhooks,
and utility statuses priced under the old model after 2025-07-01. Figures worked out by hand from the
cards (the `small_tiers` card from 2027-01-01: India utility 0.0014 for messages 1-2, 0.0013 for 3-4,
0.0012 for 5-100, 0.0011 after)."""

from __future__ import annotations

import re

import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from usage.dashboard import month_view, tier_progress
from usage.ingest import ingest
from usage.models import Business, Message, TierUpdate, Workspace
from usage.recount import apply_settings
from usage.summary import month_totals

pytestmark = pytest.mark.django_db

INDIA = "919800000001"


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


def envelope(value: dict, field: str = "messages", account: str = "102290129340398") -> str:
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": account, "time": 1, "changes": [{"field": field, "value": value}]}]})


def utility(wamid: str, time: str, recipient: str = INDIA, model: str = "PMP", conversation: str | None = None,
            billable: bool = True, kind: str | None = "regular") -> str:
    status = {"id": wamid, "status": "delivered", "timestamp": str(at(time)), "recipient_id": recipient,
              "pricing": {"billable": billable, "pricing_model": model, "category": "utility"}}
    if kind:
        status["pricing"]["type"] = kind
    if conversation:
        status["conversation"] = {"id": conversation}
    return envelope({"metadata": {"phone_number_id": "106540352242922"}, "statuses": [status]})


def tier_webhook(tier: str, when: str, month: str = "2027-01", region: str = "India",
                 category: str = "UTILITY") -> str:
    return envelope({"event": "VOLUME_BASED_PRICING_TIER_UPDATE", "volume_tier_info": {
        "tier_update_time": at(when), "pricing_category": category, "tier": tier, "effective_month": month,
        "region": region}}, field="account_update")


def load(workspace, *lines: str):
    return ingest(io.BytesIO("\n".join(lines).encode()), workspace, "file")


def charges(workspace) -> list[tuple[str, int]]:
    return [(f"{m:%Y-%m}", units) for m, units in
            Message.objects.filter(workspace=workspace).order_by("ts").values_list("month", "charge_units")]


# --- Tiers across a business's accounts, each in its own time zone

def test_three_accounts_of_one_business_cross_a_tier_together(small_tiers):
    group = Business.objects.create(name="Acme Group")
    a = Workspace.objects.create(name="A", slug="a", timezone="America/Los_Angeles", business=group)  # UTC-8
    b = Workspace.objects.create(name="B", slug="b", business=group)  # UTC
    c = Workspace.objects.create(name="C", slug="c", timezone="Asia/Kolkata", business=group)  # UTC+5:30
    # In UTC order; the business's count per month (each message in its own account's month):
    #   1 A 01-31 10:00Z = 31 Jan 02:00 LA   -> January #1  0.0014
    #   2 B 01-31 12:00Z = 31 Jan            -> January #2  0.0014
    #   3 C 01-31 20:00Z = 1 Feb 01:30 IST   -> February #1 0.0014   (A is still on 31 January)
    #   4 A 01-31 21:00Z = 31 Jan 13:00 LA   -> January #3  0.0013   (tier 2 of the business)
    #   5 C 01-31 22:00Z = 1 Feb 03:30 IST   -> February #2 0.0014
    #   6 B 02-01 01:00Z = 1 Feb             -> February #3 0.0013
    #   7 A 02-01 05:00Z = 31 Jan 21:00 LA   -> January #4  0.0013
    #   8 C 02-01 06:00Z = 1 Feb             -> February #4 0.0013
    #   9 A 02-01 09:00Z = 1 Feb 01:00 LA    -> February #5 0.0012   (tier 3)
    # Loaded account by account, C first, so every load moves the others' places.
    load(c, utility("c3", "2027-01-31T20:00:00"), utility("c5", "2027-01-31T22:00:00"),
         utility("c8", "2027-02-01T06:00:00"))
    load(a, utility("a1", "2027-01-31T10:00:00"), utility("a4", "2027-01-31T21:00:00"),
         utility("a7", "2027-02-01T05:00:00"), utility("a9", "2027-02-01T09:00:00"))
    load(b, utility("b2", "2027-01-31T12:00:00"), utility("b6", "2027-02-01T01:00:00"))

    assert charges(a) == [("2027-01", 14), ("2027-01", 13), ("2027-01", 13), ("2027-02", 12)]
    assert charges(b) == [("2027-01", 14), ("2027-02", 13)]
    assert charges(c) == [("2027-02", 14), ("2027-02", 14), ("2027-02", 13)]
    # Each account's page holds its share: A January 0.0014 + 0.0013 + 0.0013 = 0.0040, February 0.0012;
    # B 0.0014 and 0.0013; C February 0.0014 + 0.0014 + 0.0013 = 0.0041.
    assert month_totals(a, date(2027, 1, 1)).charge == Decimal("0.0040")
    assert month_totals(a, date(2027, 2, 1)).charge == Decimal("0.0012")
    assert month_totals(b, date(2027, 2, 1)).charge == Decimal("0.0013")
    assert month_totals(c, date(2027, 2, 1)).charge == Decimal("0.0041")
    # The tier panel counts the business (5 in February, tier 3 of 4) and shows C's share (3).
    [india] = tier_progress(c, date(2027, 2, 1))
    assert (india.count, india.own, india.tier) == (5, 3, 2)
    assert india.savings == Decimal("0.0001")  # C's own: list 0.0014 x 3 - 0.0041


def test_alone_each_account_counts_only_itself_and_leaving_the_business_counts_again(small_tiers):
    group = Business.objects.create(name="Acme Group")
    a = Workspace.objects.create(name="A", slug="a", business=group)
    b = Workspace.objects.create(name="B", slug="b", business=group)
    load(a, utility("a1", "2027-01-10T10:00:00"), utility("a2", "2027-01-12T10:00:00"))
    load(b, utility("b1", "2027-01-11T10:00:00"), utility("b2", "2027-01-13T10:00:00"))
    # Together: a1 #1, b1 #2, a2 #3 (0.0013), b2 #4 (0.0013).
    assert charges(a) == [("2027-01", 14), ("2027-01", 13)]
    assert charges(b) == [("2027-01", 14), ("2027-01", 13)]
    apply_settings(b, business="")
    # Apart: each has messages 1 and 2 only, both at list rate.
    assert charges(a) == [("2027-01", 14), ("2027-01", 14)]
    assert charges(b) == [("2027-01", 14), ("2027-01", 14)]
    assert month_totals(a, date(2027, 1, 1)).charge == Decimal("0.0028")


# --- Meta's tier webhooks

def test_duplicate_tier_webhooks_are_one_switch_at_the_smaller_time(small_tiers):
    acme = Workspace.objects.create(name="Acme", slug="acme", timezone="Asia/Kolkata")
    report = load(acme,
                  tier_webhook("3:4", "2027-01-14T03:45:00"),  # 09:15 in Kolkata
                  tier_webhook("3:4", "2027-01-14T03:42:00"),  # the same switch, earlier: 09:12 counts
                  tier_webhook("3:4", "2027-01-14T03:50:00"))
    assert report.skipped == 0
    [switch] = TierUpdate.objects.filter(workspace=acme)
    assert (switch.market, switch.category, switch.effective_month) == ("India", "utility", date(2027, 1, 1))
    assert (switch.tier_start, switch.tier_end, switch.copies) == (3, 4, 3)
    assert switch.tier_update_time == at("2027-01-14T03:42:00")
    # Loading them again changes nothing but the count of copies; a later duplicate never moves the time.
    load(acme, tier_webhook("3:4", "2027-01-14T04:00:00"))
    assert TierUpdate.objects.get(workspace=acme).tier_update_time == at("2027-01-14T03:42:00")

    # Our switch into tier 2 is our third message, at 2027-01-14T03:40Z (09:10 in Kolkata): 2 minutes apart.
    load(acme, utility("m1", "2027-01-02T10:00:00"), utility("m2", "2027-01-05T10:00:00"),
         utility("m3", "2027-01-14T03:40:00"))
    [india] = tier_progress(acme, date(2027, 1, 1))
    assert india.meta.tier == 1 and f"{india.meta.at:%-d %b %H:%M}" == "14 Jan 09:12"
    assert india.differences == []


def test_the_tier_panel_shows_metas_switch_and_flags_a_difference(client, small_tiers):
    acme = Workspace.objects.create(name="Acme", slug="acme", timezone="Asia/Kolkata")
    # Meta: tier 2 (messages 3-4) from 14 January 09:12 in Kolkata. Ours: the third message only on
    # 20 January 15:30 (10:00Z): six days later, so the panel flags it.
    load(acme, tier_webhook("3:4", "2027-01-14T03:42:00"), tier_webhook("3:4", "2027-01-14T03:45:00"),
         utility("m1", "2027-01-02T10:00:00"), utility("m2", "2027-01-05T10:00:00"),
         utility("m3", "2027-01-20T10:00:00"))
    view = month_view(acme, date(2027, 1, 1))
    [india] = view.tiers
    # The one tier wording (issue 15): the card's India utility ladder has four steps (0, 3, 5, 101).
    assert [check.text for check in india.differences] == ["step 2 of 4: Meta 14 Jan 09:12, ours 20 Jan 15:30"]
    assert any(alert.title == "Meta's tier switches differ from ours" for alert in view.alerts)
    user = User.objects.create_user("ann", password="x")
    acme.members.add(user)
    client.force_login(user)
    page = client.get("/usage/acme/2027-01/").content.decode()
    assert "Meta: step 2 of 4 from 14 Jan 09:12" in page
    assert "step 2 of 4: Meta 14 Jan 09:12, ours 20 Jan 15:30" in page
    assert not re.search(r"\btier \d", page)  # never "tier 2 from": steps, as on the calculator and quotes
    # 3 utility messages; step 3 starts at the 5th message: 5 - 3 = 2 more.
    assert "2 more messages to the next step" in page


def test_a_broken_tier_webhook_is_reported_by_line_and_the_rest_loads():
    acme = Workspace.objects.create(name="Acme", slug="acme")
    report = load(acme, tier_webhook("many", "2027-01-14T03:42:00"), tier_webhook("3:4", "2027-01-14T03:42:00",
                                                                                    month="January"),
                  tier_webhook("100001:1000000", "2025-11-14T03:42:00", month="2025-11"))
    assert [e["line"] for e in report.errors] == [1, 2]
    assert "tier 'many'" in report.errors[0]["message"] and "effective_month" in report.errors[1]["message"]
    assert TierUpdate.objects.get(workspace=acme).tier_start == 100001


# --- Utility statuses priced under the old model after the switch (2025-07-01)

def test_a_cbp_utility_status_in_july_2025_is_free_in_its_conversation():
    acme = Workspace.objects.create(name="Acme", slug="acme")
    report = load(acme,
                  # 30 June 2025 20:00Z: a utility conversation opens, USD 2024-11-01 card, India utility 0.0014.
                  utility("june", "2025-06-30T20:00:00", model="CBP", conversation="conv-9", kind=None),
                  # 1 July 10:00Z, per-message card in force: Meta still says CBP (same conversation), and
                  # even billable; it belongs to the conversation opened in June and is free.
                  utility("july", "2025-07-01T10:00:00", model="CBP", conversation="conv-9", kind=None),
                  # A PMP utility template the same day is charged at the 2025-07-01 card's India utility 0.0014.
                  utility("pmp", "2025-07-01T11:00:00"))
    june, july = report.months["2025-06"], report.months["2025-07"]
    assert (june.paid, june.charge) == (1, Decimal("0.0014"))
    assert (july.all, july.paid, july.free) == (2, 1, 1)
    assert july.charge == Decimal("0.0014")  # only the PMP template
    assert july.free_by_reason["in_conversation"] == 1
    row = Message.objects.get(wamid="july")
    assert (row.outcome, row.billing_type, row.charge_units, row.tier) == ("conversation", "in_conversation", 0,
                                                                           None)


def test_staff_put_workspaces_in_a_business_in_the_admin_and_the_tiers_are_counted_again(client, small_tiers):
    a = Workspace.objects.create(name="A", slug="a")
    b = Workspace.objects.create(name="B", slug="b")
    load(a, utility("a1", "2027-01-10T10:00:00"), utility("a2", "2027-01-12T10:00:00"))
    load(b, utility("b1", "2027-01-11T10:00:00"), utility("b2", "2027-01-13T10:00:00"))
    assert charges(b) == [("2027-01", 14), ("2027-01", 14)]  # alone: messages 1 and 2
    client.force_login(User.objects.create_superuser("root", password="x"))
    group = Business.objects.create(name="Acme Group")
    for space in (a, b):
        response = client.post(f"/admin/usage/workspace/{space.pk}/change/", {
            "name": space.name, "slug": space.slug, "timezone": "UTC", "business": group.pk,
            "ingest_runs-TOTAL_FORMS": "0", "ingest_runs-INITIAL_FORMS": "0",
            "tier_updates-TOTAL_FORMS": "0", "tier_updates-INITIAL_FORMS": "0",
            "top_ups-TOTAL_FORMS": "0", "top_ups-INITIAL_FORMS": "0"})
        assert response.status_code == 302, response.content.decode()[:2000]
    # Together: a1 #1, b1 #2, a2 #3 (0.0013), b2 #4 (0.0013).
    assert charges(a) == [("2027-01", 14), ("2027-01", 13)]
    assert charges(b) == [("2027-01", 14), ("2027-01", 13)]
    response = client.post(f"/admin/usage/business/{group.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert charges(a) == [("2027-01", 14), ("2027-01", 14)]  # alone again
