"""Signing in and out, password reset by e-mail, and API keys created and revoked in the admin."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from accounts.models import KEY_PREFIX, APIKey, hash_key, user_for_key
from quotes import testing

pytestmark = pytest.mark.django_db


def test_the_login_page_uses_the_sites_template(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'class="site-header"' in page and "Sign in" in page and 'name="password"' in page


def test_signing_in_and_out(client):
    testing.user("sam", testing.SALES)
    response = client.post("/accounts/login/", {"username": "sam", "password": "a-long-test-password", "next": "/quotes/"})
    assert response.status_code == 302 and response["Location"] == "/quotes/"
    assert client.get("/quotes/").status_code == 200
    response = client.post("/accounts/logout/")
    assert "You are signed out" in response.content.decode()
    assert client.get("/quotes/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client):
    testing.user("sam", testing.SALES)
    response = client.post("/accounts/login/", {"username": "sam", "password": "wrong"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


def test_a_password_reset_is_sent_by_email_and_its_link_sets_a_new_password(client):
    testing.user("sam", testing.SALES)
    response = client.post("/accounts/password_reset/", {"email": "sam@example.com"})
    assert response.status_code == 302
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@example.com"] and "Reset your password" in message.subject
    link = re.search(r"http://testserver(/accounts/reset/\S+)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "brand-new-pass-42", "new_password2": "brand-new-pass-42"},
                       follow=True)
    assert "Password changed" in done.content.decode()
    assert client.login(username="sam", password="brand-new-pass-42")


def test_an_unknown_address_gets_the_same_answer_and_no_email(client):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and not mail.outbox


# --- API keys ------------------------------------------------------------------------------------------

def test_a_key_is_stored_only_as_a_hash_behind_a_short_prefix():
    user = testing.user("sam", testing.SALES)
    api_key, key = APIKey.create_for(user, "script")
    assert key.startswith(KEY_PREFIX) and len(key) >= len(KEY_PREFIX) + 43  # 256 random bits
    stored = APIKey.objects.get()
    assert stored.key_hash == hash_key(key) and key not in stored.key_hash
    assert key.startswith(stored.prefix) and len(stored.prefix) < len(key) - 30
    assert user_for_key(key) == user
    assert user_for_key(key + "x") is None and user_for_key("not-a-key") is None


def test_a_revoked_key_finds_nobody():
    api_key, key = APIKey.create_for(testing.user("sam"), "script")
    api_key.revoke()
    assert user_for_key(key) is None


def test_the_admin_shows_a_new_key_once(admin_client):
    seller = testing.user("sam", testing.SALES)
    response = admin_client.post("/admin/accounts/apikey/add/", {"user": seller.pk, "name": "CRM export"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    key = re.search(r'<code id="api-key"[^>]*>(\S+)</code>', page).group(1)
    assert "shown only this once" in page
    api_key = APIKey.objects.get()
    assert api_key.user == seller and api_key.key_hash == hash_key(key)
    change_page = admin_client.get(f"/admin/accounts/apikey/{api_key.pk}/change/").content.decode()
    assert key not in change_page and api_key.prefix in change_page
    assert key not in admin_client.get("/admin/accounts/apikey/").content.decode()


def test_the_admin_revokes_keys(admin_client):
    api_key, key = APIKey.create_for(testing.user("sam", testing.SALES), "script")
    admin_client.post("/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]})
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None and user_for_key(key) is None


def test_the_sales_groups_exist_after_migrate():
    from django.contrib.auth.models import Group

    sales = set(Group.objects.get(name="Sales").permissions.values_list("codename", flat=True))
    managers = set(Group.objects.get(name="Sales managers").permissions.values_list("codename", flat=True))
    assert {"add_quote", "change_quote", "view_quote"} <= sales and "manage_all_quotes" not in sales
    assert "manage_all_quotes" in managers
    assert not User.objects.exists()


def test_with_reset_mail_off_the_reset_pages_say_so_and_send_nothing(client, settings, mailoutbox):
    settings.PASSWORD_RESET_BY_MAIL = False
    User.objects.create_user("sam", "sam@example.com", "an-old-password-123")
    for response in (client.get("/accounts/password_reset/"),
                     client.post("/accounts/password_reset/", {"email": "sam@example.com"}),
                     client.get("/accounts/reset/MQ/set-password/")):
        assert response.status_code == 404
        assert "Password reset by e-mail is off" in response.content.decode()
    assert mailoutbox == []
    login = client.get("/accounts/login/").content.decode()
    assert "/accounts/password_reset/" not in login and "Ask an administrator" in login
