"""Who sees which workspace: its members, and staff (who see every workspace)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import Workspace


def workspaces_for(user) -> QuerySet[Workspace]:
    if not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    if user.is_staff:
        return Workspace.objects.all()
    return Workspace.objects.filter(members=user)


def workspace_for(user, slug: str) -> Workspace:
    """The workspace if the user may see it; otherwise 404 (a non-member learns nothing, not even that it exists)."""
    found = workspaces_for(user).filter(slug=slug).first()
    if found is None:
        raise Http404("No such workspace")
    return found
