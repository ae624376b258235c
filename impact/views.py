"""The impact report of a card: a staff page and its CSV (linked from the admin's compare page)."""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from impact.exports import report_csv
from impact.report import MAX_MONTH_EVENTS, MAX_QUOTES, MAX_WORKSPACES, impact_report
from pricing_site.ratelimit import rate_limited
from pricing_site.downloads import csv_download
from pricing_site.spreadsheets import csv_writer
from ratecards.models import RateCard


def staff_required(view):
    """Signed out: to the login page. Signed in without staff status: 403."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("Only staff see the impact report of a rate card.")
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@staff_required
@rate_limited("calculator")
def card_report(request: HttpRequest, card_id: int) -> HttpResponse:
    card = get_object_or_404(RateCard, pk=card_id)
    report = impact_report(card, timezone.localdate())
    return render(request, "impact/report.html", {
        "report": report, "card": card, "max_quotes": f"{MAX_QUOTES:,}", "max_workspaces": f"{MAX_WORKSPACES:,}",
        "max_events": f"{MAX_MONTH_EVENTS:,}"})


@require_GET
@staff_required
@rate_limited("calculator")
def card_report_csv(request: HttpRequest, card_id: int) -> HttpResponse:
    card = get_object_or_404(RateCard, pk=card_id)
    text = report_csv(impact_report(card, timezone.localdate()), csv_writer)
    return csv_download(text, f"impact-{card.currency}-{card.effective_from}.csv")
