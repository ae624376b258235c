"""Export and import are inverses; importing is idempotent; drafts, corrections and rules behave."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ratecards.importer import ImportRefused, export_rates_csv, export_tiers_csv, import_card
from ratecards.models import CardStatus, RateCard
from tests.import_helpers import CARDS, META_RATES, META_TIERS, database_state, manifest, replace_once, shipped

RATES = shipped(META_RATES)
TIERS = shipped(META_TIERS)


def figures(card: RateCard) -> tuple[set, set]:
    return (
        set(card.rates.values_list("market__name", "category", "rate")),
        set(card.tiers.values_list("market__name", "category", "start", "rate", "vs_list_rate")),
    )


def published(currency: str, day: date) -> RateCard:
    return RateCard.objects.get(currency=currency, effective_from=day, status=CardStatus.PUBLISHED)


def without_notes_lines(text: str, first_note: int, notes: int) -> str:
    """Meta's file without its notes lines (which are not part of the card), ending with CRLF."""
    lines = text.split("\r\n")
    return "\r\n".join(lines[:first_note] + lines[first_note + notes:]).removesuffix("\r\n") + "\r\n"


# --- Export and import ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_exporting_metas_card_gives_metas_files_back():
    card = published("USD", date(2026, 4, 1))
    assert export_rates_csv(card) == without_notes_lines(RATES, 1, 4)
    assert export_tiers_csv(card) == without_notes_lines(TIERS, 1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["id"])
def test_importing_an_export_gives_the_same_card(entry):
    card = published(entry["currency"], date.fromisoformat(entry["effective_from"]))
    rates, tiers = export_rates_csv(card), export_tiers_csv(card)
    assert (tiers is None) == (entry["tiers_file"] is None)
    assert rates.startswith(f"\"Cost per {entry['pricing_model']} in {entry['currency']} on the WhatsApp")
    before = database_state()
    again = import_card(rates.encode(), tiers.encode() if tiers else None)
    assert again.action == "unchanged" and again.card == card
    assert database_state() == before
    # Under another date the export makes a new card holding exactly the same figures.
    moved = import_card(rates.encode(), tiers.encode() if tiers else None,
                        effective_from=card.effective_from.replace(day=2))
    assert moved.action == "created" and moved.card.status == CardStatus.DRAFT
    assert figures(moved.card) == figures(card)
    assert moved.card.rules_dict() == card.rules_dict()


@pytest.mark.django_db
def test_export_writes_metas_layout():
    tiers = export_tiers_csv(published("USD", date(2026, 10, 1)))
    assert '"Market\n(per rate card)",Currency,From,To,Rate type,Rate,vs. List rate,' in tiers
    assert 'India,USD,0,"25,000,000",List rate,0.0014,0%' in tiers
    assert ',USD,"300,000,001",--,Tier rate,0.0010,-30%' in tiers
    rates = export_rates_csv(published("USD", date(2024, 11, 1)))
    assert rates.startswith('"Cost per conversation in USD on the WhatsApp Business Platform, effective '
                            'November 1, 2024",,,,,,\r\nMarket,Currency,Marketing,Utility,Authentication,'
                            '"Authentication-\nInternational",Service\r\n')
    assert rates.endswith("Other,USD,0.0604,0.0077,0.0304,n/a,0.0000\r\n")
    assert export_tiers_csv(published("USD", date(2024, 11, 1))) is None


# --- Idempotence and dry runs ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_the_shipped_files_again_changes_nothing():
    before = database_state()
    for entry in manifest():
        tiers = (CARDS / entry["tiers_file"]).read_bytes() if entry["tiers_file"] else None
        report = import_card((CARDS / entry["rates_file"]).read_bytes(), tiers)
        assert report.action == "unchanged", entry["id"]
    assert database_state() == before


