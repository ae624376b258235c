"""Usage alerts: on the month page and in the daily digest, each e-mailed once to the workspace's members.

Data are loaded as Meta's webhooks through the real ingest; October 2026 is priced with USD 2026-10-01
(India marketing 0.0118, India service 0.0014, 1,000 free service messages per phone number).
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from usage.alerts import digest_alerts, send_digest
from usage.dashboard import month_view
from usage.ingest import ingest
from usage.models import AlertSent, Workspace
from usage.paid_share import paid_share_jump

pytestmark = pytest.mark.django_db

OCTOBER = 1790812800  # 2026-10-01T00:00:00Z
DAY = 86400
NOW = datetime(2026, 10, 11, tzinfo=timezone.utc)  # 10 days of October passed
INDIA = "9198000000"
NO_MAIL = {"default": {"BACKEND": "pricing_site.mail.NoMailBackend"}}


@pytest.fixture
def acme():
    space = Workspace.objects.create(name="Acme", slug="acme")
    for name in ("ann", "bob"):
        space.members.add(User.objects.create_user(name, email=f"{name}@example.com", password="pw"))
    space.members.add(User.objects.create_user("cid", password="pw"))  # no address: gets no mail
    return space


def status(n: int, at: int, price_type: str, category: str, recipient: str = INDIA + "01") -> str:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"metadata": {"phone_number_id": "106540352242922"}, "statuses": [{
            "id": f"wamid.A{n}", "status": "delivered", "timestamp": str(at), "recipient_id": recipient,
            "pricing": {"billable": price_type == "regular", "pricing_model": "PMP", "type": price_type,
                        "category": category}}]}}]}]})


def load(workspace, lines: list[str]) -> None:
    ingest(io.BytesIO("\n".join(lines).encode()), workspace, "file")


def marketing(workspace, days: range, per_day: int = 10, first: int = 0) -> None:
    """``per_day`` India marketing templates (0.0118 each) at noon on each day of October in ``days``."""
    load(workspace, [status(first + d * 100 + i, OCTOBER + (d - 1) * DAY + DAY // 2, "regular", "marketing")
                     for d in days for i in range(per_day)])


def test_the_budget_alert_is_mailed_once_to_each_member_with_an_address(acme):
    acme.monthly_budget = Decimal("1.00")
    acme.save()
    marketing(acme, range(1, 11))  # 100 templates in 10 days: 1.18 so far, over the budget of 1.00
    # Running charge: 0.118 a day; 8 days = 0.944, 9 days = 1.062 > 1.00: passed on 9 October.
    report = send_digest(now=NOW)
    assert report.sent == {"acme": ["budget:2026-10"]} and report.recipients == {"acme": 2}
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "bob@example.com"]
    assert mail.outbox[0].subject == "Acme: 1 usage alert"
    assert "passed its budget of $1.00 on 9 October" in mail.outbox[0].body
    assert AlertSent.objects.get(workspace=acme).key == "budget:2026-10"
    # The next day's digest (and any page view) sends nothing again.
    assert send_digest(now=datetime(2026, 10, 12, 6, tzinfo=timezone.utc)).sent == {}
    month_view(acme, date(2026, 10, 1), now=NOW)
    assert len(mail.outbox) == 2


def test_a_forecast_over_budget_is_an_alert_before_the_budget_is_passed(acme):
    acme.monthly_budget = Decimal("3.00")
    acme.save()
    marketing(acme, range(1, 11))
    # 1.18 so far after 10 days; at 0.118 a day the month (31 days) ends at 3.658 ($3.66); the running
    # charge passes 3.00 after 3.00 / 0.118 = 25.4 days: on 26 October.
    [item] = digest_alerts(acme, NOW)
    assert item.key == "budget:2026-10" and item.alert.title == "Forecast over budget"
    assert "passes its budget of $3.00 on 26 October and reaches $3.66 by the month's end" in item.alert.text


def paid_and_free(workspace, days: range, paid: int, free: int, first: int) -> None:
    lines = []
    for d in days:
        at = OCTOBER + (d - 1) * DAY + DAY // 2
        lines += [status(first + d * 100 + i, at, "regular", "marketing") for i in range(paid)]
        lines += [status(first + d * 100 + 50 + i, at, "free_customer_service", "service") for i in range(free)]
    load(workspace, lines)


def test_the_paid_share_of_a_week_with_too_few_messages_says_nothing(acme):
    # Before the week (3-23 October): 1 paid and 3 free a day, 21 of 84 paid (25%).
    # The week 24-30 October: 3 paid and 1 free a day, 21 of 28 paid (75%), but 28 < 50 messages.
    paid_and_free(acme, range(3, 24), paid=1, free=3, first=0)
    paid_and_free(acme, range(24, 31), paid=3, free=1, first=10_000)
    assert paid_share_jump(acme, date(2026, 10, 30)) is None
    assert digest_alerts(acme, datetime(2026, 10, 31, 6, tzinfo=timezone.utc)) == []


def test_a_jump_over_enough_messages_is_mailed_once_a_week_and_shown_on_the_page(acme):
    # Before: 3-23 October, 1 paid and 3 free a day = 21 of 84 paid (25%).
    # The week 24-30 October: 6 paid and 2 free a day = 42 of 56 paid (75%), +50 points; 56 and 84 >= 50.
    paid_and_free(acme, range(3, 24), paid=1, free=3, first=0)
    paid_and_free(acme, range(24, 31), paid=6, free=2, first=10_000)
    now = datetime(2026, 10, 31, 6, tzinfo=timezone.utc)
    jump = paid_share_jump(acme, date(2026, 10, 30))
    assert (jump.week_messages, jump.before_messages, jump.week_share, jump.before_share) == (56, 84, 0.75, 0.25)
    report = send_digest(now=now)
    assert report.sent == {"acme": ["paid-share:2026-W44"]}  # 30 October 2026 is in ISO week 44
    assert "75% of the 56 messages delivered 24 Oct - 30 Oct were paid, against 25% of 84" in mail.outbox[0].body
    assert send_digest(now=datetime(2026, 11, 1, 6, tzinfo=timezone.utc)).sent == {}  # same ISO week
    view = month_view(acme, date(2026, 10, 1), now=now)
    assert "Paid share jumped" in [a.title for a in view.alerts]


def test_templates_meta_recategorised_and_the_allowance_used_up_are_alerts(acme):
    change = {"object": "whatsapp_business_account", "entry": [{"id": "1", "time": OCTOBER + 3 * DAY, "changes": [
        {"field": "template_category_update", "value": {
            "message_template_id": 1234, "message_template_name": "order_update", "message_template_language": "en_US",
            "previous_category": "UTILITY", "new_category": "MARKETING"}}]}]}
    # A service message Meta charged: the month's free service messages are used up.
    load(acme, [json.dumps(change), status(1, OCTOBER + 7 * DAY, "regular", "service")])
    keys = {item.key: item.alert for item in digest_alerts(acme, NOW)}
    assert set(keys) == {"recategorised:1234:" + str(OCTOBER + 3 * DAY), "allowance:2026-10"}
    assert "from utility to marketing on 4 October 2026" in keys["recategorised:1234:" + str(OCTOBER + 3 * DAY)].text
    assert "ran out on 8 October: 1 service message charged since" in keys["allowance:2026-10"].text
    send_digest(now=NOW)
    assert len(mail.outbox) == 2 and mail.outbox[0].subject == "Acme: 2 usage alerts"
    assert send_digest(now=NOW).sent == {}


def test_a_digest_that_cannot_be_sent_records_nothing_and_goes_next_time(acme):
    acme.monthly_budget = Decimal("1.00")
    acme.save()
    marketing(acme, range(1, 11))
    with override_settings(MAILERS=NO_MAIL):
        report = send_digest(now=NOW)
    assert report.sent == {} and "MailIsOff" in report.skipped["acme"]
    assert not AlertSent.objects.exists()
    assert send_digest(now=NOW).sent == {"acme": ["budget:2026-10"]}


def test_the_command_runs_the_digest(acme, capsys):
    acme.monthly_budget = Decimal("0.01")
    acme.save()
    now = datetime.now(timezone.utc)
    load(acme, [status(1, int(now.timestamp()) - 60, "regular", "marketing")])  # 0.0118 > 0.01 today
    call_command("send_alert_digest", "--dry-run")
    assert "(dry run) acme: 1 alert(s) to 2 member(s)" in capsys.readouterr().out
    assert not mail.outbox and not AlertSent.objects.exists()
    call_command("send_alert_digest", "--workspace", "acme")
    assert len(mail.outbox) == 2
    with pytest.raises(CommandError, match="no workspace"):
        call_command("send_alert_digest", "--workspace", "nobody")
    with override_settings(MAILERS=NO_MAIL):
        acme.monthly_budget = None
        acme.save()
        call_command("send_alert_digest")  # nothing new: nothing to send, no error
