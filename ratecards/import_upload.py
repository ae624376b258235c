"""The admin's import page: Meta's two files, a dry run that keeps them, and the import itself.

After a dry run (or a refusal) the files are kept server-side in the cache, one set per rate editor
(the next upload replaces it) for KEEP_SECONDS, so "Import" after a dry run needs no second upload.
Each file is at most MAX_BYTES; without a working cache the page simply asks for the files again.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django import forms
from django.core.cache import cache

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
KEEP_SECONDS = 30 * 60


@dataclass(frozen=True)
class ChosenFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class KeptFiles:
    token: str
    rates: ChosenFile
    tiers: ChosenFile | None


def _key(user_id: int) -> str:
    return f"ratecard-import-files:{user_id}"


def keep(user_id: int, rates: ChosenFile, tiers: ChosenFile | None) -> KeptFiles | None:
    """Keep the chosen files for this editor (replacing any kept before); None if the cache is down."""
    kept = KeptFiles(secrets.token_urlsafe(16), rates, tiers)
    try:
        cache.set(_key(user_id), kept, KEEP_SECONDS)
    except Exception:  # the cache (Redis) is down: the editor chooses the files again, nothing else fails
        logger.warning("import files not kept: cache unavailable", exc_info=True)
        return None
    return kept


def kept_files(user_id: int, token: str) -> KeptFiles | None:
    """The files kept for this editor under this token (another editor's token finds nothing)."""
    if not token:
        return None
    try:
        kept = cache.get(_key(user_id))
    except Exception:
        logger.warning("kept import files unreadable: cache unavailable", exc_info=True)
        return None
    if isinstance(kept, KeptFiles) and secrets.compare_digest(kept.token, token):
        return kept
    return None


def forget(user_id: int) -> None:
    try:
        cache.delete(_key(user_id))
    except Exception:
        logger.warning("kept import files not dropped: cache unavailable", exc_info=True)


class ImportForm(forms.Form):
    rates_file = forms.FileField(required=False, help_text="Meta's rates file as downloaded: CSV or XLSX.")
    tiers_file = forms.FileField(required=False, help_text="Meta's volume tiers file, CSV or XLSX (per-message cards).")
    currency = forms.CharField(max_length=3, required=False, help_text="Leave empty to read it from the title line.")
    effective_from = forms.DateField(required=False, help_text="Leave empty to read it from the title line.")
    dry_run = forms.BooleanField(required=False, initial=True, help_text="Check the files and report; write nothing.")
    kept = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    MAX_BYTES = MAX_BYTES

    def __init__(self, *args, user_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        self.kept_files: KeptFiles | None = None

    def clean(self):
        data = super().clean()
        for name in ("rates_file", "tiers_file"):
            upload = data.get(name)
            if upload and upload.size > self.MAX_BYTES:
                self.add_error(name, f"{upload.name} is {upload.size:,} bytes; a rate card is far smaller (5 MB at most).")
        if self.errors:
            return data
        kept = kept_files(self.user_id, data.get("kept", ""))
        if data.get("rates_file"):
            rates = ChosenFile(data["rates_file"].name, data["rates_file"].read())
            tiers = ChosenFile(data["tiers_file"].name, data["tiers_file"].read()) if data.get("tiers_file") else None
            self.kept_files = KeptFiles("", rates, tiers)
        elif kept is not None:
            tiers = ChosenFile(data["tiers_file"].name, data["tiers_file"].read()) if data.get("tiers_file") else kept.tiers
            # A newly chosen tiers file makes a new set to keep (token ""); otherwise the kept set as it is.
            self.kept_files = KeptFiles("" if data.get("tiers_file") else kept.token, kept.rates, tiers)
        elif data.get("kept"):
            self.add_error("rates_file", "The files of the dry run are no longer kept (after 30 minutes, or by "
                                         "another upload): choose them again.")
        else:
            self.add_error("rates_file", "Choose Meta's rates file.")
        return data
