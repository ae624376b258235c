"""API keys for scripts: created and revoked in the admin, stored as a SHA-256 hash only.

A key is 256 random bits (``secrets.token_urlsafe(32)``) behind a short public prefix that names it in
lists and logs; it is shown once, when it is created. A fast hash is enough for keys this random (no
one can guess one to test against the hash), and lets a request be looked up by its hash directly.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

KEY_PREFIX = "wbp_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class APIKeyQuerySet(models.QuerySet):
    def active(self) -> "APIKeyQuerySet":
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class APIKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys",
                             help_text="Requests with this key act as this user, with the user's permissions.")
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. 'CRM export script'.")
    prefix = models.CharField(max_length=16, unique=True, editable=False,
                              help_text="The key's first characters: enough to recognise it, not to use it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(condition=~Q(key_hash=""), name="api_key_has_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def issue(self) -> str:
        """Give this (unsaved) key its secret; returns the key, which is never stored or shown again."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.prefix = key[: len(KEY_PREFIX) + 8]
        self.key_hash = hash_key(key)
        return key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @classmethod
    def create_for(cls, user, name: str) -> tuple["APIKey", str]:
        api_key = cls(user=user, name=name)
        key = api_key.issue()
        api_key.save()
        return api_key, key


def user_for_key(key: str):
    """The active user an unrevoked key belongs to, or None; notes when the key was last used."""
    if not key.startswith(KEY_PREFIX):
        return None
    found = APIKey.objects.active().select_related("user").filter(key_hash=hash_key(key)).first()
    if found is None:
        return None
    APIKey.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found.user
