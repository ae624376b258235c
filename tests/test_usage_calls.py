"""Calls in the usage data: Meta's Calling API webhooks (tests/data/webhooks/sample-calls.jsonl) counted and
priced per month, and a user's call opening the customer service window.

Hand-worked from the shipped calling table (USD, reconstructed): India 0.0053 a minute, Rest of Africa
(Kenya) 0.0103 in its first tier. The sample's business number is Brazilian (+55), except one call
placed from a US number.
"""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from usage import whatif
from usage.calls import month_calls
from usage.calls_models import CallRecord
from usage.ingest import ingest
from usage.models import Business, Message, Workspace
from usage.recount import apply_settings

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-calls.jsonl"
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def workspace():
    return Workspace.objects.create(name="Acme", slug="acme")


def load(workspace, data: bytes):
    return ingest(io.BytesIO(data), workspace, filename="calls.jsonl")


def test_calls_are_counted_once_and_priced_by_hand(workspace):
    report = load(workspace, SAMPLE.read_bytes())
    assert report.skipped == 0
    calls = {row.call_id: row for row in CallRecord.objects.filter(workspace=workspace)}
    assert set(calls) == {"wacid.B1", "wacid.U1", "wacid.B2", "wacid.B3", "wacid.B4"}
    india = calls["wacid.B1"]
    # 56 s = 9.33 pulses, billed as 10 = 1 minute x 0.0053
    assert (india.market, india.duration, india.pulses, india.billed_minutes, india.tier, india.charge) == (
        "India", 56, 10, Decimal("1.0"), 0, Decimal("0.0053"))
    kenya = calls["wacid.B3"]
    # 121 s = 20.17 pulses, billed as 21 = 2.1 minutes x 0.0103 = 0.02163
    assert (kenya.market, kenya.pulses, kenya.billed_minutes, kenya.charge) == (
        "Rest of Africa", 21, Decimal("2.1"), Decimal("0.02163"))
    assert calls["wacid.B2"].charge == 0 and calls["wacid.B2"].tier is None
    assert "not answered" in calls["wacid.B2"].note
    assert calls["wacid.B4"].charge == 0 and "cannot be placed from US numbers" in calls["wacid.B4"].note
    assert calls["wacid.U1"].direction == "user_initiated" and calls["wacid.U1"].duration == 300
    assert calls["wacid.U1"].charge == 0

    month = month_calls(workspace.pk, NOVEMBER)
    assert (month.user_initiated, month.user_seconds, month.business_initiated, month.business_priced) == (1, 300, 4, 2)
    assert month.billed_minutes == Decimal("3.1")  # 1 + 2.1
    assert month.charge == Decimal("0.02693") and month.rounded_charge == Decimal("0.03")  # 0.0053 + 0.02163
    assert [(m.market, m.calls) for m in month.by_market] == [("Rest of Africa", 1), ("India", 1)]
    assert dict(month.not_priced) == {
        "business-initiated calls cannot be placed from US numbers": 1,
        "not answered: unanswered and rejected calls cost nothing": 1}


def test_loading_the_same_calls_again_changes_nothing(workspace):
    load(workspace, SAMPLE.read_bytes())
    before = list(CallRecord.objects.order_by("call_id").values())
    load(workspace, SAMPLE.read_bytes())
    assert list(CallRecord.objects.order_by("call_id").values()) == before


def test_events_in_any_order_make_the_same_calls(workspace):
    other = Workspace.objects.create(name="Globex", slug="globex")
    load(workspace, SAMPLE.read_bytes())
    load(other, b"\n".join(reversed(SAMPLE.read_bytes().splitlines())))

    def rows(space):
        return list(CallRecord.objects.filter(workspace=space).order_by("call_id").values_list(
            "call_id", "direction", "ts", "duration", "status", "market", "pulses", "billed_minutes", "tier", "charge"))
    assert rows(workspace) == rows(other)
    assert rows(other)[0][2] == 1793520000  # the connect event's time, however late it arrives


