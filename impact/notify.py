"""Publishing a card tells the people it concerns: one e-mail each, with their own lines of the report.

Sent by the task worker (`publication_mail`, queued once the publication commits), not in the admin's request.

Quote owners get their open quotes; each workspace's members get their workspaces' last full month.
Someone who is both gets one e-mail with both. People without an e-mail address are skipped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from impact.exports import quote_text, workspace_text
from impact.report import ImpactReport, concerns_anyone, impact_report
from ratecards.models import RateCard

logger = logging.getLogger(__name__)


def messages_for(report: ImpactReport, link: str) -> list[EmailMessage]:
    lines: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"quotes": [], "workspaces": []})
    for line in report.quotes:
        if line.quote.owner.email:
            lines[line.quote.owner.email]["quotes"].append(quote_text(line))
    for line in report.workspaces:
        for member in line.workspace.members.all():
            if member.email:
                lines[member.email]["workspaces"].append(workspace_text(line))
    card = report.card
    found = []
    for address in sorted(lines):
        parts = [f"Meta's rate card {card.name} has been published (in force from {card.effective_from:%d %B %Y}). "
                 "What it does to Meta's charges:"]
        if lines[address]["quotes"]:
            parts += ["", "Your open quotes (Meta's charges of the quoted mix):", *lines[address]["quotes"]]
        if lines[address]["workspaces"]:
            parts += ["", f"Your workspaces, {report.month:%B %Y} replayed on the new card:", *lines[address]["workspaces"]]
        if link:
            parts += ["", f"The whole report (staff, on the pricing site): {link}"]
        found.append(EmailMessage(f"New WhatsApp rate card {card.name}: what it changes for you", "\n".join(parts),
                                  settings.DEFAULT_FROM_EMAIL, [address]))
    return found


def send_publication_mail(card_id: int, today: date, link: str = "") -> list[str]:
    """Build the card's report and send each person concerned their lines; the addresses mailed."""
    card = RateCard.objects.filter(pk=card_id).first()
    if card is None:
        return []
    messages = messages_for(impact_report(card, today), link)
    if messages:
        with mailers.default as connection:
            connection.send_messages(messages)
    return [message.to[0] for message in messages]


@task
def publication_mail(card_id: int, today: str, link: str) -> list[str]:
    """The task queue's job (`run_worker`): the report is built and mailed outside the publisher's request."""
    return send_publication_mail(card_id, date.fromisoformat(today), link)


def on_publish(sender, card: RateCard, **kwargs) -> None:
    """`ratecards.models.card_published` (sent once the publication is committed): queue the e-mails.

    The card is published whatever happens to the mail: a failure to queue is logged, never the publisher's
    error (the worker logs a failure to send). Nothing is queued when no open quote or workspace can be
    concerned (migrate publishing the shipped cards into an empty site)."""
    try:
        if not concerns_anyone(card):
            return
        publication_mail.enqueue(card.pk, timezone.localdate().isoformat(), reverse("impact:card", args=[card.pk]))
    except Exception:
        logger.exception("The publication e-mails of rate card %s were not queued", card.pk)
