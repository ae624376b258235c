"""Months in the account's time zone (issue 17): Meta counts an account's month, its volume tiers and its
free service allowance in the account's own time zone; so do the dashboard, the exports, the what-if
replay and POST /api/v1/replay ("timezone")."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from usage import exports
from usage.ingest import ingest
from usage.models import DailyUsage, Message, Workspace
from usage.summary import by_day, month_totals, months_with_data

pytestmark = pytest.mark.django_db

INDIA = "919800000001"


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


def utility(times: list[str], recipient: str = INDIA) -> bytes:
    """Delivered, charged (PMP regular) India utility templates at the given UTC times."""
    return "\n".join(json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "106540352242922"}, "statuses": [{
            "id": f"wamid.Z{n}", "status": "delivered", "timestamp": str(at(t)), "recipient_id": recipient,
            "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}}]}}]}]})
        for n, t in enumerate(times)).encode()


def tiers_in_time_order(workspace) -> list[tuple[str, int, int]]:
    return [(f"{m:%Y-%m}", tier, units) for m, tier, units in
            Message.objects.filter(workspace=workspace).order_by("ts").values_list("month", "tier", "charge_units")]


def test_a_month_boundary_in_asia_kolkata(small_tiers):
    kolkata = Workspace.objects.create(name="Mumbai", slug="mumbai", timezone="Asia/Kolkata")
    # Asia/Kolkata is UTC+05:30: January 2027 begins there at 2026-12-31T18:30Z.
    ingest(io.BytesIO(utility([
        "2026-12-31T18:29:59",  # 23:59:59 on 31 December in Kolkata: December, USD 2026-10-01 list 0.0014
        "2026-12-31T18:30:00",  # 00:00 on 1 January: January, message 1 (small tiers card from 1 January)
        "2026-12-31T20:00:00",  # 01:30 on 1 January (still 31 December in UTC): January, message 2
        "2027-01-01T10:00:00",  # January, message 3: past the first tier's end (2), tier 1 at 0.0013
        "2027-01-31T18:29:00",  # 23:59 on 31 January: January, message 4, tier 1 at 0.0013
        "2027-01-31T18:31:00",  # 00:01 on 1 February: February, message 1 at list rate 0.0014
    ])), kolkata, "file")
    assert months_with_data(kolkata) == [date(2027, 2, 1), date(2027, 1, 1), date(2026, 12, 1)]
    assert tiers_in_time_order(kolkata) == [
        ("2026-12", 0, 14), ("2027-01", 0, 14), ("2027-01", 0, 14), ("2027-01", 1, 13), ("2027-01", 1, 13),
        ("2027-02", 0, 14)]
    # January: 0.0014 + 0.0014 + 0.0013 + 0.0013 = 0.0054
    assert month_totals(kolkata, date(2027, 1, 1)).charge == Decimal("0.0054")
    assert month_totals(kolkata, date(2026, 12, 1)).charge == Decimal("0.0014")
    # The daily chart's days are Kolkata's days: 1 January holds the two messages sent on 31 December UTC.
    assert [(d.day, d.counts.paid) for d in by_day(kolkata, date(2027, 1, 1))] == [
        (date(2027, 1, 1), 3), (date(2027, 1, 31), 1)]


def test_the_same_messages_in_utc_fall_in_other_months(small_tiers):
    utc = Workspace.objects.create(name="London", slug="london")
    ingest(io.BytesIO(utility(["2026-12-31T18:29:59", "2026-12-31T18:30:00", "2026-12-31T20:00:00",
                               "2027-01-01T10:00:00", "2027-01-31T18:29:00", "2027-01-31T18:31:00"])), utc, "file")
    # UTC: three messages on 31 December (2026-10-01 card, list 0.0014 each), three in January at
    # positions 1, 2, 3: 0.0014 + 0.0014 + 0.0013 = 0.0041.
    assert month_totals(utc, date(2026, 12, 1)).charge == Decimal("0.0042")
    assert month_totals(utc, date(2027, 1, 1)).charge == Decimal("0.0041")


def test_a_month_boundary_in_america_los_angeles(small_tiers):
    la = Workspace.objects.create(name="LA", slug="la", timezone="America/Los_Angeles")
    # Los Angeles is UTC-08:00 in winter: January 2027 runs from 2027-01-01T08:00Z to 2027-02-01T08:00Z.
    ingest(io.BytesIO(utility([
        "2027-01-01T07:59:59",  # 23:59:59 on 31 December: December, 2026-10-01 card list 0.0014
        "2027-01-01T08:00:00",  # January, message 1: 0.0014
        "2027-01-15T12:00:00",  # January, message 2: 0.0014
        "2027-02-01T03:00:00",  # 19:00 on 31 January (1 February in UTC): January, message 3, tier 1: 0.0013
        "2027-02-01T09:00:00",  # 01:00 on 1 February: February, message 1: 0.0014
    ])), la, "file")
    assert month_totals(la, date(2026, 12, 1)).charge == Decimal("0.0014")
    assert month_totals(la, date(2027, 1, 1)).charge == Decimal("0.0041")  # 0.0014 + 0.0014 + 0.0013
    assert month_totals(la, date(2027, 2, 1)).charge == Decimal("0.0014")
    assert [d.day for d in by_day(la, date(2027, 1, 1))] == [date(2027, 1, 1), date(2027, 1, 15), date(2027, 1, 31)]
    # The message export gives the local time next to UTC.
    lines = "".join(exports.message_rows(la, date(2027, 1, 1))).splitlines()  # streamed in chunks of lines
    assert lines[0].rstrip().endswith("time_local")
    assert lines[3].rstrip().endswith("2027-01-31 19:00:00-0800")
    assert "2027-02-01 03:00:00" in lines[3]


def test_create_workspace_sets_the_time_zone_and_counts_loaded_months_again(small_tiers, capsys):
    call_command("create_workspace", "acme", "--name", "Acme Ltd")
    acme = Workspace.objects.get(slug="acme")
    assert (acme.name, acme.timezone, acme.business) == ("Acme Ltd", "UTC", None)
    ingest(io.BytesIO(utility(["2026-12-31T18:29:59", "2026-12-31T18:30:00", "2026-12-31T20:00:00",
                               "2027-01-01T10:00:00", "2027-01-31T18:29:00", "2027-01-31T18:31:00"])), acme, "file")
    assert month_totals(acme, date(2027, 1, 1)).charge == Decimal("0.0041")  # UTC, as above

    call_command("create_workspace", "acme", "--timezone", "Asia/Kolkata")
    acme.refresh_from_db()
    assert acme.timezone == "Asia/Kolkata" and acme.name == "Acme Ltd"
    assert "Updated workspace acme: time zone Asia/Kolkata" in capsys.readouterr().out
    # Now exactly as the Kolkata workspace above: December 0.0014, January 0.0054, February 0.0014.
    assert month_totals(acme, date(2026, 12, 1)).charge == Decimal("0.0014")
    assert month_totals(acme, date(2027, 1, 1)).charge == Decimal("0.0054")
    assert month_totals(acme, date(2027, 2, 1)).charge == Decimal("0.0014")
    assert not Message.objects.filter(workspace=acme, dirty=True).exists()
    assert sum(DailyUsage.objects.filter(workspace=acme).values_list("messages", flat=True)) == 6


def test_create_workspace_refuses_an_unknown_time_zone_and_changes_nothing():
    with pytest.raises(CommandError, match="--timezone: 'Mars/Olympus' is not a known IANA time zone"):
        call_command("create_workspace", "acme", "--timezone", "Mars/Olympus")
    assert not Workspace.objects.filter(slug="acme").exists()
    with pytest.raises(CommandError, match="--timezone"):
        call_command("create_workspace", "acme", "--timezone", "../../etc/passwd")


def test_the_admin_refuses_an_unknown_time_zone(client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", password="x"))
    response = client.post("/admin/usage/workspace/add/", {
        "name": "Initech", "slug": "initech", "timezone": "Europe/Atlantis",
        "ingest_runs-TOTAL_FORMS": "0", "ingest_runs-INITIAL_FORMS": "0",
        "tier_updates-TOTAL_FORMS": "0", "tier_updates-INITIAL_FORMS": "0",
            "top_ups-TOTAL_FORMS": "0", "top_ups-INITIAL_FORMS": "0"})
    assert response.status_code == 200
    assert "is not a known IANA time zone name" in response.content.decode()
    assert not Workspace.objects.filter(slug="initech").exists()


# --- POST /api/v1/replay with "timezone"

USER = "+919800000001"


def replay(client, body):
    return client.post("/api/v1/replay", data=json.dumps(body), content_type="application/json")


def test_the_replay_counts_tiers_in_the_given_time_zone(client, small_tiers):
    events = [{"at": t, "user": USER, "kind": "template", "category": "utility"} for t in (
        "2027-01-10T10:00:00Z", "2027-01-20T10:00:00Z",
        "2027-01-31T19:00:00Z", "2027-01-31T20:00:00Z", "2027-01-31T21:00:00Z")]  # 1 February in Kolkata
    utc = replay(client, {"events": events})
    assert utc.status_code == 200, utc.content
    assert utc.json()["timezone"] == "UTC"
    # UTC: all five in January, positions 1-5: 0.0014, 0.0014, 0.0013, 0.0013, 0.0012 (= 0.0066)
    assert [e["amount"] for e in utc.json()["results"][0]["events"]] == ["0.0014", "0.0014", "0.0013", "0.0013",
                                                                          "0.0012"]
    kolkata = replay(client, {"events": events, "timezone": "Asia/Kolkata"})
    assert kolkata.status_code == 200, kolkata.content
    assert kolkata.json()["timezone"] == "Asia/Kolkata"
    # Kolkata: two in January (list, list), three in February from position 1: 0.0014, 0.0014, 0.0013 (= 0.0069)
    assert [e["amount"] for e in kolkata.json()["results"][0]["events"]] == ["0.0014", "0.0014", "0.0014", "0.0014",
                                                                              "0.0013"]


@pytest.mark.parametrize("value", ["Mars/Olympus", "", 5, "x" * 500])
def test_an_unknown_replay_time_zone_is_a_400_naming_the_field(client, value):
    response = replay(client, {"events": [{"at": "2026-11-02T00:00:00Z", "user": USER, "kind": "template",
                                           "category": "utility"}], "timezone": value})
    assert response.status_code == 400, response.content
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "IANA time zone" in errors["timezone"]


def test_the_what_if_replays_the_accounts_month(small_tiers):
    from usage.whatif import month_events

    kolkata = Workspace.objects.create(name="Mumbai", slug="mumbai", timezone="Asia/Kolkata")
    ingest(io.BytesIO(utility(["2026-12-31T18:29:59", "2026-12-31T18:30:00", "2026-12-31T20:00:00",
                               "2027-01-31T18:31:00"])), kolkata, "file")
    # Kolkata's January: from 2026-12-31T18:30Z to 2027-01-31T18:30Z: the second and third messages only.
    january = month_events(kolkata, date(2027, 1, 1))
    assert [e.at.isoformat() for e in january.events] == ["2026-12-31T18:30:00+00:00", "2026-12-31T20:00:00+00:00"]


def test_create_workspace_puts_a_workspace_in_a_business_and_takes_it_out(capsys):
    call_command("create_workspace", "in", "--timezone", "Asia/Kolkata", "--business", "Acme Group")
    call_command("create_workspace", "us", "--timezone", "America/Los_Angeles", "--business", "Acme Group")
    group = Workspace.objects.get(slug="in").business
    assert group.name == "Acme Group"
    assert sorted(group.workspaces.values_list("slug", flat=True)) == ["in", "us"]
    call_command("create_workspace", "us", "--business", "")
    assert Workspace.objects.get(slug="us").business is None
    assert Workspace.objects.get(slug="us").timezone == "America/Los_Angeles"  # untouched when not given
    assert "Updated workspace us: time zone America/Los_Angeles, business (none)" in capsys.readouterr().out
