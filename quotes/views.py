"""Quote pages: my quotes, a new quote (from the calculator or a copy), a quote, its share link, PDF and CSV.

Every page is a plain form that works without JavaScript; htmx (where the page has it) swaps the
list's results and the reprice panel, from the ``{% partialdef %}`` fragments of the same templates.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import sees_all
from calculator.calls_page import read_calls_section
from ratecards.snapshots import Catalog
from calculator.forms import read_calculator
from calculator.regimes import comparison_dates
from customers.models import Customer
from customers.terms import NO_OVERRIDES
from quotes import exports
from quotes.access import quote_for, sales_required, shared_quote
from quotes.build import MissingRate, QuoteFigures, on_own_card, price_quote
from quotes.forms import DEFAULT_VALIDITY, QuoteFilterForm, QuoteForm, exchange_rate_help
from quotes.models import Quote, QuoteStatus
from quotes.presenting import document_context, reprice_context
from quotes.requests import StoredRequest, request_from_json
from quotes.saving import save_quote


@require_GET
@sales_required
def my_quotes(request: HttpRequest) -> HttpResponse:
    form = QuoteFilterForm(request.GET)
    quotes = Quote.objects.visible_to(request.user).select_related("owner")
    if form.is_valid():
        quotes = quotes.search(form.cleaned_data["q"])
        if form.cleaned_data["status"]:
            quotes = quotes.with_status(form.cleaned_data["status"], timezone.localdate())
    page = Paginator(quotes.order_by(form.ordering(), "-pk"), 50).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "sees_all": sees_all(request.user), "today": timezone.localdate(),
               "query": _without_page(request.GET)}
    template = "quotes/list.html#results" if request.htmx else "quotes/list.html"
    return render(request, template, context)


def _without_page(query: QueryDict) -> str:
    kept = query.copy()
    kept.pop("page", None)
    return kept.urlencode()


@require_http_methods(["GET", "POST"])
@sales_required
def new_quote(request: HttpRequest) -> HttpResponse:
    """The form; "Preview" (or htmx on every change) prices it without saving, "Save the quote" saves."""
    today = timezone.localdate()
    catalog = Catalog()
    data = request.POST if request.method == "POST" else None
    source_ref = (data or request.GET).get("source") or request.GET.get("from", "")
    source = quote_for(request.user, source_ref) if source_ref else None
    query = "" if source else (data.get("query", "") if data else request.GET.urlencode())
    stored, problems = _stored_request(source, query, today, catalog)
    form = QuoteForm(data, today=today, card_currencies=catalog.currencies(), user=request.user,
                     initial=_initial(source, query, stored, today))
    preview, missing = None, []
    wants_preview = data is not None and ("preview" in data or request.htmx)
    # A preview prices the form before the customer is typed in; saving needs every field.
    if data is not None and stored is not None and (form.is_valid() or (wants_preview and set(form.errors) == {"customer"})):
        form.cleaned_data.setdefault("overrides", NO_OVERRIDES)
        stored = _as_quoted(form, stored, source, catalog)
        figures, missing = _price(form, stored, catalog)
        if figures is not None and not wants_preview:
            with transaction.atomic():  # a new customer record and its quote, or neither
                record = form.cleaned_data["record"] or _new_customer(form, figures.currency, request.user)
                quote = save_quote(owner=request.user, figures=figures, customer=form.cleaned_data["customer"],
                                   customer_record=record, plan=form.cleaned_data["price_plan"],
                                   valid_until=form.cleaned_data["valid_until"], notes=form.cleaned_data["notes"],
                                   notes_for_customer=form.cleaned_data["notes_for_customer"],
                                   calculator_query=query, duplicated_from=source)
            messages.success(request, f"Quote {quote.reference} for {quote.customer} saved.")
            return redirect("quotes:detail", reference=quote.reference)
        preview = figures.result if figures is not None else None
    context = {"form": form, "stored": stored, "problems": problems, "source": source, "preview": preview,
               "missing_rates": [exchange_rate_help(m, request.user) for m in missing],
               "calculator_url": "/?" + query if query else "/"}
    if request.htmx and data is not None:  # the preview fragment, errors included: always 200
        return render(request, "quotes/new.html#preview", context)
    return render(request, "quotes/new.html", context,
                  status=400 if data is not None and (form.errors or stored is None) else 200)


def _new_customer(form: QuoteForm, currency: str, owner) -> Customer | None:
    """The typed name as a customer record when a country was given; otherwise the quote keeps a name only."""
    country = form.cleaned_data.get("new_country")
    if not country:
        return None
    customer = Customer(name=form.cleaned_data["customer"], country=country, currency=currency, owner=owner)
    customer.full_clean()
    customer.save()
    return customer


def _as_quoted(form: QuoteForm, stored: StoredRequest, source: Quote | None, catalog: Catalog) -> StoredRequest:
    """The request on the chosen date, on the card of the quote's currency where it has one."""
    stored = replace(stored, on=form.cleaned_data["on"])
    stored = on_own_card(catalog, stored, form.cleaned_data["price_plan"], form.cleaned_data["quote_currency"] or None)
    if source is None:  # from the calculator: the quote keeps the comparisons the page shows
        stored = replace(stored, compare_on=comparison_dates(catalog, stored.currency, stored.on))
    return stored


