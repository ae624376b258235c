"""A draft card's page is the rate editor's workspace: what the draft changes against the card it will
take over from, a warning for what would price wrongly, Publish (with a confirmation that says a
published card never changes), "try this draft in the calculator", and one rate edited at a time.

Views here are the admin's own pages for one card (wired in `ratecards.admin`); they take the model
admin for its context and permission checks.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from ratecards.comparison import card_it_supersedes, compare_cards, missing_tiers
from ratecards.models import (
    RATE_DECIMALS,
    RATE_MAX_DIGITS,
    CardStatus,
    Category,
    Market,
    PublishedCardError,
    Rate,
    RateCard,
    VolumeTier,
)


SAMPLE_COUNTRIES = ("IN", "BR", "DE")  # a mix to start from: the editor changes it on the page


def try_in_calculator_url(card: RateCard, today: date) -> str:
    """The calculator pricing a sample mix with this draft, on its first day (or today, if later)."""
    on = max(card.effective_from, today)
    query = {"draft": card.pk, "on": on.isoformat(), "currency": card.currency,
             "lines-TOTAL_FORMS": len(SAMPLE_COUNTRIES)}
    for index, country in enumerate(SAMPLE_COUNTRIES):
        query.update({f"lines-{index}-country": country, f"lines-{index}-marketing": 10000,
                      f"lines-{index}-utility": 10000})
    return f"{reverse('calculator')}?{urlencode(query)}"


def workspace_context(card: RateCard, editable: bool) -> dict:
    """What a draft's page shows above its fields."""
    previous = card_it_supersedes(card)
    warnings = []
    if missing_tiers(card):
        warnings.append("The rules say volume tiers apply, but the card has no tiers: every message would be "
                        "priced at the list rate. Import the tiers file with the rates file, or untick the rule.")
    warnings += card.completeness_problems()
    return {
        "draft": card,
        "draft_supersedes": previous,
        "draft_same_date": previous is not None and previous.effective_from == card.effective_from,
        "comparison": compare_cards(previous, card) if previous is not None else None,
        "draft_warnings": warnings,
        "draft_editable": editable,
        "try_url": try_in_calculator_url(card, timezone.localdate()),
    }


def publish_view(model_admin, request: HttpRequest, pk: int, editor: bool) -> HttpResponse:
    """GET: the confirmation (what publishing means, what it takes over from); POST: publish."""
    card = get_object_or_404(RateCard, pk=pk)
    change_url = reverse("admin:ratecards_ratecard_change", args=[card.pk])
    if not editor:
        return HttpResponse("Only rate editors may publish.", status=403, content_type="text/plain")
    if card.status != CardStatus.DRAFT:
        messages.info(request, f"{card} is already published.")
        return HttpResponseRedirect(change_url)
    problems = card.completeness_problems()
    if request.method == "POST" and not problems:
        try:
            card.publish()
        except (PublishedCardError, ValidationError) as exc:
            problems = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        else:
            messages.success(request, f"{card} published: from {card.effective_from:%-d %B %Y} the calculator, "
                                      "the API and new quotes price with it.")
            return HttpResponseRedirect(change_url)
    previous = card_it_supersedes(card)
    context = model_admin._context(
        request, f"Publish {card}?", card=card, previous=previous, problems=problems,
        same_date=previous is not None and previous.effective_from == card.effective_from,
        no_tiers=missing_tiers(card),
    )
    return TemplateResponse(request, "admin/ratecards/ratecard/publish.html", context,
                            status=400 if request.method == "POST" else 200)


class RateEditForm(forms.Form):
    market = forms.ModelChoiceField(Market.objects.all(), to_field_name="name")
    category = forms.ChoiceField(choices=Category.choices)
    rate = forms.DecimalField(max_digits=RATE_MAX_DIGITS, decimal_places=RATE_DECIMALS, min_value=Decimal(0),
                              required=False, help_text="Leave empty where Meta has no rate (n/a).")


def edit_rate_view(model_admin, request: HttpRequest, pk: int, editor: bool) -> HttpResponse:
    """One rate of a draft, chosen from its grid: the list rate, and the first tier step that equals it."""
    card = get_object_or_404(RateCard, pk=pk)
    change_url = reverse("admin:ratecards_ratecard_change", args=[card.pk])
    if not editor or card.status != CardStatus.DRAFT:
        return HttpResponse("Only a draft's rates are edited, by rate editors.", status=403, content_type="text/plain")
    form = RateEditForm(request.POST if request.method == "POST" else None,
                        initial={"market": request.GET.get("market", "")[:80], "category": request.GET.get("category", "")[:40]})
    current = None
    if request.method == "GET" and form["market"].initial:
        current = card.rates.filter(market__name=form["market"].initial, category=form["category"].initial).first()
        if current is not None:
            form.initial["rate"] = current.rate
    if request.method == "POST" and form.is_valid():
        text = _save_rate(card, form.cleaned_data["market"], form.cleaned_data["category"], form.cleaned_data["rate"])
        messages.success(request, text)
        return HttpResponseRedirect(change_url)
    context = model_admin._context(request, f"Edit one rate of {card}", card=card, form=form, current=current)
    return TemplateResponse(request, "admin/ratecards/ratecard/edit_rate.html", context)


def _save_rate(card: RateCard, market: Market, category: str, value: Decimal | None) -> str:
    label = Category(category).label
    with transaction.atomic():
        rate, created = Rate.objects.get_or_create(card=card, market=market, category=category)
        before = None if created else rate.rate
        rate.rate = value
        rate.save()
        first = VolumeTier.objects.filter(card=card, market=market, category=category, start=0).first()
        tier_note = ""
        if first is not None and value is not None and first.rate != value:
            first.rate = value
            first.save()
            tier_note = " The first volume tier (the list rate) follows; the other steps are unchanged."
    shown = lambda v: "n/a" if v is None else str(v)  # noqa: E731
    return f"{card}: {market} {label} {shown(before)} → {shown(value)}.{tier_note}"
