"""Broken files are refused whole: every problem named by line and column, nothing written.

Each broken file is a shipped file (Meta's own 2026-04-01 card) with one edit, the way a rate editor or
a bad download would break it.
"""

from __future__ import annotations

import codecs
from datetime import date

import pytest

from ratecards.importer import ImportRefused, Problem, import_card, parse_rates, validate
from tests.import_helpers import META_RATES, META_TIERS, database_state, line_of, replace_once, shipped

RATES = shipped(META_RATES)
TIERS = shipped(META_TIERS)
A_NEW_DATE = date(2026, 5, 1)  # the same mapping as on April 1: the untouched files import cleanly then


def refused(rates: str | bytes, tiers: str | bytes | None = None, **options) -> list[Problem]:
    """Import, expect a refusal, check the database did not change, return the problems."""
    before = database_state()
    as_bytes = [text.encode("utf-8") if isinstance(text, str) else text for text in (rates, tiers)]
    options.setdefault("effective_from", A_NEW_DATE)
    with pytest.raises(ImportRefused) as caught:
        import_card(as_bytes[0], as_bytes[1], rates_name=META_RATES, tiers_name=META_TIERS, **options)
    assert database_state() == before
    assert caught.value.problems
    return caught.value.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


@pytest.mark.django_db
def test_the_untouched_files_are_accepted_so_each_refusal_below_is_the_edits_doing():
    report = import_card(RATES.encode(), TIERS.encode(), effective_from=A_NEW_DATE, dry_run=True)
    assert report.action == "created"


@pytest.mark.django_db
def test_a_non_number_is_named_by_line_and_column():
    broken = replace_once(RATES, "Brazil,USD,0.0625,0.0068", "Brazil,USD,0.0625,abc")
    problem = only(refused(broken))
    assert (problem.line, problem.column) == (line_of(broken, "Brazil,"), "Utility")
    assert str(problem) == f"{META_RATES}, line {problem.line}, column Utility: 'abc' is not a number"


@pytest.mark.django_db
def test_a_negative_rate_is_refused():
    broken = replace_once(RATES, "Chile,USD,0.0889", "Chile,USD,-0.0889")
    problem = only(refused(broken))
    assert (problem.line, problem.column) == (line_of(broken, "Chile,"), "Marketing")
    assert "negative" in problem.message


@pytest.mark.django_db
def test_an_unknown_market_is_refused_with_a_suggestion():
    broken = replace_once(RATES, "Argentina,USD", "Argentinia,USD")
    problems = refused(broken)
    unknown = next(p for p in problems if "unknown market" in p.message)
    assert (unknown.line, unknown.column) == (line_of(broken, "Argentinia"), "Market")
    assert "did you mean Argentina?" in unknown.message
    # ... and the card then lacks Argentina, which the mapping needs: both are said at once.
    assert any(p.column == "Market" and "no row for Argentina" in p.message for p in problems)


@pytest.mark.django_db
@pytest.mark.parametrize("market", ["India", "Rest of Africa", "Other"])
def test_a_missing_market_is_refused(market):
    row = next(line for line in RATES.split("\r\n") if line.startswith(f"{market},"))
    broken = replace_once(RATES, row + "\r\n", "") if not RATES.endswith(row) else RATES.removesuffix("\r\n" + row)
    problems = [p for p in refused(broken) if p.file == META_RATES]
    if market == "Other":
        # Twice: every card prices Other, and before 2026-10-01 the mapping bills Kazakhstan's numbers as Other.
        assert [p.message.split(":")[1].strip() for p in problems] == [
            "on 2026-05-01 numbers are billed as Other, so the card must price it",
            "every card prices Other, the market of every number not in the mapping"]
        problems = problems[:1]
    problem = only(problems)
    assert problem.column == "Market" and f"no row for {market}" in problem.message


@pytest.mark.django_db
def test_a_card_must_price_the_markets_the_mapping_uses_on_its_own_date():
    # Meta's April card has no Hong Kong or Kazakhstan rows; from 2026-10-01 the mapping bills them apart.
    problems = refused(RATES, TIERS, effective_from=date(2026, 10, 1))
    missing = {p.message.split(":")[0].removeprefix("no row for ") for p in problems}
    assert {"Hong Kong", "Kazakhstan", "Bangladesh", "Morocco"} <= missing


@pytest.mark.django_db
def test_a_duplicate_market_row_is_refused():
    row = next(line for line in RATES.split("\r\n") if line.startswith("Peru,"))
    broken = replace_once(RATES, row + "\r\n", row + "\r\n" + row + "\r\n")
    problem = only(refused(broken))
    assert problem.line == line_of(broken, row) + 1 and problem.column == "Market"
    assert f"first on line {line_of(broken, row)}" in problem.message


