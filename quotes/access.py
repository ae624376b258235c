"""Who may do what with quotes (the roles: ``accounts/roles.py``).

- Anonymous visitors: only a quote's share link (read-only, while it is not revoked).
- "Sales" (quotes.add_quote): create quotes; see and manage their own.
- "Sales managers" (quotes.manage_all_quotes): see and manage every quote.
- Anyone else signed in, staff included: 403 on quote pages; another user's quote is a 404, so a
  reference reveals nothing.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.roles import for_sellers
from quotes.models import Quote

sales_required = for_sellers("Only the Sales and Sales managers groups work with quotes.")


def quote_for(user, reference: str) -> Quote:
    """A quote the user may see and manage, or 404 (another's quote looks like no quote at all)."""
    return get_object_or_404(Quote.objects.visible_to(user).select_related("owner", "price_plan"), reference=reference)


def shared_quote(token: str) -> Quote:
    """The quote behind an active share link; unknown and revoked links are the same 404."""
    return get_object_or_404(Quote.objects.shared(token).select_related("owner"))
