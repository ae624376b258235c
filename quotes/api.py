"""POST /api/v1/quotes (docs/api.md): an estimate request plus the quote's fields, answered 201.

Callers: a signed-in session (with Django's CSRF header) or an API key (``Authorization: Bearer``).
Nobody, a bad key or a failed CSRF check: 401 (403 for CSRF); signed in without a sales role: 403.
The body is validated whole (every offending field named in one 400) before anything is priced.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.auth import api_caller
from calculator import api_input
from calculator.api import api_errors, read_body
from ratecards.snapshots import Catalog
from customers.models import ID_PREFIX, Customer
from customers.terms import NO_OVERRIDES
from plans.models import PricePlan, is_currency_code
from accounts.roles import can_quote
from calculator.calls_api import read_calls
from quotes.build import price_quote
from quotes.models import Quote, is_country_code
from quotes.requests import StoredRequest
from quotes.saving import save_quote

CUSTOMER_MAX = Quote._meta.get_field("customer").max_length
QUOTE_FIELDS = {"customer", "price_plan", "valid_until", "notes", "notes_for_customer", "quote_currency", "tax_country"}
Problems = list[tuple[str, str]]


def read_quote_fields(data: dict, today: date, owner=None) -> tuple[dict, Problems]:
    """The quote's own fields; ``"customer": "cus_..."`` is a customer record the owner sees (its price
    book: default plan, currency and overrides), any other text a name."""
    problems: Problems = []
    customer = data.get("customer")
    record = None
    if not isinstance(customer, str) or not customer.strip():
        problems.append(("customer", "name the customer, e.g. \"Acme Ltd\", or give a customer's id \"cus_...\""))
    elif len(customer) > CUSTOMER_MAX:
        problems.append(("customer", f"at most {CUSTOMER_MAX} characters"))
    elif customer.strip().startswith(ID_PREFIX):
        found = Customer.objects.visible_to(owner).select_related("price_plan") if owner is not None else None
        record = found.filter(public_id=customer.strip()).first() if found is not None else None
        if record is None:
            problems.append(("customer", f"no customer has the id {customer.strip()!r} (or it is another seller's); "
                                         "give an existing customer's id, or a name without the cus_ prefix"))
    plan = None
    if data.get("price_plan") is not None:
        name = data["price_plan"]
        plan = PricePlan.objects.filter(name=name).first() if isinstance(name, str) else None
        if plan is None:
            known = ", ".join(PricePlan.objects.values_list("name", flat=True)) or "none yet"
            problems.append(("price_plan", f"no price plan is called {name!r}; known: {known}"))
    valid_until = None
    if data.get("valid_until") is not None:
        valid_until = api_input.read_date(data["valid_until"], "valid_until", problems)
        if valid_until is not None and valid_until < today:
            problems.append(("valid_until", f"must be today ({today.isoformat()}) or later"))
    notes = data.get("notes", "")
    if not isinstance(notes, str) or len(notes) > 5000:
        problems.append(("notes", "must be text of at most 5,000 characters"))
    notes_for_customer = api_input.read_bool(data.get("notes_for_customer", False), "notes_for_customer", problems)
    quote_currency = data.get("quote_currency")
    if quote_currency is not None and not (isinstance(quote_currency, str) and is_currency_code(quote_currency)):
        problems.append(("quote_currency", "must be three capital letters (ISO 4217), e.g. EUR"))
    tax_country = read_tax_country(data.get("tax_country"), problems)
    name = (customer or "").strip() if isinstance(customer, str) else ""
    if record is not None:  # the price book: its default plan, currency and country unless the body names others
        name = record.name
        plan = plan if data.get("price_plan") is not None else record.price_plan
        quote_currency = quote_currency or record.currency
        tax_country = tax_country if "tax_country" in data else record.country
    return {"customer": name, "record": record, "plan": plan,
            "overrides": record.overrides if record is not None else NO_OVERRIDES,
            "valid_until": valid_until, "notes": notes if isinstance(notes, str) else "",
            "notes_for_customer": notes_for_customer, "quote_currency": quote_currency,
            "tax_country": tax_country}, problems


def read_tax_country(value, problems: Problems) -> str:
    """The customer's country for tax: an ISO 3166 alpha-2 code (any case); absent, null or "": no tax."""
    if value is None or value == "":
        return ""
    code = value.strip().upper() if isinstance(value, str) and len(value) <= 3 else None
    if code is None or not is_country_code(code):
        shown = repr(value[:10]) if isinstance(value, str) else "this value"
        problems.append(("tax_country", f"{shown} is not a country: two letters (ISO 3166 alpha-2), e.g. \"DE\"; "
                                        "leave it out for no tax"))
        return ""
    return code


