"""The calculator page: one GET form whose URL is the estimate, results rendered as template partials.

A plain request gets the whole page; an htmx request gets only what changed: the results
(``#estimate-result``) plus out-of-band updates beside the inputs (each line's market, field errors,
the currency list), or the whole ``#calculator`` for a ready-made mix or pasted numbers. The inputs
being typed in are never swapped. Form errors are part of the page (status 200); the estimate is
priced from every line and field that is valid.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ratecards.models import CardStatus, RateCard
from ratecards.snapshots import Catalog
from calculator import exports
from calculator.forms import PREFIX, LineForm, canonical_query, read_calculator, with_management
from calculator.page import Page, build_page
from calculator.paste import SPLIT, PasteForm, merge_lines, read_numbers
from pricing_site.ratelimit import rate_limited

PAGE = "calculator/index.html"
MAX_ESTIMATE_QUERY = 20_000  # characters of the estimate a paste carries without JavaScript


def _respond(request: HttpRequest, page: Page, *, push: bool = False) -> HttpResponse:
    if not request.htmx or request.htmx.history_restore_request:
        return render(request, PAGE, page.context())
    if request.htmx.target == "calculator":
        response = render(request, f"{PAGE}#calculator", page.context())
    else:
        response = render(request, f"{PAGE}#estimate-update", page.context())
    if page.query:
        response["HX-Push-Url" if push else "HX-Replace-Url"] = f"{reverse('calculator')}?{page.query}"
    return response


@rate_limited("calculator")
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    data = request.GET
    if "add_line" in data or "remove_line" in data:
        return HttpResponseRedirect(f"{reverse('calculator')}?{_lines_changed(data)}")
    page = build_page(data if data else None, Catalog(draft=_staff_draft(request, data)))
    if data.get("format") == "csv":
        return exports.estimate_csv(page)
    return _respond(request, page, push=bool(request.htmx) and request.htmx.target == "calculator")


def _staff_draft(request: HttpRequest, data: QueryDict) -> RateCard | None:
    """`draft=<id>` in the estimate's fields (the page, its CSV, the paste box): staff try a draft card before
    publishing it. Anyone else gets the published cards, as if the field were not there: a draft never
    prices for the public."""
    value = data.get("draft", "")
    if not (value.isdigit() and len(value) <= 12 and request.user.is_active and request.user.is_staff):
        return None
    return RateCard.objects.filter(pk=int(value), status=CardStatus.DRAFT).first()


@rate_limited("calculator")
@require_GET
def estimate_csv(request: HttpRequest) -> HttpResponse:
    return exports.estimate_csv(build_page(request.GET, Catalog(draft=_staff_draft(request, request.GET))))


@rate_limited("calculator")
@require_POST
def paste_numbers(request: HttpRequest) -> HttpResponse:
    form = PasteForm(request.POST)
    data = _estimate_fields(request.POST)
    catalog = Catalog(draft=_staff_draft(request, data))
    pasted = None
    if form.is_valid():
        calc = read_calculator(data, timezone.localdate(), catalog.currencies)
        home = getattr(calc.form, "cleaned_data", {}).get("business_country") or None  # unbound: a first visit
        pasted = read_numbers(form.cleaned_data["numbers"], catalog.market_map(calc.on), home)
        chosen = form.cleaned_data
        split = chosen["monthly_total"] if chosen["use"] == SPLIT else None
        data = merge_lines(data, pasted, chosen["category"], chosen["per_recipient"], split)
        form = PasteForm(initial={name: chosen[name] for name in ("category", "use", "per_recipient", "monthly_total")})
    page = build_page(data, catalog)
    page.paste_form, page.pasted = form, pasted
    response = _respond(request, page, push=True)
    if form.has_error("numbers", "too_many"):  # over the paste's bound: the page says which, with a 400
        response.status_code = 400
    return response


@require_GET
def how_meta_charges(request: HttpRequest) -> HttpResponse:
    return render(request, "calculator/how_meta_charges.html")


def _estimate_fields(data: QueryDict) -> QueryDict:
    """The estimate's own fields from a POST that also carries the paste form and the CSRF token. With
    JavaScript they come from the estimate form itself (hx-include); without, from ``estimate`` (the
    query of the page the paste box was on, at most MAX_ESTIMATE_QUERY characters)."""
    kept = data.copy()
    for name in ("csrfmiddlewaretoken", "estimate", *PasteForm.base_fields):
        kept.pop(name, None)
    earlier = data.get("estimate", "")
    if not kept and earlier and len(earlier) <= MAX_ESTIMATE_QUERY:
        return QueryDict(earlier, mutable=True)
    return kept


def _lines_changed(data: QueryDict) -> str:
    """Without JavaScript, "Add a line" and "Remove" submit the form: the same query, one line more or less."""
    data = with_management(data)
    total = int(data[f"{PREFIX}-TOTAL_FORMS"])
    if "add_line" in data:
        data[f"{PREFIX}-TOTAL_FORMS"] = str(total + 1)
    removed = data.get("remove_line", "")
    if removed.isdigit() and int(removed) < total:
        gone = int(removed)
        for index in range(gone, total):
            for name in LineForm.base_fields:
                source = f"{PREFIX}-{index + 1}-{name}"
                target = f"{PREFIX}-{index}-{name}"
                if source in data:
                    data[target] = data[source]
                else:
                    data.pop(target, None)
        data[f"{PREFIX}-TOTAL_FORMS"] = str(max(total - 1, 1))
    data.pop("add_line", None)
    data.pop("remove_line", None)
    return canonical_query(data)
