"""The admin as rate editors and other staff use it."""

from datetime import date
from decimal import Decimal

import pytest

from ratecards.models import CardStatus, PublishedCardError, Rate, RateCard

pytestmark = pytest.mark.django_db


def usd(on: str) -> RateCard:
    return RateCard.objects.get(currency="USD", effective_from=date.fromisoformat(on), status=CardStatus.PUBLISHED)


@pytest.mark.parametrize("url", [
    "/admin/", "/admin/ratecards/ratecard/", "/admin/ratecards/marketmapping/", "/admin/ratecards/market/",
    "/admin/ratecards/ratecard/compare/", "/admin/ratecards/marketmapping/?in_force=today",
])
def test_every_admin_page_loads_for_an_editor_and_a_viewer(editor, url):
    assert editor.get(url).status_code == 200


@pytest.mark.parametrize("url", [
    "/admin/ratecards/ratecard/", "/admin/ratecards/marketmapping/", "/admin/ratecards/ratecard/compare/",
])
def test_other_staff_may_view(viewer, url):
    assert viewer.get(url).status_code == 200


def test_a_card_page_shows_its_rates_as_a_market_by_category_grid(editor):
    card = usd("2026-04-01")
    page = editor.get(f"/admin/ratecards/ratecard/{card.pk}/change/").content.decode()
    assert "rate-grid" in page
    assert "Authentication-International" in page
    assert "0.0304" in page  # India authentication-international, Meta's own file
    assert "25000001" in page or "25,000,001" in page  # India's utility tier 1 starts there


def test_a_viewer_cannot_change_a_mapping_rule(viewer):
    from ratecards.models import MarketMapping

    rule = MarketMapping.objects.get(prefix="1809")
    url = f"/admin/ratecards/marketmapping/{rule.pk}/change/"
    assert viewer.get(url).status_code == 200  # a read-only view
    response = viewer.post(url, {"market": rule.market_id, "country": "X", "iso2": "DO", "calling_code": "1", "prefix": "1809"})
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.country == "Dominican Republic"


def test_a_viewer_cannot_import(viewer):
    assert viewer.get("/admin/ratecards/ratecard/import/").status_code == 403


def test_an_editor_can_change_a_mapping_rule(editor):
    from ratecards.models import MarketMapping

    rule = MarketMapping.objects.get(prefix="1809")
    response = editor.post(f"/admin/ratecards/marketmapping/{rule.pk}/change/", {
        "market": rule.market_id, "country": "Dominican Republic", "iso2": "DO", "calling_code": "1",
        "prefix": "1809", "effective_from": "", "effective_to": "", "note": "checked",
    })
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.note == "checked"


def test_a_published_card_refuses_edits_in_the_admin(editor):
    card = usd("2026-10-01")
    url = f"/admin/ratecards/ratecard/{card.pk}/change/"
    assert editor.post(url, {"currency": "USD", "effective_from": "2026-10-01"}).status_code == 403


def test_a_published_card_refuses_edits_in_code():
    card = usd("2026-10-01")
    card.notes = "changed"
    with pytest.raises(PublishedCardError):
        card.save()
    rate = card.rates.first()
    rate.rate = Decimal("9")
    with pytest.raises(PublishedCardError):
        rate.save()
    with pytest.raises(PublishedCardError):
        card.delete()
    assert Rate.objects.get(pk=rate.pk).rate != Decimal("9")


def test_a_correction_is_a_draft_that_supersedes_the_card_when_published():
    card = usd("2026-10-01")
    draft = card.new_draft()
    assert draft.status == CardStatus.DRAFT
    assert draft.rates.count() == card.rates.count()
    assert draft.tiers.count() == card.tiers.count()
    india_utility = draft.rates.get(market__name="India", category="utility")
    india_utility.rate = Decimal("0.0013")
    india_utility.save()
    draft.publish()
    card.refresh_from_db()
    assert card.status == CardStatus.SUPERSEDED
    in_force = RateCard.objects.in_force("USD", date(2026, 11, 22))
    assert in_force.pk == draft.pk
    assert in_force.rates.get(market__name="India", category="utility").rate == Decimal("0.0013")
    assert card.rates.get(market__name="India", category="utility").rate == Decimal("0.0014")


def test_compare_shows_what_changed_market_by_market(editor):
    old, new = usd("2026-04-01"), usd("2026-10-01")
    page = editor.get("/admin/ratecards/ratecard/compare/", {"old": old.pk, "new": new.pk}).content.decode()
    assert "compare-table" in page
    assert "Kazakhstan" in page  # a market that became standalone on 2026-10-01
    assert "service_charged" in page  # the rule that changed


def test_compare_defaults_to_todays_card_and_the_one_before_it_not_to_the_two_newest(editor):
    from django.utils import timezone

    today = timezone.localdate()
    started = [c for c in RateCard.objects.published().filter(currency="USD").order_by("effective_from")
               if c.effective_from <= today]
    before, todays = started[-2:]
    later = todays.new_draft()  # a card already published for a date to come
    later.effective_from = today.replace(year=today.year + 1)
    later.save()
    later.publish()
    page = editor.get("/admin/ratecards/ratecard/compare/").content.decode()
    assert f'<option value="{todays.pk}" selected>' in page and f'<option value="{before.pk}" selected>' in page
    assert f'<option value="{later.pk}" selected>' not in page


def test_comparison_reports_old_new_and_percent():
    from ratecards.comparison import compare_cards

    comparison = compare_cards(usd("2025-07-01"), usd("2025-10-01"))
    changed = {(c.market, c.category): c for c in comparison.changes}
    assert changed, "the two cards differ"
    some = next(c for c in comparison.changes if c.old and c.new)
    assert some.change_percent == ((some.new - some.old) / some.old * 100).quantize(Decimal("0.1"))


def test_export_downloads_meta_layout(editor):
    card = usd("2026-04-01")
    response = editor.get(f"/admin/ratecards/ratecard/{card.pk}/export/rates/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "effective April 1, 2026" in text.splitlines()[0]
    assert "India,USD,0.0118,0.0014,0.0014,0.0304,n/a" in text


def test_import_page_dry_run_reports_and_writes_nothing(editor):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "ratecards" / "data" / "ratecards"
    before = RateCard.objects.count()
    response = editor.post("/admin/ratecards/ratecard/import/", {
        "rates_file": SimpleUploadedFile("r.csv", (folder / "meta-usd-rates-2026-04-01.csv").read_bytes()),
        "tiers_file": SimpleUploadedFile("t.csv", (folder / "meta-usd-volume-tiers-2026-04-01.csv").read_bytes()),
        "dry_run": "on",
    })
    assert response.status_code == 200
    assert "import-report" in response.content.decode()
    assert RateCard.objects.count() == before


def test_import_page_lists_every_problem_of_a_bad_file(editor):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "ratecards" / "data" / "ratecards"
    text = (folder / "meta-usd-rates-2026-04-01.csv").read_text().replace("India,USD,0.0118", "India,USD,abc")
    before = RateCard.objects.count()
    response = editor.post("/admin/ratecards/ratecard/import/", {
        "rates_file": SimpleUploadedFile("r.csv", text.encode()), "dry_run": "",
    })
    page = response.content.decode()
    assert "import-problems" in page
    assert "abc" in page
    assert RateCard.objects.count() == before