def _refused(problem: str, status: int) -> JsonResponse:
    response = api_errors([("authorization", problem)], status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="quotes"'
    return response


@csrf_exempt  # keys need no CSRF token; sessions are checked by api_caller
@require_POST
def create_quote(request: HttpRequest) -> JsonResponse:
    caller = api_caller(request)
    if caller.user is None:
        return _refused(caller.problem, 403 if caller.csrf_failed else 401)
    if not can_quote(caller.user):
        return _refused("this account may not make quotes: it needs the Sales or Sales managers group", 403)
    body = read_body(request)
    if isinstance(body, JsonResponse):
        return body
    quote, problems = quote_from_body(caller.user, body)
    if problems:
        return api_errors(problems)
    return JsonResponse(quote_json(request, quote), status=201)


def quote_from_body(owner, body: dict) -> tuple[Quote | None, Problems]:
    """Validate a quote body whole (every problem named), price it and save it for `owner`."""
    today = timezone.localdate()
    fields, problems = read_quote_fields(body, today, owner)
    catalog = Catalog()
    estimate_body = {key: value for key, value in body.items() if key not in QUOTE_FIELDS}
    parsed, estimate_problems = api_input.read_estimate(estimate_body, catalog.currencies(), today)
    problems += estimate_problems
    calls = read_calls(estimate_body, problems)
    if problems:
        return None, problems
    stored = StoredRequest(parsed.request, parsed.on, parsed.compare_on, parsed.currency, tuple(calls))
    figures, problems = price_quote(catalog, stored, fields["plan"], fields["quote_currency"], fields["tax_country"],
                                    overrides=fields["overrides"])
    if problems:
        return None, problems
    return save_quote(owner=owner, figures=figures, customer=fields["customer"], customer_record=fields["record"],
                      plan=fields["plan"],
                      valid_until=fields["valid_until"], notes=fields["notes"],
                      notes_for_customer=fields["notes_for_customer"]), []


def quote_json(request: HttpRequest, quote) -> dict:
    link = lambda name: request.build_absolute_uri(reverse(name, args=[quote.share_token]))  # noqa: E731
    result = quote.result
    return {
        "id": quote.reference,
        "url": link("quotes:share"),
        "pdf_url": link("quotes:share-pdf"),
        "csv_url": link("quotes:share-csv"),
        "customer": quote.customer,
        "customer_id": quote.customer_record.public_id if quote.customer_record_id else None,
        "currency": quote.currency,
        "total": str(quote.total),
        "meta_total": str(quote.meta_total),
        "credits_total": str(quote.credits_total) if quote.credits_total is not None else None,
        "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
        "price_plan": quote.plan_name or None,
        "tax_country": quote.tax_country or None,
        "estimate": result["estimate"],
        "totals": result["totals"],
        # A credit plan's credits by category, per market in money where the plan has a price per credit.
        "credits": result.get("credits"),
        # The same messages on each card compared, each row with the figures the totals carry (docs/api.md).
        "comparison": result["comparison"],
        "warnings": result["warnings"],
    }
