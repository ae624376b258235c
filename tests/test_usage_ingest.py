"""Loading Meta's webhooks: counts from the sample file worked out by hand, duplicates, retries, failures,
broken lines, both layouts, idempotence, and files that are not webhooks at all."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from usage.ingest import ingest
from usage.models import AnalyticsPoint, DailyUsage, IngestRun, Message, Outcome, TemplateCategoryChange, Workspace
from usage.summary import month_totals
from usage.webhooks import NotWebhooks

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data" / "webhooks"
SAMPLE = DATA / "sample-webhooks.jsonl"
ANALYTICS = DATA / "sample-pricing-analytics.json"


@pytest.fixture
def workspace():
    return Workspace.objects.create(name="Acme", slug="acme")


def load(workspace, text: str | bytes, name: str = "file.jsonl"):
    data = text.encode() if isinstance(text, str) else text
    return ingest(io.BytesIO(data), workspace, filename=name)


def envelope(*, statuses=(), messages=(), field="messages", phone_number_id="106540352242922") -> str:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id}}
    if statuses:
        value["statuses"] = list(statuses)
    if messages:
        value["messages"] = list(messages)
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": field}]}]})


def status(wamid, state, ts, recipient="919800000001", category="utility", kind="regular", model="PMP",
           pricing=True, conversation=None, billable=None) -> dict:
    found = {"id": wamid, "status": state, "timestamp": str(ts), "recipient_id": recipient}
    if pricing:
        billable = kind == "regular" if billable is None else billable
        found["pricing"] = {"billable": billable, "pricing_model": model, "category": category}
        if kind is not None:
            found["pricing"]["type"] = kind
    if conversation:
        found["conversation"] = {"id": conversation}
    return found


NOV_1 = 1793491200  # 2026-11-01T00:00:00Z: the USD 2026-10-01 card is in force


def test_the_sample_file_gives_the_counts_its_readme_implies(workspace):
    report = load(workspace, SAMPLE.read_bytes(), "sample-webhooks.jsonl")
    # November 2026, by message id (statuses merged):
    #   A1 marketing regular (sent, delivered, read)       -> paid
    #   A2 service free_customer_service                    -> free (the 2026-10-01 card charges service after
    #                                                          1,000 free a number: free means the allowance)
    #   A3 utility free_customer_service (inside the window the user opened at 10:00) -> free, service window
    #   A4 utility regular (sent, read: pricing on both)    -> paid
    #   B1 marketing regular, then failed                   -> not delivered: not counted at all
    #   C1 authentication_international regular (India)    -> paid
    #   C2 authentication regular (+1 809: Rest of Latin America) -> paid
    #   D1 free_entry_point, category referral_conversion   -> free, entry point
    #   D2 free_entry_point, category marketing             -> free, entry point
    #   U1, U2 inbound user messages (U2 from an ad)        -> not business messages
    # All = 8 (A1 A2 A3 A4 C1 C2 D1 D2), Paid = 4 (A1 A4 C1 C2), Free = 4.
    november = report.months["2026-11"]
    assert (november.all, november.free, november.paid) == (8, 4, 4)
    assert november.free_by_reason == {"service_window": 1, "entry_point": 2, "allowance": 1, "no_pricing": 0,
                                       "in_conversation": 0}
    assert (november.failed, november.inbound) == (1, 2)
    assert {name: (c.all, c.paid) for name, c in november.by_category.items()} == {
        "marketing": (2, 1), "utility": (2, 1), "authentication": (1, 1), "authentication_international": (1, 1),
        "service": (1, 0), "referral_conversion": (1, 0),
    }
    # January 2025: E1, a legacy conversation-based (CBP) marketing status, billable -> paid.
    january = report.months["2025-01"]
    assert (january.all, january.free, january.paid) == (1, 0, 1)
    assert report.skipped == 0 and report.errors == []
    assert Message.objects.filter(workspace=workspace).count() == 12  # 10 business messages (with B1) + U1, U2


def test_the_user_from_an_ad_is_an_entry_point_and_the_plus_1_809_number_is_rest_of_latin_america(workspace):
    load(workspace, SAMPLE.read_bytes())
    assert Message.objects.get(wamid="wamid.U2").entry_point is True
    assert Message.objects.get(wamid="wamid.U1").entry_point is False
    c2 = Message.objects.get(wamid="wamid.C2")
    assert (c2.market, c2.country) == ("Rest of Latin America", "DO")


def test_loading_the_same_file_again_changes_nothing(workspace):
    first = load(workspace, SAMPLE.read_bytes())
    before = list(Message.objects.order_by("wamid").values())
    daily_before = list(DailyUsage.objects.order_by("day", "market", "category", "outcome")
                        .values("day", "market", "category", "outcome", "messages", "charge_units"))
    again = load(workspace, SAMPLE.read_bytes())
    assert first.changed == 12 and again.changed == 0
    assert list(Message.objects.order_by("wamid").values()) == before
    assert list(DailyUsage.objects.order_by("day", "market", "category", "outcome")
                .values("day", "market", "category", "outcome", "messages", "charge_units")) == daily_before
    assert again.as_json()["months"] == first.as_json()["months"]


def test_statuses_arriving_in_any_order_and_across_files_give_the_same_result(workspace):
    lines = SAMPLE.read_text().splitlines()
    load(workspace, "\n".join(reversed(lines[9:])))
    load(workspace, "\n".join(reversed(lines[:9])))
    other = Workspace.objects.create(name="Other", slug="other")
    load(other, SAMPLE.read_text())
    columns = ("wamid", "ts", "status_key", "outcome", "category", "market", "charge_units", "tier")
    assert list(Message.objects.filter(workspace=workspace).order_by("wamid").values_list(*columns)) == \
        list(Message.objects.filter(workspace=other).order_by("wamid").values_list(*columns))
    assert month_totals(workspace, month_of("2026-11")).as_json() == month_totals(other, month_of("2026-11")).as_json()


def test_merging_in_python_and_in_sql_follow_the_one_rule(workspace):
    """A batch merges a message's statuses in Python (merge_state), separate files merge them in SQL (the
    upsert generated from MERGE_RULE): in any order, both keep the same row."""
    from itertools import permutations

    from usage.store import STATE_COLUMNS, WORKED_OUT_FROM

    statuses = [status("wamid.M", "sent", NOV_1 + 10, pricing=False),
                status("wamid.M", "delivered", NOV_1 + 20, category="utility", conversation="conv-1"),
                status("wamid.M", "read", NOV_1 + 30, category="marketing", kind="regular")]
    columns = sorted(set(STATE_COLUMNS.values()) | {c for cs in WORKED_OUT_FROM.values() for c in cs}
                     | {"outcome", "category", "charge_units"})
    rows = []
    for index, order in enumerate(permutations(statuses)):
        in_python = Workspace.objects.create(name=f"P{index}", slug=f"p{index}")
        load(in_python, envelope(statuses=order))
        in_sql = Workspace.objects.create(name=f"S{index}", slug=f"s{index}")
        for one in order:
            load(in_sql, envelope(statuses=[one]))
        rows += [Message.objects.filter(workspace=space).values(*columns).get() for space in (in_python, in_sql)]
    assert all(row == rows[0] for row in rows)
    # the earliest time, the latest status (read) with the latest pricing (marketing), the first conversation
    assert (rows[0]["ts"], rows[0]["last_status"], rows[0]["price_category"], rows[0]["conversation_id"]) == (
        NOV_1 + 10, "read", "marketing", "conv-1")


def month_of(text: str):
    from datetime import date

    return date(int(text[:4]), int(text[5:7]), 1)


def test_a_retried_webhook_and_repeated_statuses_count_the_message_once(workspace):
    line = envelope(statuses=[status("wamid.R1", "sent", NOV_1 + 60)])
    delivered = envelope(statuses=[status("wamid.R1", "delivered", NOV_1 + 62)])
    report = load(workspace, "\n".join([line, line, delivered, delivered, line]))
    totals = report.months["2026-11"]
    assert (totals.all, totals.paid) == (1, 1)  # five lines, one message
    assert Message.objects.get(wamid="wamid.R1").last_status == "delivered"


def test_a_message_whose_last_status_is_failed_is_not_counted_even_when_the_failure_comes_first(workspace):
    failed = envelope(statuses=[status("wamid.F1", "failed", NOV_1 + 90, pricing=False)])
    sent = envelope(statuses=[status("wamid.F1", "sent", NOV_1 + 60, category="marketing")])
    report = load(workspace, failed + "\n" + sent)
    totals = report.months["2026-11"]
    assert (totals.all, totals.paid, totals.failed) == (0, 0, 1)
    assert totals.charge == 0


def test_a_failure_in_a_later_file_uncounts_a_message_already_loaded(workspace):
    load(workspace, envelope(statuses=[status("wamid.F2", "sent", NOV_1 + 60, category="marketing")]))
    assert month_totals(workspace, month_of("2026-11")).paid == 1
    report = load(workspace, envelope(statuses=[status("wamid.F2", "failed", NOV_1 + 70, pricing=False)]))
    assert report.changed == 1
    totals = month_totals(workspace, month_of("2026-11"))
    assert (totals.all, totals.paid, totals.failed, totals.charge) == (0, 0, 1, 0)


def test_the_pricing_is_taken_from_whichever_status_carries_it(workspace):
    load(workspace, "\n".join([
        envelope(statuses=[status("wamid.P1", "sent", NOV_1 + 60, pricing=False)]),
        envelope(statuses=[status("wamid.P1", "delivered", NOV_1 + 61, category="marketing")]),
        envelope(statuses=[status("wamid.P1", "read", NOV_1 + 99, pricing=False)]),
    ]))
    message = Message.objects.get(wamid="wamid.P1")
    assert (message.category, message.outcome, message.last_status) == ("marketing", Outcome.PAID, "read")
    assert message.ts == NOV_1 + 60  # the earliest status


def test_both_spellings_of_authentication_international_and_marketing_lite_as_marketing(workspace):
    report = load(workspace, "\n".join([
        envelope(statuses=[status("wamid.I1", "delivered", NOV_1 + 60, category="authentication_international")]),
        envelope(statuses=[status("wamid.I2", "delivered", NOV_1 + 61, category="authentication-international")]),
        envelope(statuses=[status("wamid.L1", "delivered", NOV_1 + 62, category="marketing_lite")]),
    ]))
    by_category = report.months["2026-11"].by_category
    assert by_category["authentication_international"].paid == 2
    assert by_category["marketing"].paid == 1
    # India on the USD 2026-10-01 card: authentication-international 0.0304 (twice), marketing 0.0118.
    assert str(report.months["2026-11"].charge) == "0.0726"


def test_legacy_conversation_based_statuses_charge_once_per_conversation(workspace):
    jan_2025 = 1735689600  # 2025-01-01T00:00:00Z: the USD 2024-11-01 conversation-based card
    report = load(workspace, "\n".join([
        envelope(statuses=[status(f"wamid.C{i}", "delivered", jan_2025 + 3600 * i, recipient="4915100000005",
                                  category="marketing", kind=None, model="CBP", conversation="conv-1",
                                  billable=True)])
        for i in range(3)
    ] + [envelope(statuses=[status("wamid.C9", "delivered", jan_2025 + 90000, recipient="4915100000005",
                                   category="marketing", kind=None, model="CBP", conversation="conv-2",
                                   billable=True)])]))
    january = report.months["2025-01"]
    # Four billable messages in two conversations: all four paid, two conversations charged at Germany's
    # marketing conversation rate 0.1365.
    assert (january.all, january.paid) == (4, 4)
    assert str(january.charge) == "0.2730"


def test_a_broken_line_is_reported_with_its_line_number_and_the_rest_loads(workspace):
    lines = SAMPLE.read_text().splitlines()
    lines.insert(4, lines[4][:80])  # line 5: cut short
    lines.insert(9, '{"object": "page", "entry": []}')  # line 10: not a WhatsApp webhook
    report = load(workspace, "\n".join(lines))
    assert report.skipped == 2
    assert [error["line"] for error in report.errors] == [5, 10]
    assert "truncated" in report.errors[0]["message"] or "malformed" in report.errors[0]["message"]
    assert "WhatsApp" in report.errors[1]["message"]
    assert (report.months["2026-11"].all, report.months["2026-11"].paid) == (8, 4)


def test_a_json_array_loads_like_the_same_envelopes_one_per_line(workspace):
    envelopes = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    pretty = Workspace.objects.create(name="Pretty", slug="pretty")
    compact = Workspace.objects.create(name="Compact", slug="compact")
    load(workspace, json.dumps(envelopes, indent=2))
    load(pretty, "[\n" + ",\n".join(json.dumps(e) for e in envelopes) + "\n]\n")
    load(compact, json.dumps(envelopes))
    for space in (workspace, pretty, compact):
        totals = month_totals(space, month_of("2026-11"))
        assert (totals.all, totals.free, totals.paid) == (8, 4, 4), space.slug


def test_a_broken_element_of_a_json_array_is_reported_and_skipped(workspace):
    lines = SAMPLE.read_text().splitlines()
    lines[2] = lines[2][:50]
    report = load(workspace, "[\n" + ",\n".join(lines) + "\n]")
    assert [error["line"] for error in report.errors] == [4]
    # Line 4 held A1's read status (no pricing): everything else loads.
    assert (report.months["2026-11"].all, report.months["2026-11"].paid) == (8, 4)


def test_a_gzip_file_loads(workspace):
    report = load(workspace, gzip.compress(SAMPLE.read_bytes()))
    assert report.months["2026-11"].all == 8


def test_a_file_that_is_not_webhooks_is_refused_and_nothing_is_stored(workspace):
    with pytest.raises(NotWebhooks, match="no WhatsApp webhooks"):
        load(workspace, "day,market,messages\n2026-11-01,India,10\n2026-11-02,India,12\n")
    with pytest.raises(NotWebhooks):
        load(workspace, "\n".join(json.dumps({"event": "click", "n": i}) for i in range(500)))
    assert not Message.objects.exists() and not IngestRun.objects.exists() and not DailyUsage.objects.exists()


def test_template_category_updates_are_kept(workspace):
    change = {"object": "whatsapp_business_account", "entry": [{"id": "1", "time": NOV_1 + 3600, "changes": [
        {"field": "template_category_update", "value": {
            "message_template_id": 1234, "message_template_name": "order_update", "message_template_language": "en_US",
            "previous_category": "UTILITY", "new_category": "MARKETING"}}]}]}
    load(workspace, json.dumps(change) + "\n" + json.dumps(change))
    found = TemplateCategoryChange.objects.get(workspace=workspace)
    assert (found.name, found.previous_category, found.new_category) == ("order_update", "utility", "marketing")


def test_a_pricing_analytics_response_is_stored_once_however_often_it_is_loaded(workspace):
    load(workspace, ANALYTICS.read_bytes(), "analytics.json")
    load(workspace, ANALYTICS.read_bytes(), "analytics.json")
    points = AnalyticsPoint.objects.filter(workspace=workspace)
    assert points.count() == 5
    assert sum(p.volume for p in points) == 120000 + 54000 + 30000 + 80000 + 900
    assert str(points.get(country="IN", pricing_category="marketing").cost) == "354.000000"


def test_the_command_prints_months_skipped_and_errors_as_json(tmp_path, capsys):
    broken = tmp_path / "export.jsonl"
    lines = SAMPLE.read_text().splitlines()
    lines.insert(2, "{not json")
    broken.write_text("\n".join(lines) + "\n")
    call_command("ingest_webhooks", str(broken), "--json")
    output = json.loads(capsys.readouterr().out)
    assert set(output) == {"months", "skipped", "errors"}
    assert output["skipped"] == 1 and output["errors"][0]["line"] == 3
    november = output["months"]["2026-11"]
    assert {key: november[key] for key in ("all", "free", "paid", "charge")} == \
        {"all": 8, "free": 4, "paid": 4, "charge": "0.05"}
    assert november["by_category"]["marketing"] == {"all": 2, "free": 1, "paid": 1, "charge": "0.01"}
    assert Workspace.objects.filter(slug="default").exists()


def test_the_command_refuses_an_unknown_workspace_and_a_file_that_is_not_webhooks(tmp_path):
    with pytest.raises(CommandError, match="no workspace 'nope'"):
        call_command("ingest_webhooks", str(SAMPLE), "--workspace", "nope")
    other = tmp_path / "rates.csv"
    other.write_text("Market,Currency,Marketing\nIndia,USD,0.0118\n")
    with pytest.raises(CommandError, match="nothing was stored"):
        call_command("ingest_webhooks", str(other))
    assert not Message.objects.exists()


def test_the_command_shows_progress_on_stderr_only_when_asked(tmp_path, capsys, workspace):
    call_command("ingest_webhooks", str(SAMPLE), "--workspace", "acme")
    assert "lines/s" not in capsys.readouterr().err
    big = tmp_path / "big.jsonl"
    line = envelope(statuses=[status("wamid.X", "delivered", NOV_1 + 60)])
    big.write_text("\n".join(line.replace("wamid.X", f"wamid.X{i}") for i in range(9000)) + "\n")
    call_command("ingest_webhooks", str(big), "--workspace", "acme", "--progress")
    err = capsys.readouterr().err
    assert "lines/s" in err and "%" in err


def test_the_command_replays_the_loaded_months_unless_told_not_to(workspace, capsys):
    from usage.models import MonthSummary

    call_command("ingest_webhooks", str(SAMPLE), "--workspace", "acme", "--no-what-if")
    assert MonthSummary.objects.get(workspace=workspace, month=month_of("2026-11")).what_if is None
    other = Workspace.objects.create(name="Other", slug="other")
    call_command("ingest_webhooks", str(SAMPLE), "--workspace", "other")
    stored = MonthSummary.objects.get(workspace=other, month=month_of("2026-11")).what_if
    assert stored["available"] is True and len(stored["regimes"]) == 3
    assert "what-if replays of 2 month(s)" in capsys.readouterr().out
