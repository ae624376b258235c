"""Counting a workspace's months again after its time zone or its business changed.

A message's day and month are the account's (its time zone), and its tier depends on every charged
message of its business that month; both are stored with the message. When a workspace moves to another
time zone or business, its rows get their days and months again, and every month of each business
involved is walked from its start and summed again (`usage.store`).
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

from ratecards.snapshots import Catalog

from .calls import call_months, price_call_months, redate_calls
from .charges import Pricer
from .models import Business, DailyUsage, Message, Workspace
from .store import MonthCounter, MonthFacts, TABLE, pricers_for, rebuild_month, reprice_month, scope_of

CHUNK = 5000


def recount(workspace_ids: list[int], moved: list[int] | None = None) -> list[date]:
    """Days and months of `moved` workspaces again, then every month of the businesses of `workspace_ids`.

    `workspace_ids` names every workspace whose counts may have changed (a workspace that left a business
    and the business it left). Answers the months walked.
    """
    catalog = Catalog()
    with transaction.atomic():
        for pk in moved or ():
            _redate(pk, catalog)
            redate_calls(Workspace.objects.get(pk=pk))  # calls have months too, priced below (usage/calls.py)
        scopes: dict[tuple[int, ...], None] = {}
        for pk in workspace_ids:
            scopes[tuple(scope_of(pk))] = None
        walked: set[date] = set()
        for scope in scopes:
            ids = list(scope)
            pricers = pricers_for(ids, Pricer(catalog))
            months = set(Message.objects.filter(workspace_id__in=ids).values_list("month", flat=True).distinct())
            months |= set(DailyUsage.objects.filter(workspace_id__in=ids).values_list("month", flat=True).distinct())
            for month in sorted(months):
                reprice_month(ids, month, 0, pricers)
                for pk in ids:
                    rebuild_month(pk, month, facts_of(pk, month))
            minutes_months = call_months(ids)  # call minutes share the business's tiers as messages do
            price_call_months(ids, minutes_months)
            walked |= months | minutes_months
    return sorted(walked)


def _redate(workspace_id: int, catalog: Catalog) -> None:
    """Each message's day and month in the workspace's (new) time zone; changed rows are marked dirty."""
    pricer = Pricer(catalog, tz=Workspace.objects.get(pk=workspace_id).tz)
    adapt = connection.ops.adapt_datefield_value
    update = f"UPDATE {TABLE} SET day = %s, month = %s, dirty = TRUE WHERE id = %s"
    after = 0
    while True:
        rows = list(Message.objects.filter(workspace_id=workspace_id, id__gt=after).order_by("id")
                    .values_list("id", "ts", "day", "month")[:CHUNK])
        if not rows:
            return
        changes = []
        for pk, ts, day, month in rows:
            local = pricer.day(ts)
            if local.day != day or local.month != month:
                changes.append((adapt(local.day), adapt(local.month), pk))
        if changes:
            with connection.cursor() as cursor:
                cursor.executemany(update, changes)
        after = rows[-1][0]


def facts_of(workspace_id: int, month: date) -> MonthFacts:
    """What a month's summary records, read from its rows: the business numbers, and legacy pricing."""
    rows = Message.objects.filter(workspace_id=workspace_id, month=month)
    phones = set(rows.filter(inbound=False).exclude(phone_number_id="").values_list("phone_number_id", flat=True)
                 .distinct())
    return MonthFacts(MonthCounter(), phones, rows.filter(pricing_model="CBP").exists())


def apply_settings(workspace: Workspace, *, timezone: str | None = None, business: str | None = None) -> bool:
    """Change a saved workspace's time zone and/or business (by name, created if new; "" leaves one),
    then count what that changes again. Answers whether anything changed. The values are validated first.
    """
    before_zone, before_business = workspace.timezone, workspace.business_id
    with transaction.atomic():
        if timezone is not None:
            workspace.timezone = timezone
        if business is not None:
            workspace.business = (Business.objects.get_or_create(name=business.strip())[0]
                                  if business.strip() else None)
        workspace.full_clean(exclude=["members"])
        workspace.save()
        changed_after_save(workspace, before_zone, before_business)
    return (workspace.timezone, workspace.business_id) != (before_zone, before_business)


def changed_after_save(workspace: Workspace, before_zone: str, before_business: int | None) -> None:
    """Recount after a save that changed the time zone or the business (the admin and the command)."""
    if workspace.timezone == before_zone and workspace.business_id == before_business:
        return
    affected = [workspace.pk]
    if before_business is not None and before_business != workspace.business_id:
        left = Workspace.objects.filter(business_id=before_business).values_list("pk", flat=True).first()
        if left is not None:
            affected.append(left)
    recount(affected, moved=[workspace.pk] if workspace.timezone != before_zone else [])