@pytest.mark.django_db
def test_importing_a_new_card_twice_creates_it_once():
    first = import_card(RATES.encode(), TIERS.encode(), effective_from=date(2026, 5, 1))
    assert first.action == "created"
    assert (first.markets, first.rates, first.not_available, first.tiers) == (32, 105, 55, 438)
    before = database_state()
    second = import_card(RATES.encode(), TIERS.encode(), effective_from=date(2026, 5, 1))
    assert second.action == "unchanged" and second.card == first.card
    assert database_state() == before


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_and_says_what_would_happen():
    before = database_state()
    report = import_card(RATES.encode(), TIERS.encode(), effective_from=date(2026, 5, 1), dry_run=True)
    assert report.action == "created" and report.card is None and report.dry_run
    assert "would be created" in str(report) and "Dry run: nothing was written." in report.describe()
    assert database_state() == before


@pytest.mark.django_db
def test_a_date_given_against_the_title_is_used_and_noted():
    report = import_card(RATES.encode(), TIERS.encode(), effective_from=date(2026, 5, 1), dry_run=True)
    assert report.effective_from == date(2026, 5, 1)
    assert any("April 1, 2026" in note and "2026-05-01" in note for note in report.notes)


# --- Rules ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_card_takes_the_rules_of_the_latest_earlier_card_of_its_currency():
    after_october = import_card((CARDS / "usd-rates-2026-10-01.csv").read_bytes(),
                                (CARDS / "usd-volume-tiers-2026-10-01.csv").read_bytes(),
                                effective_from=date(2026, 12, 1))
    october = published("USD", date(2026, 10, 1))
    assert after_october.card.rules_dict() == october.rules_dict()
    assert after_october.card.service_charged and after_october.card.free_service_allowance == 1000
    assert str(october) in after_october.rules_from
    after_april = import_card(RATES.encode(), TIERS.encode(), effective_from=date(2026, 5, 1))
    assert after_april.card.rules_dict() == published("USD", date(2026, 4, 1)).rules_dict()
    assert after_april.card.utility_free_in_service_window and not after_april.card.service_charged


@pytest.mark.django_db
def test_the_first_card_of_a_currency_gets_default_rules_from_its_title_and_a_note():
    gbp_rates = RATES.replace("in USD on", "in GBP on").replace(",USD,", ",GBP,")
    gbp_tiers = TIERS.replace("in USD on", "in GBP on").replace(",USD,", ",GBP,")
    report = import_card(gbp_rates.encode(), gbp_tiers.encode())
    assert report.card.currency == "GBP" and report.card.pricing_model == "message"
    assert report.card.volume_tiers and report.card.utility_free_in_service_window
    assert report.rules_from == "defaults"
    assert any("no earlier GBP card" in note for note in report.notes)


@pytest.mark.django_db
def test_rules_given_are_used():
    report = import_card(RATES.encode(), TIERS.encode(), effective_from=date(2026, 5, 1),
                         rules={"service_charged": True, "free_service_allowance": 500,
                                "free_service_scope": "business_account"})
    card = report.card
    assert (card.service_charged, card.free_service_allowance, card.free_service_scope) == (
        True, 500, "business_account")
    assert card.pricing_model == "message" and card.volume_tiers


# --- Drafts and corrections -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_figures_for_a_published_card_become_a_draft_correction():
    april = published("USD", date(2026, 4, 1))
    before = figures(april)
    corrected = replace_once(RATES, "India,USD,0.0118", "India,USD,0.0120")
    report = import_card(corrected.encode(), TIERS.encode())
    draft = report.card
    assert report.action == "created" and draft.status == CardStatus.DRAFT
    assert draft.copied_from == april and draft.pk != april.pk
    assert "India Marketing: 0.0118 -> 0.0120" in report.differences
    assert figures(april) == before  # the published card never changes
    assert RateCard.objects.in_force("USD", date(2026, 4, 15)) == april

    # A second correction replaces the draft, in place.
    again = import_card(replace_once(RATES, "India,USD,0.0118", "India,USD,0.0121").encode(), TIERS.encode())
    assert again.action == "updated" and again.card.pk == draft.pk
    assert again.card.rates.get(market__name="India", category="marketing").rate == Decimal("0.0121")
    assert RateCard.objects.filter(currency="USD", effective_from=date(2026, 4, 1)).count() == 2

    # Publishing it supersedes the card it corrects.
    final = import_card(replace_once(RATES, "India,USD,0.0118", "India,USD,0.0121").encode(), TIERS.encode(),
                        publish=True)
    assert final.card.pk == draft.pk and final.card.status == CardStatus.PUBLISHED
    april.refresh_from_db()
    assert april.status == CardStatus.SUPERSEDED
    assert RateCard.objects.in_force("USD", date(2026, 4, 15)) == final.card


