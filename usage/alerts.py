"""Alerts worth an e-mail, and the daily digest that sends each of them once.

Five alerts, each with a key that names it once and for all (`AlertSent` remembers what was sent):

- **budget** (`budget:2026-11`): the month's charge passes the workspace's monthly budget, already or at
  the forecast pace (`usage.forecast`); once a month.
- **paid share** (`paid-share:2026-W48`): the paid share of the last 7 days is at least
  `PAID_SHARE_RISE` percentage points above that of the 28 days before them, each window with at least
  `MIN_SHARE_MESSAGES` delivered messages; at most once a week (ISO week of the window's last day).
- **recategorised** (`recategorised:<template id>:<time>`): Meta's `template_category_update` webhook moved
  a template to another category (its messages are billed at that category's rates from then on); once
  per change, for changes since the start of the previous month.
- **allowance** (`allowance:2026-11`): Meta charged a service message this month, so the month's free
  service allowance is used up; once a month.
- **low balance** (`low-balance:top-up-<id>`): the prepaid balance (`usage.prepaid`: top-ups less charges)
  is below the workspace's alert threshold; once per latest top-up, so the next top-up that falls below
  the threshold again is told again.

`send_digest` e-mails each workspace's members (those with an address) the alerts not sent before, one
message per member, and records them in the same transaction, so a failed send records nothing and is
tried again on the next run, and two runs at once send nothing twice (the unique key).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from calculator.engine.vocabulary import category_label, counted, money_text

from .dashboard import Alert, budget_alerts, paid_share_alert, previous_month
from .forecast import month_forecast
from .models import AlertSent, TemplateCategoryChange, Workspace
from .paid_share import paid_share_jump
from .prepaid import Prepaid, prepaid
from .store import month_start_ts
from .summary import allowance_exhausted, months_with_data

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class DigestAlert:
    key: str
    alert: Alert


def local_today(workspace: Workspace, now: datetime) -> date:
    return now.astimezone(workspace.tz).date()


def digest_alerts(workspace: Workspace, now: datetime | None = None) -> list[DigestAlert]:
    """Every alert that holds for the workspace now, each with its key."""
    now = now or timezone.now()
    today = local_today(workspace, now)
    month = today.replace(day=1)
    ahead = month_forecast(workspace, month, now)
    found = [DigestAlert(f"budget:{month:%Y-%m}", alert) for alert in budget_alerts(ahead)]
    jump = paid_share_jump(workspace, today - timedelta(days=1))
    if jump is not None and jump.jumped:
        year, week, _ = jump.week[1].isocalendar()
        found.append(DigestAlert(f"paid-share:{year}-W{week:02d}", paid_share_alert(jump)))
    since = month_start_ts(previous_month(month), workspace.tz)
    for change in (TemplateCategoryChange.objects.filter(workspace=workspace, ts__gte=since)
                   .exclude(new_category=F("previous_category")).order_by("ts")):
        found.append(DigestAlert(f"recategorised:{change.template_id}:{change.ts}", recategorised_alert(change)))
    for ran_out_month, first_day, paid in allowance_exhausted(workspace):
        if ran_out_month == month:
            found.append(DigestAlert(f"allowance:{month:%Y-%m}", Alert(
                "warning", "Free service allowance used up",
                f"The month's free service messages ran out on {first_day:%-d %B}: "
                f"{counted(paid, 'service message')} charged since.")))
    balance = prepaid(workspace, month, today, ahead, months_with_data(workspace))
    if balance is not None and balance.below_threshold:
        latest = balance.lines[-1].top_up
        found.append(DigestAlert(f"low-balance:top-up-{latest.pk}", low_balance_alert(balance)))
    return found


def low_balance_alert(balance: Prepaid) -> Alert:
    """The dashboard's prepaid warning, in words for the e-mail: the balance, how long it lasts, the top-up."""
    currency = balance.currency
    lasts = ("It is used up." if balance.balance <= 0 else
             f"At this month's pace it lasts {counted(balance.days_left, 'more day')}." if balance.days_left is not None
             else "")
    top_up = (f" Top up {money_text(balance.suggested_top_up, currency)} to keep sending without a break."
              if balance.suggested_top_up else " Top up to keep sending without a break.")
    return Alert("warning", f"Prepaid balance below {money_text(balance.threshold, currency)}",
                 f"The prepaid balance is {money_text(balance.balance, currency)} on {balance.as_of:%-d %B}, below "
                 f"the alert threshold of {money_text(balance.threshold, currency)}. {lasts}{top_up}".replace(".  ", ". "))


