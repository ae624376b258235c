"""Who sells: the Sales and Sales managers roles, by the permission names quotes define.

Quotes and customers share these rules (a customer is part of quoting), so they live below both apps:
- "Sales" (``quotes.add_quote``): see and manage their own quotes and customers.
- "Sales managers" (``quotes.manage_all_quotes``): see and manage every one.
- Anyone else, staff included: none.
"""

from __future__ import annotations

from django.db import models

ADD = "quotes.add_quote"
MANAGE_ALL = "quotes.manage_all_quotes"


def can_quote(user) -> bool:
    """Users allowed to quote are the ones who work with customers."""
    return bool(user.is_authenticated and user.is_active and (user.has_perm(ADD) or user.has_perm(MANAGE_ALL)))


def sees_all(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(MANAGE_ALL))


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