@pytest.mark.django_db
def test_a_refused_correction_leaves_the_draft_as_it_was():
    draft = import_card(replace_once(RATES, "India,USD,0.0118", "India,USD,0.0120").encode(), TIERS.encode()).card
    before = database_state()
    with pytest.raises(ImportRefused):
        import_card(replace_once(RATES, "India,USD,0.0118", "India,USD,zero").encode(), TIERS.encode())
    assert database_state() == before
    assert draft.rates.get(market__name="India", category="marketing").rate == Decimal("0.0120")


# --- Command line ---------------------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_ratecard", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_the_command_imports_a_draft_and_reports_it():
    out, _ = run(str(CARDS / META_RATES), "--tiers", str(CARDS / META_TIERS), "--effective-from", "2026-05-01")
    assert "USD 2026-05-01 created (draft #" in out and "32 markets, 105 rates (55 n/a), 438 tiers" in out
    assert "Rules from USD 2026-04-01" in out
    assert RateCard.objects.get(currency="USD", effective_from=date(2026, 5, 1)).status == CardStatus.DRAFT


@pytest.mark.django_db
def test_the_command_dry_run_and_publish_options():
    before = database_state()
    out, _ = run(str(CARDS / META_RATES), "--tiers", str(CARDS / META_TIERS), "--effective-from", "2026-05-01",
                 "--dry-run")
    assert "would be created" in out and database_state() == before
    out, _ = run(str(CARDS / META_RATES), "--tiers", str(CARDS / META_TIERS), "--effective-from", "2026-05-01",
                 "--publish")
    assert RateCard.objects.in_force("USD", date(2026, 5, 20)).effective_from == date(2026, 5, 1)


@pytest.mark.django_db
def test_the_command_refuses_a_bad_file_naming_every_problem(tmp_path):
    broken = replace_once(RATES, "Brazil,USD,0.0625,0.0068", "Brazil,USD,0.0625,abc")
    broken = replace_once(broken, "Chile,USD,0.0889", "Chile,USD,-0.0889")
    path = tmp_path / "rates.csv"
    path.write_text(broken, encoding="utf-8", newline="")
    before = database_state()
    err = StringIO()
    with pytest.raises(CommandError, match="2 problems found; nothing was imported"):
        call_command("import_ratecard", str(path), "--effective-from", "2026-05-01", stdout=StringIO(), stderr=err)
    assert "rates.csv, line 9, column Utility: 'abc' is not a number" in err.getvalue()
    assert "rates.csv, line 10, column Marketing: '-0.0889' is a negative rate" in err.getvalue()
    assert database_state() == before


@pytest.mark.django_db
def test_the_command_says_when_a_file_cannot_be_read(tmp_path):
    with pytest.raises(CommandError, match="Cannot read the rates file .*missing.csv: no such file"):
        run(str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="Cannot read the tiers file"):
        run(str(CARDS / META_RATES), "--tiers", str(tmp_path))
    with pytest.raises(CommandError, match="not a date; use YYYY-MM-DD"):
        run(str(CARDS / META_RATES), "--effective-from", "1 May 2026")


@pytest.mark.django_db
def test_the_command_takes_the_currency_given():
    with pytest.raises(CommandError, match="problems found"):
        run(str(CARDS / META_RATES), "--currency", "eur", "--effective-from", "2026-05-01")
