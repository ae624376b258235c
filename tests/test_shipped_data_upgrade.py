"""A site deployed from an earlier release (main at d86e039) gets this release's shipped data on its next
`migrate`: new cards loaded, a changed card as a new published card superseding the old one (quotes
priced on the old one keep it), corrected mapping rows; what an admin made or changed is left alone.

The earlier release's state is rebuilt here from its own files (tests/data/d86e039: its manifest, its
USD 2026-10-01 rates and tiers, its calling-code table) through the same seeding, then its seed records
are made as that release wrote them: a name only, no fingerprint and no card.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from quotes.models import Quote
from quotes.testing import quote, user
from plans import defaults as plan_defaults
from ratecards import defaults
from ratecards.models import CardStatus, MarketMapping, RateCard, SeedRecord
from tests.import_helpers import database_state, manifest

pytestmark = pytest.mark.django_db

EARLIER = Path(__file__).resolve().parent / "data" / "d86e039"
NEW_CARDS = {("USD", date(2026, 7, 1)), ("COP", date(2026, 7, 1)), ("COP", date(2026, 10, 1)),
             ("INR", date(2026, 10, 1))}
OCTOBER = date(2026, 10, 1)


def _clear_caches() -> None:
    defaults._markets_of_file.cache_clear()
    defaults._file_digest.cache_clear()


@pytest.fixture
def earlier_site(tmp_path, monkeypatch):
    """The database as `migrate` of d86e039 leaves it."""
    cards = tmp_path / "ratecards"
    shutil.copytree(defaults.CARDS, cards)
    for name in ("manifest.json", "usd-rates-2026-10-01.csv", "usd-volume-tiers-2026-10-01.csv"):
        shutil.copyfile(EARLIER / name, cards / name)
    # Start from an empty catalogue (the test database holds this release's data), behind the models'
    # back: published cards cannot be deleted through them.
    RateCard.objects.update(status=CardStatus.DRAFT)
    RateCard.objects.all().delete()
    MarketMapping.objects.all().delete()
    SeedRecord.objects.exclude(name=plan_defaults.CREDIT_SEED).delete()
    with monkeypatch.context() as patch:
        patch.setattr(defaults, "CARDS", cards)
        patch.setattr(defaults, "MANIFEST", cards / "manifest.json")
        patch.setattr(defaults, "CALLING_CODES", EARLIER / "calling-codes.csv")
        patch.setattr(defaults, "SUPERSEDED_CALLING_CODES", tmp_path / "none.csv")
        _clear_caches()
        defaults.load_defaults(verbosity=0)
    _clear_caches()
    SeedRecord.objects.update(version="", card=None)  # d86e039's records: a name only
    # The earlier release's data as it had it.
    assert not RateCard.objects.filter(currency="COP").exists()
    assert {e["id"] for e in manifest()} - set(n.removeprefix("card:") for n in
                                               SeedRecord.objects.values_list("name", flat=True)) == {
        "usd-2026-07-01", "cop-2026-07-01", "cop-2026-10-01", "inr-2026-10-01"}
    yield


def published(currency: str, day: date) -> RateCard:
    return RateCard.objects.get(currency=currency, effective_from=day, status=CardStatus.PUBLISHED)


def rate(card: RateCard, market: str, category: str) -> Decimal | None:
    return card.rates.get(market__name=market, category=category).rate


def migrate() -> None:
    call_command("migrate", verbosity=0, stdout=StringIO())


def test_the_next_migrate_loads_new_cards_and_supersedes_the_changed_one(earlier_site):
    old = published("USD", OCTOBER)
    # d86e039's October card had no authentication-international rate for Bangladesh (n/a in its file).
    assert rate(old, "Bangladesh", "authentication_international") is None
    old_rates = set(old.rates.values_list("market__name", "category", "rate"))
    april = published("USD", date(2026, 4, 1))
    priced = quote(user("sales"))  # priced on 2026-11-01 in USD: the October card (and a comparison card)
    assert old.pk in priced.card_ids
    card_ids, result = priced.card_ids, priced.result

    migrate()

    for currency, day in NEW_CARDS:
        assert published(currency, day).notes.count("Shipped default card") == 1
    new = published("USD", OCTOBER)
    old.refresh_from_db()
    assert old.status == CardStatus.SUPERSEDED and new.copied_from == old
    # usd-rates-2026-10-01.csv: "Bangladesh,USD,0.0732,0.0037,0.0037,0.0960,0.0037"
    assert rate(new, "Bangladesh", "authentication_international") == Decimal("0.0960")
    # usd-volume-tiers-2026-10-01.csv: Bangladesh's authentication-international list rate from 0.
    assert new.tiers.get(market__name="Bangladesh", category="authentication_international", start=0).rate == \
        Decimal("0.0960")
    assert rate(new, "Ukraine", "authentication_international") == Decimal("0.0746")
    # The old card is untouched, and the quote priced on it still names it and its figures.
    assert set(old.rates.values_list("market__name", "category", "rate")) == old_rates
    stored = Quote.objects.get(pk=priced.pk)
    assert stored.card_ids == card_ids and stored.result == result
    # A card whose shipped data did not change is not duplicated.
    assert RateCard.objects.filter(currency="USD", effective_from=date(2026, 4, 1)).get() == april
    # Every piece now remembers its fingerprint and its card: the next migrate changes nothing.
    for entry in manifest():
        record = SeedRecord.objects.get(name=defaults.card_seed_name(entry))
        assert record.version == defaults.card_fingerprint(entry)
        assert record.card == published(entry["currency"], date.fromisoformat(entry["effective_from"]))
    before = database_state()
    migrate()
    assert database_state() == before


def test_the_next_migrate_corrects_the_kazakhstan_rows(earlier_site):
    def kazakhstan(prefix: str) -> MarketMapping:
        return MarketMapping.objects.get(prefix=prefix, effective_to=date(2026, 9, 30))

    assert kazakhstan("76").market.name == kazakhstan("77").market.name == "Rest of Central & Eastern Europe"
    migrate()
    # calling-codes.csv: Kazakhstan was not listed by Meta before 2026-10-01, so Other.
    assert kazakhstan("76").market.name == kazakhstan("77").market.name == "Other"
    assert kazakhstan("76").note.startswith("not listed by Meta before 2026-10-01")
    assert MarketMapping.objects.get(prefix="77", effective_from=OCTOBER).market.name == "Kazakhstan"
    assert MarketMapping.objects.count() == len(defaults._mapping_rows(defaults.CALLING_CODES))
    assert SeedRecord.objects.get(name="mapping").version == defaults.mapping_fingerprint()


def test_a_mapping_row_an_admin_changed_stays_as_the_admin_left_it(earlier_site):
    row = MarketMapping.objects.get(prefix="77", effective_to=date(2026, 9, 30))
    row.note = "Checked with our Meta partner manager"
    row.save()
    migrate()
    row.refresh_from_db()
    assert row.market.name == "Rest of Central & Eastern Europe" and row.note.startswith("Checked")
    assert MarketMapping.objects.get(prefix="76", effective_to=date(2026, 9, 30)).market.name == "Other"


def test_a_card_an_admin_corrected_is_left_alone(earlier_site):
    draft = published("USD", OCTOBER).new_draft()
    draft.publish()
    migrate()
    assert published("USD", OCTOBER) == draft
    assert rate(draft, "Bangladesh", "authentication_international") is None
    assert RateCard.objects.filter(currency="USD", effective_from=OCTOBER).count() == 2
    for currency, day in NEW_CARDS:
        published(currency, day)


def test_a_draft_being_edited_postpones_the_correction_until_it_is_gone(earlier_site, capsys):
    old = published("USD", OCTOBER)
    draft = old.new_draft()
    call_command("migrate", verbosity=1, stdout=StringIO())
    assert "a draft for USD 2026-10-01 is being edited" in capsys.readouterr().err
    assert published("USD", OCTOBER) == old
    draft.delete()
    migrate()
    assert rate(published("USD", OCTOBER), "Bangladesh", "authentication_international") == Decimal("0.0960")
    assert RateCard.objects.get(pk=old.pk).status == CardStatus.SUPERSEDED
