"""Customer pages for salespeople: the list, a customer (price book, quotes, usage on its terms), the form.

Who sees what follows the quotes' rules (``accounts.roles``): another
seller's customer is a 404. Forms work without JavaScript; htmx gets the form's fragment, errors
included, with status 200.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import for_sellers, sees_all
from customers.forms import CustomerForm
from customers.models import Customer
from customers.pricebook import month_on_terms, price_book_lines

sellers_only = for_sellers("Only the Sales and Sales managers groups work with customers.")


def _customer(request: HttpRequest, public_id: str) -> Customer:
    return get_object_or_404(Customer.objects.visible_to(request.user).select_related("price_plan", "workspace"),
                             public_id=public_id)


@require_GET
@sellers_only
def customer_list(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:200]
    customers = Customer.objects.visible_to(request.user).search(text).select_related("owner", "price_plan")
    page = Paginator(customers, 50).get_page(request.GET.get("page"))
    context = {"page": page, "q": text, "query": "q=" + quote(text), "sees_all": sees_all(request.user)}
    return render(request, "customers/list.html#results" if request.htmx else "customers/list.html", context)


@require_GET
@sellers_only
def customer_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    customer = _customer(request, public_id)
    today = timezone.localdate()
    quotes = customer.quotes.visible_to(request.user).select_related("owner")
    context = {"customer": customer, "price_book": price_book_lines(customer, today), "quotes": quotes,
               "month": month_on_terms(customer, today), "today": today}
    return render(request, "customers/detail.html", context)


@require_http_methods(["GET", "POST"])
@sellers_only
def customer_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, Customer(owner=request.user))


@require_http_methods(["GET", "POST"])
@sellers_only
def customer_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    return _edit(request, _customer(request, public_id))


def _edit(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = CustomerForm(request.POST if request.method == "POST" else None, instance=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, f"Customer {saved.name} saved.")
        return redirect("customers:detail", public_id=saved.public_id)
    context = {"form": form, "customer": customer if customer.pk else None}
    if request.htmx and request.method == "POST":
        return render(request, "customers/form.html#form", context)
    return render(request, "customers/form.html", context, status=400 if form.errors else 200)