def test_a_users_call_opens_the_customer_service_window(workspace):
    load(workspace, SAMPLE.read_bytes())
    # the user's call connected at T + 3600; and the user answered the business's 56-second call (started T + 4)
    opened = Message.objects.filter(workspace=workspace, inbound=True).order_by("ts")
    assert [(m.wamid, m.contact, m.ts) for m in opened] == [
        ("call:wacid.B1", "919800000001", 1793520004), ("call:wacid.U1", "919800000002", 1793523600),
        ("call:wacid.B3", "254712345678", 1793527379), ("call:wacid.B4", "919800000001", 1793528940)]
    found = whatif.what_if(workspace, NOVEMBER)
    assert found["available"] is True and found["inbound"] == 4  # the replay sees the calls as the user writing


def test_a_broken_call_is_reported_by_line_and_the_rest_loads(workspace):
    lines = SAMPLE.read_bytes().splitlines()
    lines[1] = lines[1].replace(b'"duration":56', b'"duration":"long"')
    report = load(workspace, b"\n".join(lines))
    assert report.errors == [{"line": 2, "message": "call 'wacid.B1': duration 'long' is not a number of seconds"}]
    assert CallRecord.objects.filter(workspace=workspace).count() == 5


def test_the_month_page_shows_the_calls(client, workspace):
    from django.contrib.auth.models import User

    load(workspace, SAMPLE.read_bytes())
    ann = User.objects.create_user("ann", password="a-long-test-password")
    workspace.members.add(ann)
    client.force_login(ann)
    page = client.get("/usage/acme/2026-11/").content.decode()
    section = page[page.index('id="usage-calls"'):]
    assert "Customers called: <strong>1</strong> call, free" in section
    assert "You called: <strong>4</strong> calls" in section and "2 charged, 3.1 billed minutes" in section
    assert 'id="calls-charge">$0.03<' in section  # 0.0053 + 0.02163 = 0.02693
    assert "1 call not charged: business-initiated calls cannot be placed from US numbers" in section
    assert "Meta&#x27;s own calling rate files were not found" in section


def test_the_commands_json_gives_each_months_calls(workspace, capsys):
    import json

    from django.core.management import call_command

    call_command("ingest_webhooks", str(SAMPLE), "--workspace", "acme", "--json")
    month = json.loads(capsys.readouterr().out)["months"]["2026-11"]
    assert month["calls"]["business_initiated"] == {"calls": 4, "priced": 2, "billed_minutes": 3.1, "charge": "0.03"}
    assert month["calls"]["user_initiated"] == {"calls": 1, "seconds": 300, "charge": "0.00"}
    assert month["all"] == 1  # the one template; calls are counted apart from messages


def test_calls_belong_to_the_accounts_month_and_follow_a_time_zone_change(workspace):
    from usage.recount import recount

    # A business call to India at 23:30 UTC on 30 November is on 1 December in Asia/Kolkata (UTC+5:30).
    late = 1796081400  # 2026-11-30T23:30:00Z
    line = (b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"calls","value":'
            b'{"metadata":{"display_phone_number":"5511987654321","phone_number_id":"9"},"calls":[{"id":"wacid.L",'
            b'"from":"5511987654321","to":"919800000001","event":"terminate","direction":"BUSINESS_INITIATED",'
            b'"timestamp":"1796081460","start_time":"1796081400","status":"COMPLETED","duration":60}]}}]}]}')
    load(workspace, line)
    assert CallRecord.objects.get(call_id="wacid.L").month == date(2026, 11, 1)
    workspace.timezone = "Asia/Kolkata"
    workspace.save()
    recount([workspace.pk], moved=[workspace.pk])
    row = CallRecord.objects.get(call_id="wacid.L")
    assert row.ts == late and row.month == date(2026, 12, 1) and row.charge == Decimal("0.0053")
    assert month_calls(workspace.pk, date(2026, 12, 1)).business_priced == 1