@pytest.mark.django_db
def test_a_row_in_another_currency_is_refused():
    broken = replace_once(RATES, "Israel,USD", "Israel,EUR")
    problem = only(refused(broken))
    assert (problem.line, problem.column) == (line_of(broken, "Israel,"), "Currency")


@pytest.mark.django_db
def test_every_problem_is_reported_at_once():
    broken = replace_once(RATES, "Brazil,USD,0.0625", "Brazil,USD,x")
    broken = replace_once(broken, "Chile,USD,0.0889", "Chile,USD,-1")
    broken = replace_once(broken, "Israel,USD", "Israel,GBP")
    problems = refused(broken)
    assert [(p.line, p.column) for p in problems] == [
        (line_of(broken, "Brazil,"), "Marketing"),
        (line_of(broken, "Chile,"), "Marketing"),
        (line_of(broken, "Israel,"), "Currency"),
    ]


@pytest.mark.django_db
def test_a_rates_file_cut_off_mid_row_is_refused():
    broken = RATES[: RATES.index("Other,USD") + len("Other,USD,0.06")]
    problems = refused(broken)
    cut = next(p for p in problems if "cut short" in p.message)
    assert (cut.line, cut.column) == (line_of(broken, "Other,"), "Utility")


@pytest.mark.django_db
def test_a_rates_file_without_its_header_is_refused():
    header = RATES[RATES.index("Market,Currency"): RATES.index("Argentina,")]
    problem = only(refused(replace_once(RATES, header, "")))
    assert problem.column == "Market" and "no header line" in problem.message


@pytest.mark.django_db
def test_an_empty_file_is_refused():
    assert "empty" in only(refused(b"")).message
    assert "empty" in only(refused(codecs.BOM_UTF8 + b"\r\n")).message


@pytest.mark.django_db
def test_a_utf16_file_is_refused_with_advice():
    problem = only(refused(RATES.encode("utf-16")))
    assert "UTF-16" in problem.message and "CSV UTF-8" in problem.message


@pytest.mark.django_db
def test_bytes_that_are_not_utf8_are_refused_on_their_line():
    broken = RATES.replace("Peru,", "Perú,").encode("latin-1")
    problem = only(refused(broken))
    assert problem.line == line_of(RATES, "Peru,") and "not UTF-8" in problem.message


@pytest.mark.django_db
def test_excels_byte_order_mark_is_accepted():
    report = import_card(codecs.BOM_UTF8 + RATES.encode(), codecs.BOM_UTF8 + TIERS.encode(), dry_run=True)
    assert report.action == "unchanged"  # the shipped card itself


@pytest.mark.django_db
def test_a_tier_gap_is_refused():
    broken = replace_once(TIERS, ',USD,"100,001","1,000,000",Tier rate,0.0247',
                          ',USD,"100,002","1,000,000",Tier rate,0.0247')
    problem = only(refused(RATES, broken))
    assert (problem.line, problem.column) == (line_of(broken, '"100,002"'), "Utility From")
    assert problem.file == META_TIERS
    assert problem.message.startswith("gap:") and "must start at 100,001" in problem.message


@pytest.mark.django_db
def test_a_tier_overlap_is_refused():
    broken = replace_once(TIERS, ',USD,"100,001","1,000,000",Tier rate,0.0247',
                          ',USD,"90,001","1,000,000",Tier rate,0.0247')
    problem = only(refused(RATES, broken))
    assert (problem.line, problem.column) == (line_of(broken, '"90,001"'), "Utility From")
    assert problem.message.startswith("overlap:")


@pytest.mark.django_db
def test_tiers_must_start_at_zero_and_end_open():
    broken = replace_once(TIERS, 'Argentina,USD,0,"100,000"', 'Argentina,USD,1,"100,000"')
    broken = replace_once(broken, ',USD,"30,000,001",--,Tier rate,0.0195',
                          ',USD,"30,000,001","99,000,000",Tier rate,0.0195')
    problems = refused(RATES, broken)
    assert [(p.line, p.column) for p in problems] == [
        (line_of(broken, "Argentina,"), "Utility From"),
        (line_of(broken, '"99,000,000"'), "Utility To"),
    ]


@pytest.mark.django_db
def test_a_tier_list_rate_must_be_the_cards_rate():
    broken = replace_once(TIERS, 'Argentina,USD,0,"100,000",List rate,0.0260',
                          'Argentina,USD,0,"100,000",List rate,0.0261')
    problem = only(refused(RATES, broken))
    assert (problem.line, problem.column) == (line_of(broken, "Argentina,"), "Utility Rate")
    assert "0.0261 differs from the rates file's 0.0260" in problem.message


