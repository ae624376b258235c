"""Calling rate cards in the admin: reliability shown, import (shipped layout) and compare, as editors use it."""

from django.core.files.uploadedfile import SimpleUploadedFile
import pytest

from ratecards.calling_import import SHIPPED
from ratecards.calling_models import CallingCardStatus, CallingRateCard

pytestmark = pytest.mark.django_db


def shipped() -> CallingRateCard:
    return CallingRateCard.objects.get(currency="USD", effective_from="2025-08-01")


def test_a_calling_card_page_shows_each_rows_reliability_and_basis(viewer):
    page = viewer.get(f"/admin/ratecards/callingratecard/{shipped().pk}/change/").content.decode()
    assert "medium-low" in page  # Indonesia
    assert "high (tier 1) / medium (tiers 2-6)" in page  # Rest of Central & Eastern Europe
    assert "unique 4-dp solution" in page
    listing = viewer.get("/admin/ratecards/callingratecard/").content.decode()
    assert "Meta&#x27;s own calling rate files were not found" in listing


def test_an_import_is_a_draft_compared_with_the_shipped_card(editor):
    text = SHIPPED.read_text().replace("India,USD,0.0053,", "India,USD,0.0060,")
    response = editor.post("/admin/ratecards/callingratecard/import/", {
        "table": SimpleUploadedFile("calls.csv", text.encode()), "effective_from": "2026-12-01", "reconstructed": "on"})
    assert response.status_code == 302
    draft = CallingRateCard.objects.get(effective_from="2026-12-01")
    assert draft.status == CallingCardStatus.DRAFT and draft.rates.count() == 41
    page = editor.get("/admin/ratecards/callingratecard/compare/",
                      {"old": shipped().pk, "new": draft.pk}).content.decode()
    # (0.0060 - 0.0053) / 0.0053 = 13.2 %; no other market changed
    assert "<td>India</td><td>changed</td>" in page and "13.2" in page
    assert page.count("<td>changed</td>") == 1
    export = editor.get(f"/admin/ratecards/callingratecard/{draft.pk}/export/").content.decode()
    assert export.splitlines()[0] == "market,currency,per_minute,tier_1,tier_2,tier_3,tier_4,tier_5,tier_6,reliability,basis"
    assert "India,USD,0.006," in export


def test_a_bad_table_is_refused_whole_with_line_and_column(editor):
    text = SHIPPED.read_text().replace("India,USD,0.0053,", "India,USD,cheap,").replace("Atlantis", "")
    text += "Atlantis,USD,0.01,,,,,,,low,made up\n"
    response = editor.post("/admin/ratecards/callingratecard/import/", {
        "table": SimpleUploadedFile("calls.csv", text.encode()), "effective_from": "2026-12-01"})
    page = response.content.decode()
    assert response.status_code == 200 and "Nothing was written" in page
    assert "calls.csv line 8, column per_minute: &#x27;cheap&#x27; is not a rate" in page
    assert not CallingRateCard.objects.filter(effective_from="2026-12-01").exists()


def test_other_staff_may_not_import(viewer):
    assert viewer.get("/admin/ratecards/callingratecard/import/").status_code == 403
    assert viewer.get("/admin/ratecards/callingratecard/").status_code == 200


def test_other_staff_may_not_publish_a_calling_draft(viewer):
    draft = CallingRateCard.objects.create(currency="USD", effective_from="2026-12-01")
    response = viewer.post("/admin/ratecards/callingratecard/",
                           {"action": "publish_cards", "_selected_action": [draft.pk]}, follow=True)
    assert "Only rate editors may publish." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == CallingCardStatus.DRAFT and draft.published_at is None


def test_the_shipped_calling_card_is_loaded_once_and_a_deletion_is_respected():
    from ratecards.calling_import import load_shipped_calling_card

    load_shipped_calling_card()
    assert CallingRateCard.objects.count() == 1
    CallingRateCard.objects.all().delete()
    load_shipped_calling_card()
    assert not CallingRateCard.objects.exists()
