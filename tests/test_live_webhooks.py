"""A workspace's own webhook endpoint: Meta's handshake, signatures, storing, processing by a real worker.

Expected figures: the sample file (tests/data/webhooks/sample-webhooks.jsonl, see test_usage_ingest.py):
November 2026, All 8, Paid 4, Free 4. Paid on the USD 2026-10-01 card (usd-rates-2026-10-01.csv):
A1 India marketing 0.0118 + A4 India utility 0.0014 + C1 India authentication-international 0.0304 +
C2 Dominican Republic (Rest of Latin America) authentication 0.0113 = 0.0549, shown rounded "0.05".
Marketing: A1 paid (0.0118, "0.01") and D2 free (entry point): all 2, paid 1.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from accounts.models import APIKey
from tests.live_helpers import live_workspace, SECRET, TOKEN, post, sample_payloads, signature
from usage.live_models import WebhookPayload
from usage.models import Message, Workspace
from usage.summary import month_totals

NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def acme(db):
    return live_workspace()


def figures(workspace) -> dict:
    totals = month_totals(workspace, NOVEMBER).as_json()
    return {key: totals[key] for key in ("all", "free", "paid", "charge")} | \
        {"marketing": totals["by_category"]["marketing"]}


SAMPLE_NOVEMBER = {"all": 8, "free": 4, "paid": 4, "charge": "0.05",
                   "marketing": {"all": 2, "free": 1, "paid": 1, "charge": "0.01"}}


# --- Meta's verification handshake

def test_the_handshake_answers_the_challenge_with_the_workspaces_token(client, acme):
    response = client.get("/webhooks/meta/acme", {"hub.mode": "subscribe", "hub.verify_token": TOKEN,
                                                  "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("query", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "subscribe", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"},
    {"hub.mode": "subscribe", "hub.verify_token": TOKEN},
    {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "9" * 201},
])
def test_the_handshake_is_refused_without_the_right_token_mode_and_challenge(client, acme, query):
    response = client.get("/webhooks/meta/acme", query)
    assert response.status_code == 403
    assert b"Verification refused" in response.content


def test_another_workspaces_token_does_not_verify(client, acme):
    Workspace.objects.create(name="Globex", slug="globex", webhook_verify_token="globex-token")
    response = client.get("/webhooks/meta/acme", {"hub.mode": "subscribe", "hub.verify_token": "globex-token",
                                                  "hub.challenge": "1"})
    assert response.status_code == 403


def test_an_unknown_workspace_is_404(client, db):
    assert client.get("/webhooks/meta/nope", {"hub.mode": "subscribe", "hub.verify_token": "x",
                                              "hub.challenge": "1"}).status_code == 404
    assert post(client, "nope", b"{}").status_code == 404


# --- Signatures and what is stored

def test_a_signed_payload_is_stored_and_answered_200(client, acme):
    body = sample_payloads()[0]
    response = post(client, "acme", body)
    assert response.status_code == 200
    stored = WebhookPayload.objects.get()
    assert bytes(stored.body) == body and stored.processed_at is None and stored.workspace == acme


@pytest.mark.parametrize("header", [
    None,  # missing
    "sha256=" + "0" * 64,  # wrong
    "sha1=abcdef",  # Meta's old header form, not accepted
    "",
])
def test_a_missing_or_wrong_signature_is_401_and_nothing_is_stored(client, acme, header):
    body = sample_payloads()[0]
    response = post(client, "acme", body, secret=None, header=header)
    assert response.status_code == 401
    assert b"Nothing was stored" in response.content
    assert not WebhookPayload.objects.exists()


def test_a_signature_made_with_another_secret_or_over_another_body_is_401(client, acme):
    body = sample_payloads()[0]
    assert post(client, "acme", body, secret="another-app-secret").status_code == 401
    assert post(client, "acme", body, header=signature(body + b" ")).status_code == 401
    assert not WebhookPayload.objects.exists()


def test_a_workspace_without_an_app_secret_accepts_nothing(client, acme):
    acme.set_app_secret("")
    acme.save()
    body = sample_payloads()[0]
    response = post(client, "acme", body, header=signature(body, ""))
    assert response.status_code == 401 and b"no app secret" in response.content
    assert not WebhookPayload.objects.exists()


@pytest.mark.parametrize("body, reason", [
    (b"{not json", b"Not a WhatsApp webhook"),
    (b'{"object": "page", "entry": [{"id": "1"}]}', b"not a WhatsApp Business Account webhook"),
    (b'{"hello": "world"}', b'no "object" and "entry"'),
    (b"[1, 2, 3]", b"Not a WhatsApp webhook"),
    (b"", b"Not a WhatsApp webhook"),
])
def test_a_signed_body_that_is_not_webhooks_is_400_and_nothing_is_stored(client, acme, body, reason):
    response = post(client, "acme", body)
    assert response.status_code == 400
    assert reason in response.content and b"Nothing was stored" in response.content
    assert not WebhookPayload.objects.exists()


def test_a_body_over_the_bound_is_413_before_it_is_read(client, acme):
    body = b'{"object": "whatsapp_business_account", "entry": [], "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = post(client, "acme", body)
    assert response.status_code == 413
    assert not WebhookPayload.objects.exists()


def test_other_methods_are_405(client, acme):
    response = client.put("/webhooks/meta/acme", b"{}")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"


# --- Processing by a real worker: the same figures as the file

def test_the_sample_sent_live_gives_the_same_month_as_the_file(client, acme, task_worker):
    for body in sample_payloads():
        assert post(client, "acme", body).status_code == 200
    task_worker.wait()
    assert task_worker.failures() == []
    assert figures(acme) == SAMPLE_NOVEMBER
    assert not WebhookPayload.objects.filter(processed_at__isnull=True).exists()


def test_meta_retrying_every_payload_changes_nothing(client, acme, task_worker):
    payloads = sample_payloads()
    for body in payloads:
        post(client, "acme", body)
    task_worker.wait()
    before = sorted(Message.objects.filter(workspace=acme).values_list("wamid", "last_status", "outcome",
                                                                        "charge_units"))
    for body in payloads + payloads:  # every one twice more, after it was processed
        assert post(client, "acme", body).status_code == 200
    task_worker.wait()
    assert figures(acme) == SAMPLE_NOVEMBER
    after = sorted(Message.objects.filter(workspace=acme).values_list("wamid", "last_status", "outcome",
                                                                       "charge_units"))
    assert after == before
    assert WebhookPayload.objects.count() == 3 * len(payloads)


def test_statuses_out_of_order_end_in_the_same_state(client, acme, task_worker):
    globex = Workspace.objects.create(name="Globex", slug="globex", webhook_verify_token="t")
    globex.set_app_secret(SECRET)
    globex.save()
    payloads = sample_payloads()
    for body in payloads:
        post(client, "acme", body)
    for body in reversed(payloads):  # read before delivered before sent, inbound after the reply...
        post(client, "globex", body)
    task_worker.wait()
    fields = ("wamid", "ts", "last_status", "category", "outcome", "billing_type", "charge_units")
    assert sorted(Message.objects.filter(workspace=acme).values_list(*fields)) == \
        sorted(Message.objects.filter(workspace=globex).values_list(*fields))
    assert figures(globex) == figures(acme) == SAMPLE_NOVEMBER


def test_one_payload_per_line_processed_one_at_a_time_in_any_interleaving(client, acme, task_worker):
    """Statuses of one message split over many payloads and processed in separate batches still merge."""
    a1 = [body for body in sample_payloads() if b'"wamid.A1"' in body]
    assert len(a1) == 3  # sent, delivered, read
    for body in (a1[2], a1[0], a1[1]):
        post(client, "acme", body)
        task_worker.wait()
    message = Message.objects.get(workspace=acme, wamid="wamid.A1")
    assert (message.last_status, message.category, message.outcome) == ("read", "marketing", "paid")
    assert message.ts == 1793520000  # the earliest status: sent at 2026-11-01 08:00 UTC
    assert message.charge_units == 118  # India marketing 0.0118


# --- The month as JSON, with what is still pending

def test_the_month_api_shows_pending_payloads_then_the_figures(client, acme, task_worker, django_user_model):
    member = django_user_model.objects.create_user("carol", password="x")
    acme.members.add(member)
    client.force_login(member)
    task_worker.stop()  # nothing processes them yet
    for body in sample_payloads():
        post(client, "acme", body)
    answer = client.get("/api/v1/usage/acme/months/2026-11").json()
    assert answer["pending"] == len(sample_payloads())
    assert answer["all"] == 0
    task_worker.start()
    task_worker.wait()
    answer = client.get("/api/v1/usage/acme/months/2026-11").json()
    assert answer == {"workspace": "acme", "month": "2026-11", "all": 8, "free": 4, "paid": 4, "charge": "0.05",
                      "currency": "USD", "pending": 0, "by_category": answer["by_category"]}
    assert answer["by_category"]["marketing"] == {"all": 2, "free": 1, "paid": 1, "charge": "0.01"}


def test_the_month_api_takes_an_api_key_and_refuses_strangers(client, acme, django_user_model):
    member = django_user_model.objects.create_user("carol", password="x")
    acme.members.add(member)
    stranger = django_user_model.objects.create_user("mallory", password="x")
    _, member_key = APIKey.create_for(member, "script")
    _, stranger_key = APIKey.create_for(stranger, "script")
    ok = client.get("/api/v1/usage/acme/months/2026-11", HTTP_AUTHORIZATION=f"Bearer {member_key}")
    assert ok.status_code == 200 and ok.json()["pending"] == 0
    refused = client.get("/api/v1/usage/acme/months/2026-11", HTTP_AUTHORIZATION=f"Bearer {stranger_key}")
    assert refused.status_code == 404 and "acme" in json.dumps(refused.json())
    assert client.get("/api/v1/usage/acme/months/2026-11").status_code == 401
    assert client.get("/api/v1/usage/acme/months/2026-11", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert client.get("/api/v1/usage/acme/months/2026-13").status_code == 404
