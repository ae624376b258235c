"""Prepaid balances and the workspace's package on the usage dashboard (issue 16), from webhooks loaded the
real way and top-ups entered as staff enter them.

Card: USD 2026-10-01 (usd-rates-2026-10-01.csv): India marketing 0.0118, utility 0.0014, service 0.0014
after 1,000 free service messages a phone number a month; India utility tier 1 runs to 25,000,000, so
every message here is at the list rate. November 2026 has 30 days; "now" is 2026-11-11 00:00 UTC: 10 days.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils.html import escape

from plans.models import PackageTerms, PlanUnit, PricePlan
from quotes import testing
from usage.alerts import digest_alerts, send_digest
from usage.dashboard import month_view
from usage.ingest import ingest
from usage.models import TopUp, Workspace

pytestmark = pytest.mark.django_db
D = Decimal
DAY = 86400
OCTOBER_20 = 1792454400 + 12 * 3600  # 2026-10-20T12:00:00Z
NOVEMBER_1 = 1793491200  # 2026-11-01T00:00:00Z
NOVEMBER = date(2026, 11, 1)
NOW = datetime(2026, 11, 11, tzinfo=timezone.utc)
INDIA_A, INDIA_B = "919800000001", "919800000002"


def status(wamid: str, at: int, price_type: str, category: str, to: str = INDIA_A) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "106540352242922"}, "statuses": [{
            "id": wamid, "status": "delivered", "timestamp": str(at), "recipient_id": to,
            "pricing": {"billable": price_type == "regular", "pricing_model": "PMP", "type": price_type,
                        "category": category}}]}}]}]}


def inbound(wamid: str, at: int, sender: str) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "106540352242922"},
                                       "contacts": [{"wa_id": sender}],
                                       "messages": [{"from": sender, "id": wamid, "timestamp": str(at),
                                                     "type": "text", "text": {"body": "hello"}}]}}]}]}


@pytest.fixture
def acme() -> Workspace:
    workspace = Workspace.objects.create(name="Acme", slug="acme")
    noon = DAY // 2
    lines = [status(f"wamid.O{n}", OCTOBER_20, "regular", "marketing") for n in range(20)]  # 20 x 0.0118
    lines += [status(f"wamid.M{n}", NOVEMBER_1 + DAY + noon, "regular", "marketing") for n in range(10)]  # 2 Nov
    lines += [status(f"wamid.U{n}", NOVEMBER_1 + 3 * DAY + noon, "regular", "utility") for n in range(5)]  # 4 Nov
    lines += [status(f"wamid.W{n}", NOVEMBER_1 + 2 * DAY + noon + 60, "free_customer_service", "utility")
              for n in range(2)]  # inside the window contact A opened on 3 Nov
    lines += [status(f"wamid.S{n}", NOVEMBER_1 + 4 * DAY + noon + 60, "free_customer_service", "service", INDIA_B)
              for n in range(4)]  # replies to contact B on 5 Nov
    lines += [inbound("wamid.I1", NOVEMBER_1 + 2 * DAY + noon, INDIA_A),
              inbound("wamid.I2", NOVEMBER_1 + 2 * DAY + noon + 30, INDIA_A),  # the same customer, the same day
              inbound("wamid.I3", NOVEMBER_1 + 4 * DAY + noon, INDIA_B)]
    ingest(io.BytesIO("\n".join(json.dumps(line) for line in lines).encode()), workspace, "acme.jsonl")
    return workspace


@pytest.fixture
def topped_up(acme) -> Workspace:
    acme.prepaid_alert_below = D("0.95")
    acme.save()
    TopUp.objects.create(workspace=acme, on=date(2026, 10, 15), amount=D("1.00"), currency="USD", note="invoice 1")
    TopUp.objects.create(workspace=acme, on=date(2026, 11, 5), amount=D("1.00"), currency="EUR", note="transfer")
    return acme


def test_the_balance_days_left_alert_and_suggested_top_up(topped_up):
    found = month_view(topped_up, NOVEMBER, now=NOW).prepaid
    # Charges from the first top-up (15 Oct) to 11 Nov: October 20 x 0.0118 = 0.236; November 10 marketing
    # x 0.0118 + 5 utility x 0.0014 = 0.125 (the rest was free). 0.236 + 0.125 = 0.361.
    assert (found.spent, found.month_spent) == (D("0.361"), D("0.125"))
    # The EUR top-up has no exchange rate: listed, not counted. 1.00 - 0.361 = 0.639.
    assert found.topped_up == D("1.00") and found.balance == D("0.639")
    assert [line.amount for line in found.lines] == [D("1.00"), None]
    assert "no EUR to USD exchange rate in force on 2026-11-05" in found.lines[1].note
    assert found.below_threshold  # 0.639 < 0.95
    # One month before November with data: October, 0.236. A month of it and the threshold, less the
    # balance: 0.236 + 0.95 - 0.639 = 0.547, rounded up to 1 USD.
    assert found.last_months == ((date(2026, 10, 1), D("0.236")),) and found.suggested_top_up == D(1)
    # Pace after 10 of 30 days: 1 marketing and 0.5 utility a day (0.0118 + 0.0007 = 0.0125 a day). The
    # rest of November (20 days) costs 0.25, leaving 0.389; a fresh month (30 marketing, 15 utility) costs
    # 0.375: one more month, leaving 0.014, which pays 1 more day (0.0125). 20 + 30 + 1 = 51 days.
    assert found.days_left == 51


def test_a_low_balance_is_in_the_daily_digest_once_per_top_up(topped_up):
    topped_up.members.add(User.objects.create_user("ann", email="ann@example.com", password="pw"))
    report = send_digest(now=NOW)
    # The figures of the test above: balance 1.00 - 0.361 = 0.639 ($0.64) < 0.95; 51 days; top up 1 USD.
    # The latest top-up is the EUR one of 5 November (not counted, but it is the latest the balance knows).
    latest = TopUp.objects.get(on=date(2026, 11, 5))
    assert f"low-balance:top-up-{latest.pk}" in report.sent["acme"]
    [message] = mail.outbox
    assert "Prepaid balance below $0.95" in message.body
    assert ("The prepaid balance is $0.64 on 11 November, below the alert threshold of $0.95. At this month's "
            "pace it lasts 51 more days. Top up $1.00 to keep sending without a break.") in message.body
    # The next day's digest does not send it again ...
    assert send_digest(now=datetime(2026, 11, 12, 6, tzinfo=timezone.utc)).sent == {}
    # ... until a new top-up that still leaves the balance below the threshold: 0.639 + 0.10 = 0.739 < 0.95.
    TopUp.objects.create(workspace=topped_up, on=date(2026, 11, 11), amount=D("0.10"), currency="USD")
    again = send_digest(now=datetime(2026, 11, 12, 6, tzinfo=timezone.utc))
    assert [key for key in again.sent["acme"] if key.startswith("low-balance:")] == [
        f"low-balance:top-up-{TopUp.objects.latest('pk').pk}"]
    assert "The prepaid balance is $0.74 on 12 November" in mail.outbox[-1].body


def test_a_balance_above_its_threshold_or_without_one_sends_nothing(acme):
    TopUp.objects.create(workspace=acme, on=date(2026, 10, 15), amount=D("1.00"), currency="USD")
    acme.members.add(User.objects.create_user("ann", email="ann@example.com", password="pw"))
    assert not [a for a in digest_alerts(acme, NOW) if a.key.startswith("low-balance:")]  # no threshold set
    acme.prepaid_alert_below = D("0.50")  # the balance, 0.639, is above it
    acme.save()
    assert not [a for a in digest_alerts(acme, NOW) if a.key.startswith("low-balance:")]


def test_without_top_ups_there_is_no_balance_and_a_past_top_up_cannot_be_negative(acme):
    assert month_view(acme, NOVEMBER, now=NOW).prepaid is None
    with pytest.raises(ValidationError, match="more than zero"):
        TopUp(workspace=acme, on=date(2026, 11, 1), amount=D("-5"), currency="USD").full_clean()
    with pytest.raises(ValidationError, match="ISO 4217"):
        TopUp(workspace=acme, on=date(2026, 11, 1), amount=D("5"), currency="usd").full_clean()


@pytest.fixture
def package_plan() -> PricePlan:
    plan = PricePlan.objects.create(name="Acme package", unit=PlanUnit.PACKAGE, currency="USD")
    PackageTerms.objects.create(plan=plan, effective_from=date(2026, 1, 1), monthly_fee=D("20"), included_units=D(50),
                                units_marketing=D(1), units_utility=D(1), units_authentication=D(1),
                                units_per_receptive_window=D(1), utility_in_window_consumes_units=True,
                                overage_per_unit=D("0.05"), meta_charges="on_top")
    return plan


def test_the_packages_consumption_so_far_and_at_the_month_end(acme, package_plan):
    acme.package_plan = package_plan
    acme.save()
    found = month_view(acme, NOVEMBER, now=NOW).package
    # So far: 10 marketing + 5 utility + 2 utility inside the window contact A opened + 2 conversations the
    # customers started (A on 3 Nov, twice the same day: one; B on 5 Nov: one) = 19 units; 4 replies are free.
    assert found.so_far.used_units == D(19) and found.so_far.overage_units == 0
    assert found.so_far.total == D("20.125")  # the fee 20 + Meta's 0.125 so far on top
    # Month end at the pace of 10 days of 30: 19 x 3 = 57 units, 7 over 50: 7 x 0.05 = 0.35. Meta's month
    # end: 30 marketing x 0.0118 + 15 utility x 0.0014 = 0.375. 20 + 0.35 + 0.375 = 20.725.
    assert found.month_end.used_units == D(57) and found.month_end.overage == D("0.35")
    assert found.month_end.total == D("20.725")


def test_the_dashboard_shows_the_balance_and_the_package_to_members_only(client, topped_up, package_plan):
    topped_up.package_plan = package_plan
    topped_up.save()
    member = testing.user("carol")
    topped_up.members.add(member)
    client.force_login(member)
    page = client.get("/usage/acme/2026-11/").content.decode()
    # November is over by now: the balance is the same (no data after 5 Nov): 0.639 -> $0.64.
    assert 'id="prepaid-balance">$0.64' in page and 'id="prepaid-alert"' in page
    assert 'id="prepaid-suggested">$1.00' in page and "not counted" in page
    assert 'id="package-used">19 of 50' in page
    client.force_login(testing.user("eve"))
    assert client.get("/usage/acme/2026-11/").status_code == 404


def test_staff_enter_top_ups_and_the_package_on_the_workspace_page(client, acme):
    client.force_login(testing.user("root", superuser=True))
    page = client.get(f"/admin/usage/workspace/{acme.pk}/change/").content.decode()
    assert "top_ups-TOTAL_FORMS" in page and 'name="prepaid_alert_below"' in page and 'name="package_plan"' in page
    for field in ("on", "amount", "currency", "note"):
        assert escape(TopUp._meta.get_field(field).help_text) in page, field  # the inline's help, escaped
    assert str(Workspace._meta.get_field("package_plan").help_text) in page