@pytest.mark.django_db
def test_tiers_for_a_rate_the_card_does_not_have_are_refused():
    rates = replace_once(RATES, "Egypt,USD,0.0644,0.0036,0.0036,0.0650", "Egypt,USD,0.0644,0.0036,0.0036,n/a")
    problem = only(refused(rates, TIERS))
    assert (problem.line, problem.column) == (line_of(TIERS, "Egypt,"), "Authentication-International Rate")
    assert "n/a" in problem.message


@pytest.mark.django_db
def test_a_duplicate_tier_block_is_refused():
    start = TIERS.index("Chile,USD")
    block = TIERS[start: TIERS.index("Colombia,USD")]
    broken = TIERS[:start] + block + block + TIERS[start + len(block):]
    problem = only(refused(RATES, broken))
    assert problem.line == line_of(TIERS, "Chile,") + 6 and "appears twice" in problem.message


@pytest.mark.django_db
def test_a_tier_block_with_fewer_than_six_rows_is_refused():
    lines = TIERS.split("\r\n")
    broken = "\r\n".join(lines[:-3])  # the file cut off inside the last block (Other)
    problems = refused(RATES, broken)
    short = next(p for p in problems if "tier rows" in p.message)
    assert (short.line, short.column) == (line_of(broken, "Other,"), "Market")
    assert "Other has 3 tier rows, 6 expected" in short.message


@pytest.mark.django_db
def test_a_tiers_file_cut_off_mid_row_is_refused():
    broken = TIERS[:-40]
    problems = refused(RATES, broken)
    cut = next(p for p in problems if "cut short" in p.message)
    assert cut.line == TIERS.count("\n") + 1 and cut.file == META_TIERS


@pytest.mark.django_db
def test_a_tiers_file_of_another_date_or_currency_is_refused():
    # One clear message, not one per row (an INR tiers file with USD rates gave 395 before).
    other_date = shipped("usd-volume-tiers-2026-01-01.csv")
    problem = only(refused(RATES, other_date))
    assert problem.line == 1 and "tiers file of another card" in problem.message
    assert "effective January 1, 2026, the rates file April 1, 2026" in problem.message
    other_currency = replace_once(TIERS, "in USD on", "in EUR on")
    problem = only(refused(RATES, other_currency))
    assert problem.line == 1 and "is in EUR, the rates file in USD" in problem.message
    inr_tiers = shipped("inr-volume-tiers-2026-10-01.csv")
    problem = only(refused(shipped("usd-rates-2026-10-01.csv"), inr_tiers))
    assert "is in INR, the rates file in USD" in problem.message


@pytest.mark.django_db
def test_a_tiers_file_missing_a_market_is_refused():
    start = TIERS.index("Peru,USD")
    broken = TIERS[:start] + TIERS[TIERS.index("Russia,USD"):]
    problem = only(refused(RATES, broken))
    assert problem.column == "Market" and "no tiers for Peru" in problem.message


@pytest.mark.django_db
def test_files_swapped_are_refused_plainly():
    problem = only(refused(TIERS, RATES))
    assert "the two files are swapped" in problem.message


@pytest.mark.django_db
def test_a_title_without_currency_needs_one_given():
    untitled = RATES[RATES.index("\r\n") + 2:]
    messages = [p.message for p in refused(untitled, effective_from=None)]
    assert [m.split(":")[0] for m in messages] == ["no currency", "no effective date"]
    assert "no effective date" in only(refused(untitled, currency="USD", effective_from=None)).message
    report = import_card(untitled.encode(), TIERS.encode(), currency="USD", effective_from=date(2026, 4, 1),
                         dry_run=True)
    assert report.action == "unchanged"  # given the title's facts, it is the shipped card again


@pytest.mark.django_db
def test_validate_alone_lists_the_problems_without_importing():
    before = database_state()
    problems = validate(parse_rates(replace_once(RATES, "Brazil,USD,0.0625", "Brazil,USD,1..2").encode()))
    assert [p.column for p in problems] == ["Marketing"]
    assert database_state() == before


@pytest.mark.django_db
def test_bad_rules_are_refused_before_anything_is_written():
    problems = refused(RATES, TIERS, rules={"service_charged": "yes", "billing_unit": "message"})
    messages = " ".join(p.message for p in problems)
    assert "unknown rule setting 'billing_unit'" in messages and "service_charged must be true or false" in messages