def recategorised_alert(change: TemplateCategoryChange) -> Alert:
    before = category_label(change.previous_category).lower() if change.previous_category else "another category"
    return Alert("warning", "Template recategorised",
                 f"Meta moved template “{change.name or change.template_id}”"
                 f"{' (' + change.language + ')' if change.language else ''} from {before} to "
                 f"{category_label(change.new_category).lower()} on {change.at:%-d %B %Y}: its messages are billed "
                 f"as {category_label(change.new_category).lower()} from then on.")


@dataclass
class DigestReport:
    sent: dict[str, list[str]] = field(default_factory=dict)  # workspace slug -> keys sent
    recipients: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # workspace slug -> why nothing was sent

    def as_lines(self) -> list[str]:
        lines = [f"{slug}: {len(keys)} alert(s) to {self.recipients[slug]} member(s): {', '.join(keys)}"
                 for slug, keys in self.sent.items()]
        return lines + [f"{slug}: {why}" for slug, why in self.skipped.items()]


def send_digest(now: datetime | None = None, workspaces=None, dry_run: bool = False) -> DigestReport:
    """E-mail every workspace's members the alerts not sent before; record what was sent."""
    now = now or timezone.now()
    report = DigestReport()
    for workspace in (workspaces if workspaces is not None else Workspace.objects.order_by("slug")):
        try:
            _send_one(workspace, now, report, dry_run)
        except Exception as exc:  # one workspace's failure (SMTP down) must not stop the others
            log.exception("alert digest of %s failed", workspace.slug)
            report.skipped[workspace.slug] = f"not sent ({type(exc).__name__}: {exc}); tried again next run"
    return report


def _send_one(workspace: Workspace, now: datetime, report: DigestReport, dry_run: bool) -> None:
    alerts = digest_alerts(workspace, now)
    sent = set(AlertSent.objects.filter(workspace=workspace, key__in=[a.key for a in alerts])
               .values_list("key", flat=True))
    new = [a for a in alerts if a.key not in sent]
    if not new:
        return
    addresses = sorted({email for email in workspace.members.filter(is_active=True).exclude(email="")
                        .values_list("email", flat=True)})
    if not addresses:
        report.skipped[workspace.slug] = "no member has an e-mail address"
        return
    if dry_run:
        report.sent[workspace.slug], report.recipients[workspace.slug] = [a.key for a in new], len(addresses)
        return
    with transaction.atomic():
        recorded = []
        for item in new:
            try:
                with transaction.atomic():
                    AlertSent.objects.create(workspace=workspace, key=item.key, title=item.alert.title,
                                             text=item.alert.text, recipients=len(addresses))
                recorded.append(item)
            except IntegrityError:
                continue  # another run sent it meanwhile
        if not recorded:
            return
        subject, body = digest_mail(workspace, recorded)
        mailers.default.send_messages([EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
                                       for address in addresses])
    report.sent[workspace.slug], report.recipients[workspace.slug] = [a.key for a in recorded], len(addresses)


def digest_mail(workspace: Workspace, alerts: list[DigestAlert]) -> tuple[str, str]:
    subject = f"{workspace.name}: {counted(len(alerts), 'usage alert')}"
    body = "\n\n".join(f"{a.alert.title}\n{a.alert.text}" for a in alerts)
    return subject, (f"New alerts for {workspace.name}'s WhatsApp usage:\n\n{body}\n\n"
                     f"The usage dashboard has the figures: /usage/{workspace.slug}/\n")