def _price(form: QuoteForm, stored: StoredRequest, catalog: Catalog) -> tuple[QuoteFigures | None, list[MissingRate]]:
    data = form.cleaned_data
    figures, problems = price_quote(catalog, stored, data["price_plan"], data["quote_currency"] or None,
                                    data["tax_country"], overrides=data["overrides"])
    for problem in problems:
        if problem.field in form.fields:
            form.add_error(problem.field, problem.message)
        else:  # a line of the calculator's inputs: named as the API names it
            form.add_error(None, f"{problem.field}: {problem.message}")
    return figures, [p for p in problems if isinstance(p, MissingRate)]


def _stored_request(source: Quote | None, query: str, today: date, catalog: Catalog) -> tuple[StoredRequest | None, list[str]]:
    if source is not None:
        return request_from_json(source.request), []
    calculator = read_calculator(QueryDict(query), today, catalog.currencies)
    if calculator.request is None or calculator.currency is None:
        return None, ["There is nothing to quote yet: enter the monthly messages in the calculator, then save them "
                      "as a quote."]
    if calculator.has_errors:
        return None, ["Some of the calculator's inputs need fixing first."] + calculator.notices
    calls_section = read_calls_section(QueryDict(query))  # the calculator's calls section
    if any(form.errors for form in calls_section.formset.forms):
        return None, ["Some of the calculator's calls lines need fixing first."]
    calls = tuple(calls_section.asks)
    return StoredRequest(calculator.request, calculator.on, None, calculator.currency, calls), []


def _initial(source: Quote | None, query: str, stored: StoredRequest | None, today: date) -> dict:
    initial = {"valid_until": today + DEFAULT_VALIDITY, "query": query, "on": today}
    if stored is not None and source is None:
        initial["on"] = stored.on
    if source is not None:
        initial |= {"source": source.reference, "customer": source.customer, "notes": source.notes,
                    "customer_id": source.customer_record.public_id if source.customer_record_id else None,
                    "notes_for_customer": source.notes_for_customer, "tax_country": source.tax_country,
                    "price_plan": source.price_plan.name if source.price_plan else None}
    return initial


@require_GET
@sales_required
def quote_detail(request: HttpRequest, reference: str) -> HttpResponse:
    quote = quote_for(request.user, reference)
    return render(request, "quotes/detail.html", _detail_context(request, quote))


def _detail_context(request: HttpRequest, quote: Quote) -> dict:
    share_url = request.build_absolute_uri(reverse("quotes:share", args=[quote.share_token]))
    return {"quote": quote, "share_url": share_url, "statuses": QuoteStatus.choices,
            "can_change": request.user.has_perm("quotes.change_quote"), **document_context(quote, internal=True)}


@require_GET
@sales_required
def reprice(request: HttpRequest, reference: str) -> HttpResponse:
    quote = quote_for(request.user, reference)
    context = _detail_context(request, quote) | reprice_context(quote, Catalog(), timezone.localdate())
    return render(request, "quotes/detail.html#reprice" if request.htmx else "quotes/detail.html", context)


def _changeable(request: HttpRequest, reference: str) -> Quote:
    quote = quote_for(request.user, reference)
    if not request.user.has_perm("quotes.change_quote"):
        raise PermissionDenied("You may look at quotes but not change them.")
    return quote


@require_POST
@sales_required
def set_status(request: HttpRequest, reference: str) -> HttpResponse:
    quote = _changeable(request, reference)
    status = request.POST.get("status", "")
    if status not in QuoteStatus.values:
        messages.error(request, f"Choose a status: {', '.join(QuoteStatus.labels)}.")
    else:
        quote.set_status(status)
        messages.success(request, f"Marked {QuoteStatus(status).label.lower()}.")
    return redirect("quotes:detail", reference=quote.reference)


@require_POST
@sales_required
def revoke_share(request: HttpRequest, reference: str) -> HttpResponse:
    quote = _changeable(request, reference)
    quote.revoke_share()
    messages.success(request, "The share link is revoked: it now answers 'not found'.")
    return redirect("quotes:detail", reference=quote.reference)


@require_POST
@sales_required
def renew_share(request: HttpRequest, reference: str) -> HttpResponse:
    quote = _changeable(request, reference)
    with transaction.atomic():
        quote.renew_share()
    messages.success(request, "A new share link is ready; the old one no longer works.")
    return redirect("quotes:detail", reference=quote.reference)


@require_GET
@sales_required
def quote_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    return exports.pdf_response(request, quote_for(request.user, reference))


@require_GET
@sales_required
def quote_csv(request: HttpRequest, reference: str) -> HttpResponse:
    return exports.csv_response(quote_for(request.user, reference), internal=True)


# --- The share link: no account, read-only ---------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def share(request: HttpRequest, token: str) -> HttpResponse:
    quote = shared_quote(token)
    context = {"quote": quote, "base_template": "base.html", "for_pdf": False,
               "pdf_url": reverse("quotes:share-pdf", args=[token]), "csv_url": reverse("quotes:share-csv", args=[token]),
               **document_context(quote, internal=False)}
    return _private(render(request, "quotes/share.html", context))


@require_GET
def share_pdf(request: HttpRequest, token: str) -> HttpResponse:
    return _private(exports.pdf_response(request, shared_quote(token)))


@require_GET
def share_csv(request: HttpRequest, token: str) -> HttpResponse:
    return _private(exports.csv_response(shared_quote(token)))

