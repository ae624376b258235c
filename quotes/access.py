"""Who may do what with quotes (the roles: ``accounts/roles.py``).

- Anonymous visitors: only a quote's share link (read-only, while it is not revoked).
- "Sales" (quotes.add_quote): create quotes; see and manage their own.
- "Sales managers" (quotes.manage_all_quotes): see and manage every quote.
- Anyone else signed in, staff included: 403 on quote pages; another user's quote is a 404, so a
  reference reveals nothing.
"""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.roles import can_quote
from quotes.models import Quote


def sales_required(view):
    """Signed out: to the login page. Signed in without a sales role: 403."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_quote(request.user):
            raise PermissionDenied("Only the Sales and Sales managers groups work with quotes.")
        return view(request, *args, **kwargs)

    return wrapped


def quote_for(user, reference: str) -> Quote:
    """A quote the user may see and manage, or 404 (another's quote looks like no quote at all)."""
    return get_object_or_404(Quote.objects.visible_to(user).select_related("owner", "price_plan"), reference=reference)


def shared_quote(token: str) -> Quote:
    """The quote behind an active share link; unknown and revoked links are the same 404."""
    return get_object_or_404(Quote.objects.shared(token).select_related("owner"))
