"""Secrets kept in the database, encrypted at rest: a workspace's Meta app secret and Graph API token.

Fernet (the `cryptography` package: AES-128-CBC with an HMAC-SHA256 over it, a fresh IV per value) with
the keys of `FIELD_ENCRYPTION_KEY` (comma-separated: the first encrypts, every one decrypts, so a key is
rotated by putting the new one first, running `manage.py reencrypt_secrets`, then dropping the old one).
A key derived from DJANGO_SECRET_KEY (HKDF-SHA256) encrypts while the setting is unset and decrypts
after every listed key, so moving to a key of one's own is: set it, run `reencrypt_secrets`; after that
the secret key can change (README, *Secrets at rest*).

The empty string is stored as it is, so "is a secret set" stays a plain query; a value that no key
decrypts is an error that names the setting, never a secret silently lost.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


class CannotDecrypt(ImproperlyConfigured):
    pass


def derived_key(secret_key: str) -> bytes:
    """The Fernet key used while FIELD_ENCRYPTION_KEY is unset."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"pricing-site field encryption")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@cache
def _fernet() -> MultiFernet:
    keys = [*settings.FIELD_ENCRYPTION_KEYS, derived_key(settings.SECRET_KEY)]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY: each key must be 32 url-safe base64-encoded bytes "
                                   f"(make one with manage.py reencrypt_secrets --new-key): {exc}") from None


@receiver(setting_changed)
def _keys_changed(setting: str, **_kwargs) -> None:
    if setting in ("FIELD_ENCRYPTION_KEYS", "SECRET_KEY"):
        _fernet.cache_clear()


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise CannotDecrypt("a stored secret cannot be decrypted with the keys of FIELD_ENCRYPTION_KEY nor the key "
                            "derived from DJANGO_SECRET_KEY: put the key it was written with back in the list") from None


def new_key() -> str:
    return Fernet.generate_key().decode()


class EncryptedTextField(models.TextField):
    """A secret as text in Python, encrypted in its column. `max_length` bounds the plain text (forms,
    `create_workspace`); the column holds the longer ciphertext. Only `== ""` can be looked up."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
