"""Cached, immutable views of the catalogue (mapping rules, market maps) for the pricing code.

Caches are per process and keyed by CatalogVersion's token, which changes in the same transaction as
any change to markets, mappings or cards (signals below; bulk writes call `bump()` themselves).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from datetime import date

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from calculator.engine.markets import MappingRule, MarketMap
from ratecards.models import AgentTokenRate, CatalogVersion, Market, MarketMapping, RateCard

_lock = threading.Lock()
_current: tuple[str | None, dict] = (None, {})


@contextlib.contextmanager
def consistent_reads():
    """Every read inside sees one snapshot of the database, so data cached under a token belongs to it.

    SQLite's transactions already read one snapshot; PostgreSQL's default (read committed) gives each
    statement its own, so the transaction asks for repeatable read. Inside an outer transaction (tests)
    the outer one's level stands.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def current_token() -> str:
    token = CatalogVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:
        token = bump()
    return token


def bump() -> str:
    token = secrets.token_hex(16)
    CatalogVersion.objects.update_or_create(pk=1, defaults={"token": token})
    return token


def memo(token: str) -> dict:
    """The cache for this catalogue version. A new version gets a new dict; a request still holding the
    old one keeps reading the old version's data until it ends."""
    global _current
    with _lock:
        if _current[0] != token:
            _current = (token, {})
        return _current[1]


def mapping_rules(cache: dict) -> tuple[MappingRule, ...]:
    """The mapping rules, kept in a version's cache (from `memo`)."""
    rules = cache.get("rules")
    if rules is None:
        rules = tuple(r.as_rule() for r in MarketMapping.objects.select_related("market"))
        cache["rules"] = rules
    return rules


def market_map(on: date, cache: dict | None = None) -> MarketMap:
    """The mapping in force on a date, from a version's cache (default: the current version's)."""
    cache = memo(current_token()) if cache is None else cache
    key = ("map", on)
    found = cache.get(key)
    if found is None:
        found = MarketMap.for_date(mapping_rules(cache), on)
        cache[key] = found
    return found


@receiver(post_save, sender=Market)
@receiver(post_delete, sender=Market)
@receiver(post_save, sender=MarketMapping)
@receiver(post_delete, sender=MarketMapping)
@receiver(post_save, sender=RateCard)
@receiver(post_delete, sender=RateCard)
@receiver(post_save, sender=AgentTokenRate)
@receiver(post_delete, sender=AgentTokenRate)
def _catalog_changed(sender, **kwargs) -> None:
    # Rates and tiers change only while their card is a draft, and drafts price nothing: the card's
    # own save (publish) is what makes them visible. Leaving them out keeps a card's delete fast.
    if kwargs.get("raw"):
        return
    bump()
