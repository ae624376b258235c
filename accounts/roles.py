"""Who sells: the Sales and Sales managers roles, by the permission names quotes define.

Quotes and customers share these rules (a customer is part of quoting), so they live below both apps:
- "Sales" (``quotes.add_quote``): see and manage their own quotes and customers.
- "Sales managers" (``quotes.manage_all_quotes``): see and manage every one.
- Anyone else, staff included: none.
"""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models

ADD = "quotes.add_quote"
MANAGE_ALL = "quotes.manage_all_quotes"


def can_quote(user) -> bool:
    """Users allowed to quote are the ones who work with customers."""
    return bool(user.is_authenticated and user.is_active and (user.has_perm(ADD) or user.has_perm(MANAGE_ALL)))


def sees_all(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(MANAGE_ALL))


def for_sellers(refusal: str):
    """A view decorator: signed out, to the login page; signed in without a sales role, 403 `refusal`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can_quote(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class OwnedBySellerQuerySet(models.QuerySet):
    """Rows with an ``owner``: sales managers see every row; sales users their own; anyone else none."""

    def visible_to(self, user) -> "OwnedBySellerQuerySet":
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.has_perm(MANAGE_ALL):
            return self.all()
        if user.has_perm(ADD):
            return self.filter(owner=user)
        return self.none()
