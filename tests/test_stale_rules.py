"""Point 5 of issue 10: an estimate whose card predates Meta's rule change says so, and warnings speak
of the request only (no foreign markets, the US pause only when it applies, "1 message" not "1 messages").

Figures from ratecards/data/ratecards/eur-rates-2026-07-01.csv (Germany: marketing 0.1131, utility 0.0456,
no service rate; rules: utility free inside the service window, service free).
"""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

GERMANY_MIX = {"country": "DE", "marketing": 1000, "utility": 1000, "service": 500,
               "assumptions": {"utility_in_service_window": 0.5}}


def estimate(client, **body):
    response = client.post("/api/v1/estimate", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_eur_estimate_after_the_rule_change_names_its_card_the_newer_rules_and_a_current_currency(client):
    first = estimate(client, on="2026-11-01", currency="EUR", lines=[GERMANY_MIX])["estimates"][0]
    # Priced with EUR 2026-07-01's own rates and rules, never mixed with USD's:
    # marketing 1000 x 0.1131 = 113.10; utility 1000 x (1 - 0.5 in the window, free) x 0.0456 = 22.80;
    # service free under these rules -> 135.90
    assert first["rate_card"]["name"] == "EUR 2026-07-01"
    assert first["total"] == "135.90"
    stale = first["stale_rules"]
    assert stale["card"] == "EUR 2026-07-01"
    assert stale["rules"]["service_charged"] is False and stale["rules"]["utility_free_in_service_window"] is True
    assert stale["newer_rules_from"] == "2026-10-01"
    assert stale["newer_card"] == "USD 2026-10-01"
    assert stale["newer_rules"]["service_charged"] is True
    assert stale["newer_rules"]["utility_free_in_service_window"] is False
    assert "USD" in stale["current_currencies"] and "EUR" not in stale["current_currencies"]
    assert any("service messages charged after 1,000 free a month per business phone number" in c
               for c in stale["changes"])
    warning = first["warnings"][0]
    assert "EUR 2026-07-01" in warning and "service free" in warning
    assert "Meta's rules changed for every currency on 2026-10-01" in warning
    assert "price it in USD" in warning


def test_the_same_estimate_in_usd_is_current_and_says_nothing_about_stale_rules(client):
    first = estimate(client, on="2026-11-01", currency="USD", lines=[GERMANY_MIX])["estimates"][0]
    assert first["rate_card"]["name"] == "USD 2026-10-01"
    assert first["stale_rules"] is None
    assert not any("rules changed" in w for w in first["warnings"])


def test_a_eur_estimate_before_the_rule_change_is_not_stale(client):
    first = estimate(client, on="2026-08-01", currency="EUR", lines=[GERMANY_MIX])["estimates"][0]
    assert first["rate_card"]["name"] == "EUR 2026-07-01"
    assert first["stale_rules"] is None
    assert first["warnings"] == []


def test_warnings_do_not_list_markets_the_estimate_does_not_contain(client):
    # EUR 2026-07-01 predates the markets made standalone on 2026-10-01 (Bangladesh, Iraq, ...); an
    # estimate for Germany alone has nothing to do with them.
    first = estimate(client, on="2026-11-01", currency="EUR", lines=[GERMANY_MIX])["estimates"][0]
    for warning in first["warnings"]:
        for market in ("Bangladesh", "Iraq", "Kuwait", "Morocco", "Nepal", "Oman", "Sri Lanka", "Ukraine"):
            assert market not in warning, warning


def test_a_market_of_the_request_that_the_card_lacks_is_still_named(client):
    first = estimate(client, on="2026-11-01", currency="EUR",
                     lines=[{"country": "BD", "marketing": 10}, GERMANY_MIX])["estimates"][0]
    lacking = [w for w in first["warnings"] if "has no rates for" in w]
    assert len(lacking) == 1
    assert "Bangladesh" in lacking[0] and "Iraq" not in lacking[0]


def test_the_us_marketing_pause_is_warned_about_only_on_dates_it_applies_to(client):
    body = estimate(client, on="2026-11-01", compare_on=["2025-01-15"], currency="USD",
                    lines=[{"country": "US", "marketing": 100}])
    now, before_pause = body["estimates"]
    assert any("US phone numbers since 2025-04-01" in w for w in now["warnings"])
    assert before_pause["on"] == "2025-01-15"
    assert not any("US phone numbers" in w for w in before_pause["warnings"]), before_pause["warnings"]


def test_one_refused_free_form_message_is_counted_in_the_singular(client):
    response = client.post("/api/v1/replay", content_type="application/json", data=json.dumps({
        "cards_on": ["2026-11-01"],
        "events": [{"at": "2026-11-02T03:00:00Z", "user": "+919800000001", "kind": "message"}],
    }))
    assert response.status_code == 200, response.content
    warnings = response.json()["results"][0]["warnings"]
    assert "1 free-form message outside the customer service window was refused (not charged)" in warnings
    assert not any("1 free-form messages" in w for w in warnings)


def run_check(*args) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("check_ratecards", *args, stdout=out, stderr=err)
        return 0, err.getvalue()
    except SystemExit as exit_:
        return exit_.code, err.getvalue()


def test_check_ratecards_warns_that_eur_rules_are_out_of_date():
    code, err = run_check("--currency", "EUR", "--on", "2026-11-22")
    assert code == 1
    stale = [line for line in err.splitlines() if "rules Meta changed" in line]
    assert len(stale) == 1
    assert "EUR 2026-07-01" in stale[0] and "2026-10-01" in stale[0] and "USD" in stale[0]


def test_check_ratecards_says_nothing_of_stale_rules_for_usd_or_for_eur_before_the_change():
    assert run_check("--currency", "USD", "--on", "2026-11-22") == (0, "")
    code, err = run_check("--currency", "EUR", "--on", "2026-08-15")
    assert "rules Meta changed" not in err


def test_the_ingest_command_counts_one_skipped_line_in_the_singular(tmp_path, capsys):
    from pathlib import Path

    sample = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-webhooks.jsonl"
    broken = tmp_path / "export.jsonl"
    lines = sample.read_text().splitlines()
    lines.insert(2, "{not json")
    broken.write_text("\n".join(lines) + "\n")
    call_command("ingest_webhooks", str(broken))
    out = capsys.readouterr().out
    assert "1 line skipped:" in out and "1 lines" not in out
