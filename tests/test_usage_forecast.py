"""The usage dashboard's month-end forecast and budget, from webhooks loaded the real way.

The card: USD 2026-10-01's rates and rules, from 2027-01-01, with India utility tiers made small so a
handful of messages climbs them, and a free service allowance of 2 messages per phone number:
    India utility: positions 1-2 at 0.0014, 3-4 at 0.0013, 5-100 at 0.0012, from 101 at 0.0011
    India service: 0.0014 (usd-rates-2026-10-01.csv), charged after the month's 2 free ones
"""

from __future__ import annotations

import html
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.small_tiers import publish_small_tiers
from usage.dashboard import month_view
from usage.forecast import elapsed_days, month_forecast
from usage.ingest import ingest
from usage.models import Workspace

pytestmark = pytest.mark.django_db

APRIL_2027 = 1806537600  # 2027-04-01T00:00:00Z; April has 30 days
DAY = 86400
INDIA = "919800000001"
APRIL = date(2027, 4, 1)
AFTER_TEN_DAYS = datetime(2027, 4, 11, tzinfo=timezone.utc)


@pytest.fixture
def small_card():
    return publish_small_tiers(free_service_allowance=2)


@pytest.fixture
def acme():
    return Workspace.objects.create(name="Acme", slug="acme")


def status(n: int, at: int, price_type: str, category: str) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "106540352242922"}, "statuses": [{
            "id": f"wamid.F{n}", "status": "delivered", "timestamp": str(at), "recipient_id": INDIA,
            "pricing": {"billable": price_type == "regular", "pricing_model": "PMP", "type": price_type,
                        "category": category}}]}}]}]}


def ten_days_of_april(workspace: Workspace) -> None:
    """Utility templates at noon on 2, 4, 6 and 8 April; one free service message on 5 April."""
    lines = [status(n, APRIL_2027 + (2 * n - 1) * DAY + DAY // 2, "regular", "utility") for n in (1, 2, 3, 4)]
    lines.append(status(9, APRIL_2027 + 4 * DAY + DAY // 2, "free_customer_service", "service"))
    ingest(io.BytesIO("\n".join(json.dumps(line) for line in lines).encode()), workspace, "april")


def test_the_month_end_is_forecast_through_the_tiers_and_the_allowance(small_card, acme):
    ten_days_of_april(acme)
    ahead = month_forecast(acme, APRIL, now=AFTER_TEN_DAYS)
    # So far: positions 1-2 at 0.0014 + 3-4 at 0.0013 = 0.0054; the service message was free.
    assert ahead.forecast.charge_so_far == Decimal("0.0054")
    # 10 of 30 days passed: 4 utility -> 12 by the month's end, positions 5-12 (8) at 0.0012 = 0.0096;
    # 1 service -> 3, 2 free: 1 x 0.0014. Month end: 0.0054 + 0.0096 + 0.0014 = 0.0164.
    assert ahead.forecast.elapsed == 10
    assert ahead.forecast.total == Decimal("0.0164")
    # The allowance: 1 of 2 used; the second free message comes at day 20, the first charged after it: day 21.
    assert (ahead.forecast.allowance.used, ahead.forecast.allowance.runs_out_day) == (1, 21)
    assert ahead.allowance_runs_out == date(2027, 4, 21)
    assert ahead.budget is None and ahead.crossing is None


def test_the_day_the_budget_is_crossed(small_card, acme):
    acme.monthly_budget = Decimal("0.01")
    acme.save()
    ten_days_of_april(acme)
    ahead = month_forecast(acme, APRIL, now=AFTER_TEN_DAYS)
    # 0.4 utility messages a day at 0.0012 from position 4: after day t the month stands at
    # 0.0054 + (0.4 t - 4) x 0.0012 (the service is free until day 20):
    # t = 19: 0.0054 + 3.6 x 0.0012 = 0.00972; t = 20: 0.0054 + 4 x 0.0012 = 0.0102 > 0.01.
    assert ahead.crossing_date == date(2027, 4, 20)
    assert not ahead.crossing.already
    assert ahead.over_budget
    view = month_view(acme, APRIL, now=AFTER_TEN_DAYS)
    [alert] = [a for a in view.alerts if a.title == "Forecast over budget"]
    assert "passes its budget of $0.01 on 20 April" in alert.text
    assert "$0.02 by the month's end" in alert.text  # 0.0164 shown to the cent


def test_a_month_that_is_over_shows_what_was_charged_and_the_day_the_budget_went(client, acme):
    acme.monthly_budget = Decimal("0.01")
    acme.save()
    # October 2026, USD 2026-10-01: India marketing 0.0118 on 3 and 5 October. The month is over (the tests
    # run after it): 0.0236 was charged, shown as $0.02; the budget of 0.01 went on 3 October (0.0118 > 0.01).
    october = 1790812800  # 2026-10-01T00:00:00Z
    lines = [status(n, october + day * DAY, "regular", "marketing") for n, day in ((1, 2), (2, 4))]
    ingest(io.BytesIO("\n".join(json.dumps(line) for line in lines).encode()), acme, "october")
    ann = User.objects.create_user("ann", password="pw")
    acme.members.add(ann)
    client.force_login(ann)
    page = html.unescape(client.get(reverse("usage-month", args=["acme", date(2026, 10, 1)])).content.decode())
    assert "The month's charge</h2>" in page
    assert 'id="forecast-total">$0.02<' in page
    assert 'id="forecast-budget">$0.01<' in page
    assert "3 October <small>(passed)</small>" in page
    assert "passed its budget of $0.01 on 3 October; the month-end forecast is $0.02." in page


def test_the_days_of_the_month_are_counted_in_the_accounts_time_zone(acme):
    acme.timezone = "Asia/Kolkata"
    acme.save()
    # 10 April 2027 20:00 UTC is 11 April 01:30 in India: 10 days and 1.5 hours of April have passed there.
    assert elapsed_days(acme, APRIL, datetime(2027, 4, 10, 20, tzinfo=timezone.utc)) == Decimal(10) + Decimal(
        5400) / DAY
    assert elapsed_days(acme, APRIL, datetime(2027, 3, 31, 18, tzinfo=timezone.utc)) is None  # still March there
    assert elapsed_days(acme, APRIL, datetime(2027, 5, 3, tzinfo=timezone.utc)) == 30


def test_the_budget_is_set_in_the_admin(admin_client, acme):
    form = admin_client.get(reverse("admin:usage_workspace_change", args=[acme.pk])).content.decode()
    assert 'name="monthly_budget"' in form
