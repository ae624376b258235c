"""The impact report of a new card, worked by hand: open quotes repriced, a workspace's month replayed,
totals per currency; its page and CSV; and the e-mails publishing sends.

The new card is the shipped USD 2026-10-01 again from 2027-01-01 with India marketing at 0.0200 instead
of 0.0118; every other rate is the same.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from calculator.engine.estimate import EstimateLine, EstimateRequest
from impact import notify
from impact.notify import publication_mail
from impact.report import impact_report
from quotes import testing
from quotes.models import QuoteStatus
from quotes.requests import StoredRequest
from ratecards.models import RateCard
from usage.ingest import ingest
from usage.models import Workspace

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date(2026, 12, 5)  # the last full month is November 2026, the sample's
SAMPLE = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-webhooks.jsonl"


def mix(**counts) -> StoredRequest:
    line = EstimateLine(country="IN", **{k: D(v) for k, v in counts.items()})
    return StoredRequest(EstimateRequest(lines=(line,)), date(2026, 11, 1), [], "USD")


def draft_card() -> RateCard:
    draft = RateCard.objects.in_force("USD", date(2026, 11, 1)).new_draft()
    draft.effective_from = date(2027, 1, 1)
    draft.save()
    rate = draft.rates.get(market__name="India", category="marketing")
    rate.rate = D("0.0200")
    rate.save()
    return draft


@pytest.fixture
def people():
    sam = testing.user("sam", testing.SALES)
    maya = testing.user("maya", testing.SALES_MANAGERS)
    carol = testing.user("carol")
    acme = Workspace.objects.create(name="Acme Retail", slug="acme")
    acme.members.add(carol, sam)
    with SAMPLE.open("rb") as sample:
        ingest(sample, acme, SAMPLE.name)
    testing.quote(sam, "Acme Ltd", stored=mix(marketing=1000))  # draft
    testing.quote(sam, "Initech", stored=mix(utility=1000)).set_status(QuoteStatus.SENT)
    testing.quote(sam, "Old Co", stored=mix(marketing=1000)).set_status(QuoteStatus.ACCEPTED)  # not open
    testing.quote(maya, "Globex", stored=mix(marketing=2000)).set_status(QuoteStatus.SENT)
    return {"sam": sam, "maya": maya, "carol": carol, "acme": acme}


def test_the_report_of_a_draft_card_worked_by_hand(people):
    report = impact_report(draft_card(), TODAY)
    got = [(q.quote.owner.username, q.quote.customer, q.saved, q.new, q.change, q.percent) for q in report.quotes]
    assert got == [
        # 1,000 x 0.0118 = 11.80 -> 1,000 x 0.0200 = 20.00: +8.20, 8.20 / 11.80 = 69.49 % -> 69.5
        ("maya", "Globex", D("23.60"), D("40.00"), D("16.40"), D("69.5")),  # 2,000 messages: twice that
        ("sam", "Acme Ltd", D("11.80"), D("20.00"), D("8.20"), D("69.5")),
        # utility 1,000 x 0.0014 = 1.40 on both cards
        ("sam", "Initech", D("1.40"), D("1.40"), D("0.00"), D("0.0")),
    ]
    (total,) = report.quote_totals
    # 23.60 + 11.80 + 1.40 = 36.80 -> 40.00 + 20.00 + 1.40 = 61.40: +24.60, 24.60 / 36.80 = 66.85 % -> 66.8
    assert (total.currency, total.before, total.new, total.change, total.percent, total.count) == (
        "USD", D("36.80"), D("61.40"), D("24.60"), D("66.8"), 3)
    (acme,) = report.workspaces
    # November on USD 2026-10-01 (tests/test_usage_whatif.py works it out): 0.0118 India marketing + 0.0014
    # India authentication + 0.0113 Rest of Latin America authentication + 2 x 0.0014 utility = 0.0273 -> 0.03;
    # on the new card the marketing message costs 0.0200: 0.0355 -> 0.04; +0.01, 0.01 / 0.03 = 33.3 %
    assert (acme.card_name, acme.before, acme.new, acme.change, acme.percent) == (
        "USD 2026-10-01", D("0.03"), D("0.04"), D("0.01"), D("33.3"))
    assert report.month == date(2026, 11, 1)


def test_a_card_of_another_currency_touches_no_usd_quote_or_workspace(people):
    eur = RateCard.objects.filter(currency="EUR", status="published").order_by("-effective_from").first()
    report = impact_report(eur, TODAY)
    assert report.quotes == [] and report.workspaces == [] and report.quote_totals == []


def test_publishing_mails_each_person_their_lines_once(people, django_capture_on_commit_callbacks, settings):
    card = draft_card()
    with django_capture_on_commit_callbacks(execute=True):
        card.publish()
    # the publication queues the mail; the worker sends it
    # (migrate published the shipped cards into an empty site: nobody to tell, nothing queued for them)
    queued = [row.args_kwargs["args"] for row in DBTaskResult.objects.filter(task_path="impact.notify.publication_mail")]
    assert queued == [[card.pk, timezone.localdate().isoformat(), f"/impact/cards/{card.pk}/"]]
    assert mail.outbox == []
    sent = publication_mail.call(card.pk, TODAY.isoformat(), f"/impact/cards/{card.pk}/")  # what the worker runs
    assert sent == ["carol@example.com", "maya@example.com", "sam@example.com"]
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["carol@example.com", "maya@example.com", "sam@example.com"]
    sam = by_address["sam@example.com"].body
    assert "USD 11.80 saved, 20.00 on the new card (+8.20, +69.5 %)" in sam and "Acme Ltd" in sam
    assert "Initech" in sam and "Old Co" not in sam and "Globex" not in sam
    assert "Acme Retail, November 2026: USD 0.03 on USD 2026-10-01, 0.04 on the new card (+0.01, +33.3 %)" in sam
    carol = by_address["carol@example.com"].body
    assert "Acme Retail" in carol and "quote" not in carol.lower().replace("quoted", "")
    assert "Globex" in by_address["maya@example.com"].body and "Acme Retail" not in by_address["maya@example.com"].body
    assert f"/impact/cards/{card.pk}/" in sam
    assert "USD 2027-01-01" in by_address["sam@example.com"].subject


def test_the_page_and_the_csv(people, client):
    card = draft_card()
    client.force_login(testing.user("stan", staff=True))
    page = client.get(f"/impact/cards/{card.pk}/").content.decode()
    assert "What USD 2027-01-01 does" in page and "Globex" in page and "Old Co" not in page
    assert "+16.40" in page and "+69.5 %" in page and "61.40" in page and "Acme Retail" in page
    response = client.get(f"/impact/cards/{card.pk}/impact.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["section", "owner", "customer or workspace"]
    assert ["quote", "maya", "Globex"] == rows[1][:3] and rows[1][6:10] == ["23.60", "40.00", "16.40", "69.5"]
    assert ["quotes total", "", "", "", "", "USD", "36.80", "61.40", "24.60", "66.8", "3 priced"] in rows
    assert any(row[0] == "workspace" and row[2] == "Acme Retail" and row[6:10] == ["0.03", "0.04", "0.01", "33.3"]
               for row in rows)


def test_the_compare_page_links_the_report(people, client):
    card = draft_card()
    client.force_login(testing.user("stan", staff=True))
    old = RateCard.objects.in_force("USD", date(2026, 11, 1))
    page = client.get(f"/admin/ratecards/ratecard/compare/?old={old.pk}&new={card.pk}").content.decode()
    assert f'href="/impact/cards/{card.pk}/"' in page


def test_a_queue_failure_never_undoes_or_fails_the_publication(people, django_capture_on_commit_callbacks,
                                                               monkeypatch):
    def broken(*args):
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(notify, "publication_mail", SimpleNamespace(enqueue=broken))
    card = draft_card()
    with django_capture_on_commit_callbacks(execute=True):
        card.publish()
    card.refresh_from_db()
    assert card.status == "published"
