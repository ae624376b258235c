"""A workspace's app secret and Graph API token are encrypted in the database (pricing_site/encryption.py):
the raw columns hold no secret, the code reads them as before, a key is rotated, a wrong key says so."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from pricing_site.encryption import CannotDecrypt, derived_key
from tests.live_helpers import SECRET, post, sample_payloads
from usage.models import Workspace
from usage.pull import configured

pytestmark = pytest.mark.django_db

TOKEN = "EAAGm0PX4ZCpsBAKZC3example-graph-token"


def raw(slug: str = "acme") -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_secret, graph_access_token FROM usage_workspace WHERE slug = %s", [slug])
        return cursor.fetchone()


@pytest.fixture
def acme():
    workspace = Workspace(name="Acme", slug="acme", waba_id="1234", graph_access_token=TOKEN)
    workspace.set_app_secret(SECRET)
    workspace.save()
    return workspace


def test_the_columns_hold_no_secret_and_the_model_reads_them_back(acme):
    app_secret, token = raw()
    assert SECRET not in app_secret and TOKEN not in token
    assert app_secret.startswith("gAAAAA") and token.startswith("gAAAAA")  # Fernet tokens
    fresh = Workspace.objects.get(slug="acme")
    assert (fresh.app_secret, fresh.graph_access_token) == (SECRET, TOKEN)


def test_the_same_secret_twice_is_stored_differently(acme):
    Workspace.objects.create(name="Globex", slug="globex", app_secret=SECRET)
    assert raw("globex")[0] != raw("acme")[0]  # a fresh IV each time: equal secrets do not show


def test_an_empty_secret_stays_empty_so_unset_is_a_plain_query(acme):
    Workspace.objects.create(name="Globex", slug="globex")
    assert raw("globex") == ("", "")
    assert [w.slug for w in configured()] == ["acme"]


def test_signatures_are_checked_with_the_decrypted_secret(client, acme):
    assert post(client, "acme", sample_payloads()[0]).status_code == 200
    assert post(client, "acme", sample_payloads()[0], secret=raw()[0]).status_code == 401


def reencrypt() -> str:
    out = StringIO()
    call_command("reencrypt_secrets", stdout=out)
    return out.getvalue()


def test_moving_off_the_default_key_then_changing_the_secret_key_keeps_the_secrets(acme, settings):
    assert Fernet(derived_key(settings.SECRET_KEY)).decrypt(raw()[0].encode()).decode() == SECRET  # the default
    own = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [own]
    assert Workspace.objects.get(slug="acme").app_secret == SECRET  # still read with the derived key
    assert "1 workspaces' secrets encrypted" in reencrypt()
    settings.SECRET_KEY = "a-new-secret-key"
    fresh = Workspace.objects.get(slug="acme")
    assert (fresh.app_secret, fresh.graph_access_token) == (SECRET, TOKEN)
    assert Fernet(own.encode()).decrypt(raw()[1].encode()).decode() == TOKEN


def test_a_key_is_rotated_by_putting_the_new_one_first_and_reencrypting(acme, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    reencrypt()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert Workspace.objects.get(slug="acme").app_secret == SECRET  # still read with the old key
    reencrypt()
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key gone
    fresh = Workspace.objects.get(slug="acme")
    assert (fresh.app_secret, fresh.graph_access_token) == (SECRET, TOKEN)
    assert Fernet(new.encode()).decrypt(raw()[0].encode()).decode() == SECRET


def test_a_key_that_opens_nothing_is_an_error_naming_the_setting(acme, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.SECRET_KEY = "not-the-one-it-was-written-with"
    with pytest.raises(CannotDecrypt, match="FIELD_ENCRYPTION_KEY"):
        Workspace.objects.get(slug="acme")


def test_new_key_prints_a_usable_key():
    out = StringIO()
    call_command("reencrypt_secrets", "--new-key", stdout=out)
    Fernet(out.getvalue().strip().encode())  # raises if it is not a Fernet key


def test_the_migration_encrypts_secrets_stored_in_plain_text(acme):
    with connection.cursor() as cursor:  # as the release before this one stored them
        cursor.execute("UPDATE usage_workspace SET app_secret = %s, graph_access_token = %s", [SECRET, TOKEN])
    migration = importlib.import_module("usage.migrations.0010_secrets_encrypted")
    before = MigrationLoader(connection).project_state(("usage", "0009_jobs")).apps
    migration.encrypt_existing(before, None)
    app_secret, token = raw()
    assert SECRET not in app_secret and TOKEN not in token
    fresh = Workspace.objects.get(slug="acme")
    assert (fresh.app_secret, fresh.graph_access_token) == (SECRET, TOKEN)
    migration.decrypt_existing(before, None)  # and back
    assert raw() == (SECRET, TOKEN)