def _business_call(call_id: str, start: int, seconds: int, to: str = "254712000001") -> bytes:
    """One terminated business-initiated call from the Brazilian business number (allowed to call)."""
    return (
        '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"calls","value":'
        '{"metadata":{"display_phone_number":"5511987654321","phone_number_id":"9"},"calls":[{"id":"%s",'
        '"from":"5511987654321","to":"%s","event":"terminate","direction":"BUSINESS_INITIATED",'
        '"timestamp":"%d","start_time":"%d","status":"COMPLETED","duration":%d}]}}]}]}\n'
        % (call_id, to, start + seconds, start, seconds)
    ).encode()


def test_call_minute_tiers_are_counted_across_the_business_accounts():
    """Meta accrues minute tiers per business, market and month: two accounts of one business share one
    ladder, as their messages do.

    Kenya is Rest of Africa; its ladder in the shipped table: 0.0103 a minute to 50,000 minutes, then 0.0084.
    Account A places 17 calls of 2,880 minutes (to 17 people, an hour apart from 3 November) (172,800 s, whole pulses) = 48,960 minutes, all tier 1.
    Account B then places one call of 1,200 minutes (72,000 s): the business reaches 48,960 + 1,200 = 50,160
    minutes, so the call crosses 50,000 and is priced entirely at tier 2: 1,200 x 0.0084 = 10.08.
    Counted per account it would have been tier 1: 1,200 x 0.0103 = 12.36.
    """
    acme = Business.objects.create(name="Acme Group")
    first = Workspace.objects.create(name="Acme BR", slug="acme-br", business=acme)
    second = Workspace.objects.create(name="Acme KE", slug="acme-ke", business=acme)
    start = 1793664000  # 2026-11-03T00:00:00Z
    load(first, b"".join(_business_call(f"wacid.A{i}", start + i * 3_600, 172_800, to=f"2547120001{i:02d}")
                         for i in range(17)))
    load(second, _business_call("wacid.B", start + 17 * 3_600, 72_000))

    late = CallRecord.objects.get(call_id="wacid.B")
    assert (late.market, late.billed_minutes, late.tier, late.charge) == ("Rest of Africa", Decimal("1200"), 1,
                                                                          Decimal("10.08"))  # tier index 1: step 2
    earlier = CallRecord.objects.filter(workspace=first)
    assert {row.tier for row in earlier} == {0}
    assert sum(row.charge for row in earlier) == Decimal("504.288")  # 48,960 x 0.0103


def test_an_account_joining_a_business_has_its_calls_priced_on_the_shared_ladder():
    """The same calls as above, loaded while the accounts stand alone: B's call is tier 1 (1,200 x 0.0103 =
    12.36); once B joins A's business the month is counted again and the call moves to tier 2 (10.08)."""
    first = Workspace.objects.create(name="Acme BR", slug="acme-br",
                                     business=Business.objects.create(name="Acme Group"))
    second = Workspace.objects.create(name="Acme KE", slug="acme-ke")
    start = 1793664000  # 2026-11-03T00:00:00Z
    load(first, b"".join(_business_call(f"wacid.A{i}", start + i * 3_600, 172_800, to=f"2547120001{i:02d}")
                         for i in range(17)))
    load(second, _business_call("wacid.B", start + 17 * 3_600, 72_000))
    assert (CallRecord.objects.get(call_id="wacid.B").tier, CallRecord.objects.get(call_id="wacid.B").charge) == (
        0, Decimal("12.36"))

    apply_settings(second, business="Acme Group")
    late = CallRecord.objects.get(call_id="wacid.B")
    assert (late.tier, late.charge) == (1, Decimal("10.08"))

    apply_settings(second, business="")  # leaving the business: alone again, tier 1
    late = CallRecord.objects.get(call_id="wacid.B")
    assert (late.tier, late.charge) == (0, Decimal("12.36"))
