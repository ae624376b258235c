"""`check_ratecards`: the warnings an admin or cron gets."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("check_ratecards", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_usd_is_current_and_prices_every_mapped_market():
    code, out, err = run("--currency", "USD", "--on", "2026-11-22")
    assert (code, err) == (0, "")
    assert "OK: USD" in out


def test_an_announced_date_newer_than_todays_card_is_a_warning():
    code, _, err = run("--currency", "USD", "--on", "2027-01-05", "--announced", "2027-01-01")
    assert code == 1
    assert "older than the announced 2027-01-01" in err


def test_an_announcement_still_in_the_future_is_not_a_warning():
    code, _, _ = run("--currency", "USD", "--on", "2026-11-22", "--announced", "2027-01-01")
    assert code == 0


def test_a_market_the_mapping_uses_but_the_card_does_not_price_is_named():
    # The EUR card of 2026-07-01 predates the markets made standalone on 2026-10-01.
    code, _, err = run("--currency", "EUR", "--on", "2026-11-22")
    assert code == 1
    assert "KZ to Kazakhstan" in err and "BD to Bangladesh" in err
    assert "HK to Hong Kong" not in err  # standalone from 2026-07-01: the EUR card prices it


def test_a_due_draft_card_is_an_announcement():
    from ratecards.models import RateCard

    draft = RateCard.objects.in_force("USD", date(2026, 11, 22)).new_draft()
    RateCard.objects.filter(pk=draft.pk).update(effective_from="2026-11-15")
    code, _, err = run("--currency", "USD", "--on", "2026-11-22")
    assert code == 1
    assert "announced 2026-11-15" in err
