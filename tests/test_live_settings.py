"""A workspace's webhook credentials: create_workspace, the admin (the secret is write-only), the set-up page."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import CommandError, call_command

from tests.live_helpers import SECRET, post, sample_payloads
from usage.live_models import WebhookPayload
from usage.models import Workspace

pytestmark = pytest.mark.django_db


def test_create_workspace_sets_the_secret_and_token_and_never_prints_the_secret(capsys, client):
    call_command("create_workspace", "acme", "--name", "Acme", "--app-secret", SECRET, "--verify-token", "tok-1",
                 "--timezone", "Asia/Kolkata", "--business", "Acme Group")
    out = capsys.readouterr().out
    workspace = Workspace.objects.get(slug="acme")
    assert (workspace.app_secret, workspace.webhook_verify_token, workspace.timezone, workspace.business.name) == \
        (SECRET, "tok-1", "Asia/Kolkata", "Acme Group")
    assert workspace.app_secret_set_at is not None
    assert SECRET not in out and "app secret set" in out and "tok-1" in out
    assert post(client, "acme", sample_payloads()[0]).status_code == 200


def test_create_workspace_updates_only_what_it_is_given(capsys):
    call_command("create_workspace", "acme", "--app-secret", "first-secret")
    token = Workspace.objects.get(slug="acme").webhook_verify_token
    assert len(token) >= 24  # a new workspace gets a random token
    call_command("create_workspace", "acme", "--verify-token", "tok-2")
    workspace = Workspace.objects.get(slug="acme")
    assert (workspace.app_secret, workspace.webhook_verify_token) == ("first-secret", "tok-2")
    call_command("create_workspace", "acme", "--app-secret", "second-secret")
    assert Workspace.objects.get(slug="acme").app_secret == "second-secret"
    assert "second-secret" not in capsys.readouterr().out


def test_create_workspace_reads_the_secret_from_standard_input(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("from-stdin-secret\n"))
    call_command("create_workspace", "acme", "--app-secret", "-")
    assert Workspace.objects.get(slug="acme").app_secret == "from-stdin-secret"


@pytest.mark.parametrize("flag, value, message", [
    ("--app-secret", "", "--app-secret: give 1 to 128 characters"),
    ("--app-secret", "x" * 129, "--app-secret: give 1 to 128 characters"),
    ("--verify-token", "has space", "--verify-token: no spaces or control characters"),
])
def test_create_workspace_refuses_bad_credentials_and_changes_nothing(flag, value, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_workspace", "acme", flag, value)
    assert not Workspace.objects.filter(slug="acme").exists()


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "x")


def test_the_admin_never_shows_the_secret_and_empty_keeps_it(client, superuser):
    workspace = Workspace.objects.create(name="Acme", slug="acme")
    workspace.set_app_secret(SECRET)
    workspace.save()
    client.force_login(superuser)
    page = client.get(f"/admin/usage/workspace/{workspace.pk}/change/")
    assert page.status_code == 200
    assert SECRET.encode() not in page.content
    assert b"App secret now" in page.content and b"Set on" in page.content
    assert workspace.webhook_verify_token.encode() in page.content

    form = {"name": "Acme", "slug": "acme", "timezone": "UTC", "webhook_verify_token": "new-token",
            "new_app_secret": "", **_empty_inlines()}
    assert client.post(f"/admin/usage/workspace/{workspace.pk}/change/", form).status_code == 302
    workspace.refresh_from_db()
    assert (workspace.app_secret, workspace.webhook_verify_token) == (SECRET, "new-token")

    form["new_app_secret"] = "a-new-secret"
    assert client.post(f"/admin/usage/workspace/{workspace.pk}/change/", form).status_code == 302
    workspace.refresh_from_db()
    assert workspace.app_secret == "a-new-secret"
    assert b"a-new-secret" not in client.get(f"/admin/usage/workspace/{workspace.pk}/change/").content

    form |= {"new_app_secret": "", "clear_app_secret": "on"}
    assert client.post(f"/admin/usage/workspace/{workspace.pk}/change/", form).status_code == 302
    workspace.refresh_from_db()
    assert workspace.app_secret == "" and workspace.app_secret_set_at is None


def test_the_secret_is_marked_sensitive_in_error_reports(client, superuser, caplog):
    """Django's error reports (log mail, debug page) blank sensitive POST fields."""
    workspace = Workspace.objects.create(name="Acme", slug="acme")
    client.force_login(superuser)
    with caplog.at_level(logging.DEBUG):
        client.post(f"/admin/usage/workspace/{workspace.pk}/change/",
                    {"name": "Acme", "slug": "acme", "timezone": "UTC", "webhook_verify_token": "t",
                     "new_app_secret": "top-secret-value", **_empty_inlines()})
    assert "top-secret-value" not in caplog.text
    request = client.post(f"/admin/usage/workspace/{workspace.pk}/change/").wsgi_request
    assert request.sensitive_post_parameters == ("new_app_secret", "access_token")  # and the Graph API token


def _empty_inlines() -> dict:
    return {f"{prefix}-{key}": value for prefix in ("top_ups", "tier_updates", "ingest_runs")
            for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"),
                               ("MAX_NUM_FORMS", "1000"))}


def test_the_set_up_page_shows_url_token_and_how(client, django_user_model):
    workspace = Workspace.objects.create(name="Acme", slug="acme", webhook_verify_token="tok-123")
    member = django_user_model.objects.create_user("carol", password="x")
    workspace.members.add(member)
    client.force_login(member)
    page = client.get("/usage/acme/webhooks/").content.decode()
    assert "http://testserver/webhooks/meta/acme" in page
    assert "tok-123" in page
    assert "Not set yet" in page and "WhatsApp → Configuration" in page and "Verify and save" in page
    workspace.set_app_secret(SECRET)
    workspace.save()
    for body in sample_payloads()[:3]:
        post(client, "acme", body)
    page = client.get("/usage/acme/webhooks/").content.decode()
    assert SECRET not in page and "never shown again" in page
    assert "3 webhooks received" in page and "3 waiting to be processed" in page
    assert WebhookPayload.objects.count() == 3
    assert 'href="/usage/acme/webhooks/"' in client.get("/usage/acme/").content.decode()
