"""Customers with their own terms (issue 14): the record, its price book on quotes (the site's form, the
API, a copy), its page (quotes, the workspace's month on its terms), who sees it, and bad input.

Figures are worked by hand from the shipped USD 2026-10-01 card (ratecards/data/ratecards/
usd-rates-2026-10-01.csv, India: marketing 0.0118, utility 0.0014, authentication 0.0014,
authentication-international 0.0304; marketing has no volume tiers).
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User

from accounts.models import APIKey
from customers.models import Customer
from customers.pricebook import month_on_terms
from plans.defaults import load_example_package
from quotes import testing
from quotes.models import Quote, QuoteStatus, TaxSetting
from usage.ingest import ingest
from usage.models import Workspace

pytestmark = pytest.mark.django_db
D = Decimal
SAMPLE = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-webhooks.jsonl"
MIX = urlencode({"on": "2026-11-01", "currency": "USD", "lines-0-country": "IN", "lines-0-marketing": "10000"})
API_MIX = {"on": "2026-11-01", "lines": [{"country": "IN", "marketing": 10000}]}
# The plan (quotes.testing.money_plan): marketing +10 %, utility +20 %, 0.001 USD a message, 0.01 USD a
# receptive window, 99 USD a month, 5 % discount. The customer's own terms on top:
OVERRIDES = {"markup_marketing": D(25), "fee_per_message": D("0.002"), "discount_percent": D(10), "monthly_fee": D(50)}
# 10,000 India marketing messages, on the customer's terms:
#   Meta: 10,000 x 0.0118 = 118.00
#   markup 25 % of 118.00 = 29.50; fee 10,000 x 0.002 = 20.00; no service, so no receptive windows
#   usage 118.00 + 29.50 + 20.00 = 167.50; + platform fee 50 = 217.50; - 10 % (21.75) = 195.75 USD
META = D("118.00")
ON_CUSTOMERS_TERMS = D("195.75")
# The same on the plan alone: 118 + 11.80 + 10.00 = 139.80; + 99 = 238.80; - 5 % (11.94) = 226.86 USD
ON_PLANS_TERMS = D("226.86")


@pytest.fixture
def seller(client) -> User:
    user = testing.user("sam", testing.SALES)
    client.force_login(user)
    return user


@pytest.fixture
def acme(seller) -> Customer:
    return testing.customer(seller, "Acme Ltd", testing.money_plan("Acme standard"), **OVERRIDES)


def quote_form(**fields) -> dict:
    return {"customer_id": "", "customer": "", "new_country": "", "price_plan": "", "on": "2026-11-01",
            "valid_until": "2027-01-01", "query": MIX, "notes": "", "quote_currency": ""} | fields


def api(client, body, key):
    return client.post("/api/v1/quotes", json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


# --- The record -------------------------------------------------------------------------------------------

def test_a_customer_id_is_cus_and_96_random_url_safe_bits(acme, seller):
    other = testing.customer(seller, "Other Ltd")
    assert re.fullmatch(r"cus_[A-Za-z0-9_-]{16}", acme.public_id)  # 16 x 6 bits = 96 bits
    assert acme.public_id != other.public_id


# --- Quotes on the customer's terms ---------------------------------------------------------------------

def test_the_new_quote_form_prices_a_chosen_customer_on_its_price_book(client, acme):
    response = client.post("/quotes/new/", quote_form(customer_id=acme.public_id))
    assert response.status_code == 302, response.content.decode()[:2000]
    quote = Quote.objects.get()
    assert (quote.customer_record, quote.customer, quote.plan_name) == (acme, "Acme Ltd", "Acme standard")
    assert (quote.currency, quote.meta_total, quote.total) == ("USD", META, ON_CUSTOMERS_TERMS)
    totals = quote.result["totals"]
    assert (totals["markup"], totals["message_fees"], totals["monthly_fee"], totals["subtotal"], totals["discount"]) \
        == ("29.50", "20.00", "50.00", "217.50", "21.75")
    assert quote.result["plan"]["customer_overrides"] == {
        "markup_marketing": "25.000", "fee_per_message": "0.0020", "discount_percent": "10.000", "monthly_fee": "50.0000"}


def test_typing_an_existing_customers_exact_name_picks_that_customer(client, acme):
    assert client.post("/quotes/new/", quote_form(customer="acme ltd")).status_code == 302
    quote = Quote.objects.get()
    assert (quote.customer_record, quote.total) == (acme, ON_CUSTOMERS_TERMS)


def test_a_new_name_with_a_country_creates_the_customer_with_its_quote(client, seller):
    testing.money_plan("Acme standard")
    response = client.post("/quotes/new/", quote_form(customer="Globex SA", new_country="br",
                                                      price_plan="Acme standard"))
    assert response.status_code == 302
    quote = Quote.objects.get()
    created = Customer.objects.get()
    assert (created.name, created.country, created.currency, created.owner) == ("Globex SA", "BR", "USD", seller)
    assert quote.customer_record == created
    assert quote.total == ON_PLANS_TERMS  # a new customer has no overrides: the plan's terms


def test_a_name_alone_keeps_working_as_before_customers(client, seller):
    assert client.post("/quotes/new/", quote_form(customer="Walk-in Ltd")).status_code == 302
    quote = Quote.objects.get()
    assert (quote.customer, quote.customer_record, quote.total) == ("Walk-in Ltd", None, META)
    assert not Customer.objects.exists()


def test_a_bad_country_for_a_new_customer_saves_nothing(client, seller):
    response = client.post("/quotes/new/", quote_form(customer="Globex SA", new_country="XX"))
    assert response.status_code == 400
    assert "two letters of ISO 3166" in response.content.decode()
    assert not Quote.objects.exists() and not Customer.objects.exists()


def test_the_api_takes_a_customer_id_and_prices_its_price_book(client, acme, seller):
    key = APIKey.create_for(seller, "CRM")[1]
    response = api(client, {"customer": acme.public_id, **API_MIX}, key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["customer"], body["customer_id"], body["price_plan"]) == ("Acme Ltd", acme.public_id, "Acme standard")
    assert (body["totals"]["meta"], body["totals"]["provider"], body["total"]) == ("118.00", "195.75", "195.75")
    assert Quote.objects.get().customer_record == acme


def test_the_api_price_plan_replaces_the_default_plan_and_the_overrides_stay_on_top(client, acme, seller):
    testing.money_plan("Lean", markup_marketing=D(0), fee_per_message=D(0), monthly_fee=D(10), discount_percent=D(0))
    key = APIKey.create_for(seller, "CRM")[1]
    body = api(client, {"customer": acme.public_id, "price_plan": "Lean", **API_MIX}, key).json()
    # Lean's terms with Acme's overrides: 118 + 29.50 + 20.00 + 50 (Acme's fee, not Lean's 10) = 217.50; - 10 %
    assert body["totals"]["provider"] == "195.75" and body["price_plan"] == "Lean"


def test_the_api_by_name_still_makes_a_quote_without_a_customer_record(client, acme, seller):
    key = APIKey.create_for(seller, "CRM")[1]
    body = api(client, {"customer": "Acme Ltd", **API_MIX}, key).json()
    assert body["customer_id"] is None and body["total"] == "118.00"  # a name: no price book, Meta's prices


@pytest.mark.parametrize("customer", ["cus_doesnotexist0000", "cus_"])
def test_an_unknown_customer_id_is_a_400_naming_customer(client, seller, customer):
    key = APIKey.create_for(seller, "CRM")[1]
    response = api(client, {"customer": customer, **API_MIX}, key)
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "no customer has the id" in errors["customer"]
    assert not Quote.objects.exists()


def test_another_sellers_customer_id_is_unknown_to_the_api(client, acme):
    other = testing.user("olga", testing.SALES)
    key = APIKey.create_for(other, "CRM")[1]
    response = api(client, {"customer": acme.public_id, **API_MIX}, key)
    assert response.status_code == 400 and "customer" in response.content.decode()
    assert "Acme" not in response.content.decode()


def test_a_package_plan_refuses_a_customers_overrides_rather_than_dropping_them(client, acme, seller):
    load_example_package()
    key = APIKey.create_for(seller, "CRM")[1]
    response = api(client, {"customer": acme.public_id, "price_plan": "example-package", **API_MIX}, key)
    assert response.status_code == 400
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "package plan has no markups" in errors["price_plan"]
    assert not Quote.objects.exists()


def test_a_saved_quote_keeps_its_price_when_the_price_book_changes(client, acme):
    client.post("/quotes/new/", quote_form(customer_id=acme.public_id))
    for name in OVERRIDES:
        setattr(acme, name, None)
    acme.save()
    client.post("/quotes/new/", quote_form(customer_id=acme.public_id))
    first, second = Quote.objects.order_by("pk")
    first.refresh_from_db()
    assert (first.total, second.total) == (ON_CUSTOMERS_TERMS, ON_PLANS_TERMS)
    page = client.get(f"/quotes/{first.reference}/").content.decode()
    assert "195.75" in page and f'href="/customers/{acme.public_id}/"' in page
    # Repricing uses today's price book (the plan alone now): 226.86 beside the saved 195.75.
    repriced = client.get(f"/quotes/{first.reference}/reprice/").content.decode()
    assert "226.86" in repriced


# --- Tax: the customer's country, on the net after its price book -----------------------------------------

@pytest.fixture
def gst(acme):
    return TaxSetting.objects.create(country="IN", name="GST", rate=D(18), effective_from=date(2020, 1, 1))


def test_a_customer_quote_from_the_form_takes_the_customers_country_for_tax(client, acme, gst):
    assert client.post("/quotes/new/", quote_form(customer_id=acme.public_id)).status_code == 302
    quote = Quote.objects.get()
    # Net on the customer's terms 195.75 (above); GST 18 %: 195.75 x 0.18 = 35.235 -> 35.24 (half up);
    # gross 195.75 + 35.24 = 230.99 USD.
    assert (quote.tax_country, quote.total, quote.tax_total) == ("IN", ON_CUSTOMERS_TERMS, D("35.24"))
    totals = quote.result["totals"]
    assert (totals["meta"], totals["provider"], totals["tax"], totals["gross"]) == ("118.00", "195.75", "35.24", "230.99")


def test_a_customer_quote_by_id_from_the_api_is_taxed_on_its_terms(client, acme, gst, seller):
    key = APIKey.create_for(seller, "CRM")[1]
    body = api(client, {"customer": acme.public_id, **API_MIX}, key).json()
    assert body["tax_country"] == "IN"
    assert (body["totals"]["provider"], body["totals"]["tax"], body["totals"]["gross"]) == ("195.75", "35.24", "230.99")
    # The body's own tax_country wins; "" is no tax.
    untaxed = api(client, {"customer": acme.public_id, "tax_country": "", **API_MIX}, key).json()
    assert (untaxed["tax_country"], untaxed["totals"]["tax"], untaxed["totals"]["gross"]) == (None, "0.00", "195.75")


# --- The customer's page ----------------------------------------------------------------------------------

def test_the_customer_page_lists_its_quotes_with_status_and_formatted_totals(client, acme, seller):
    big = testing.customer(seller, "Big Co", testing.money_plan("Big", monthly_fee=D(1000), discount_percent=D(0)))
    client.post("/quotes/new/", quote_form(customer_id=acme.public_id))
    client.post("/quotes/new/", quote_form(customer_id=big.public_id))
    Quote.objects.get(customer_record=acme).set_status(QuoteStatus.SENT)
    page = client.get(f"/customers/{big.public_id}/").content.decode()
    # Big: 118 + 11.80 + 10.00 + 1,000 = 1,139.80 USD (no discount)
    assert re.search(r'data-testid="customer-quote-total">1,139\.80 USD<', page)
    page = client.get(f"/customers/{acme.public_id}/").content.decode()
    assert re.search(r'data-testid="customer-quote-total">195\.75 USD<', page) and "1,139.80" not in page
    assert "Sent" in page
    assert "Marketing markup: 25% (instead of the plan&#x27;s 10%)" in page
    assert "Utility markup: the plan&#x27;s 20%" in page
    assert "Monthly platform fee: 50 USD (instead of the plan&#x27;s 99 USD)" in page


@pytest.fixture
def with_workspace(acme):
    workspace = Workspace.objects.create(name="Acme Retail", slug="acme")
    with SAMPLE.open("rb") as sample:
        ingest(sample, workspace, SAMPLE.name)
    acme.workspace = workspace
    # The month's own override set: marketing +50 %, authentication +100 %, 0.01 a message, 20 a month,
    # the plan's 5 % discount; the plan charges 0.01 per receptive window, so none here to keep it countable.
    acme.markup_marketing, acme.markup_authentication = D(50), D(100)
    acme.fee_per_message, acme.monthly_fee, acme.discount_percent = D("0.01"), D(20), None
    acme.price_plan.terms.update(fee_per_receptive_window=0)
    acme.save()
    return acme


def test_the_workspaces_last_full_month_is_priced_on_the_customers_terms(with_workspace):
    month = month_on_terms(with_workspace, date(2026, 12, 5))
    # November 2026's paid messages (tests/test_usage_charges.py): India marketing 0.0118, India utility
    # 0.0014, India authentication-international 0.0304, Rest of Latin America authentication 0.0113.
    #   Meta: 0.0549 -> 0.05 USD
    #   marketing 0.0118 + 50 % 0.0059 + 0.01 = 0.0277; utility 0.0014 + 20 % 0.00028 + 0.01 = 0.01168;
    #   auth-intl 0.0304 + 100 % 0.0304 + 0.01 = 0.0708; auth 0.0113 + 0.0113 + 0.01 = 0.0326
    #   usage 0.14278 + 20 = 20.14278; - 5 % (1.007139) = 19.135641 -> 19.14 USD
    assert (month.month, month.paid_messages, month.meta, month.price) == (date(2026, 11, 1), 4, D("0.05"), D("19.14"))
    assert month.extras == [("Monthly platform fee", D("20.00")), ("Discount 5%", D("-1.01"))]
    rows = {(r["market"], r["category"]): (r["meta"], r["price"]) for r in month.rows}
    assert rows[("India", "Authentication-international")] == (D("0.03"), D("0.07"))


def test_the_customer_page_shows_that_month(client, with_workspace, monkeypatch):
    monkeypatch.setattr("customers.views.timezone.localdate", lambda: date(2026, 12, 5))
    page = client.get(f"/customers/{with_workspace.public_id}/").content.decode()
    assert "November 2026" in page
    assert re.search(r'data-testid="month-meta">0\.05 USD<', page)
    assert re.search(r'data-testid="month-price">19\.14 USD<', page)


# --- Who sees what ----------------------------------------------------------------------------------------

def test_a_seller_sees_their_own_customers_and_a_manager_every_one(client, acme):
    olga = testing.user("olga", testing.SALES)
    theirs = testing.customer(olga, "Initech")
    listed = client.get("/customers/").content.decode()
    assert "Acme Ltd" in listed and "Initech" not in listed
    assert client.get(f"/customers/{theirs.public_id}/").status_code == 404
    assert client.get(f"/customers/{theirs.public_id}/edit/").status_code == 404
    client.force_login(testing.user("maya", testing.SALES_MANAGERS))
    listed = client.get("/customers/").content.decode()
    assert "Acme Ltd" in listed and "Initech" in listed
    assert client.get(f"/customers/{theirs.public_id}/").status_code == 200


def test_the_list_is_searchable_by_name(client, acme, seller):
    testing.customer(seller, "Globex SA", country="BR")
    found = client.get("/customers/?q=glob").content.decode()
    assert "Globex SA" in found and "Acme Ltd" not in found
    fragment = client.get("/customers/?q=acme", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="results"') and "Acme Ltd" in fragment


# --- The customer form ------------------------------------------------------------------------------------

def customer_form(**fields) -> dict:
    return {"name": "Globex SA", "country": "br", "currency": "usd", "billing_email": "ap@globex.example",
            "notes": "", "workspace": "", "price_plan": "", "markup_marketing": "", "markup_utility": "",
            "markup_authentication": "", "markup_service": "", "fee_per_message": "", "discount_percent": "",
            "monthly_fee": ""} | fields


def test_a_seller_creates_and_edits_a_customer_from_the_site(client, seller):
    plan = testing.money_plan("Acme standard")
    response = client.post("/customers/new/", customer_form())
    created = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/{created.public_id}/"
    assert (created.name, created.country, created.currency, created.owner) == ("Globex SA", "BR", "USD", seller)
    response = client.post(f"/customers/{created.public_id}/edit/",
                           customer_form(price_plan=str(plan.pk), markup_marketing="12.5", monthly_fee="0"))
    assert response.status_code == 302
    created.refresh_from_db()
    assert (created.markup_marketing, created.monthly_fee, created.fee_per_message) == (D("12.5"), D(0), None)


@pytest.mark.parametrize("fields, field, message", [
    ({"country": "XX"}, "country", "Two letters of ISO 3166"),
    ({"country": "India"}, "country", "at most 2 characters"),
    ({"currency": "US1"}, "currency", "ISO 4217"),
    ({"billing_email": "not-an-address"}, "billing_email", "valid email"),
    ({"name": "x" * 201}, "name", "at most 200 characters"),
    ({"name": "   "}, "name", "This field is required"),
    ({"notes": "n" * 5001}, "notes", "at most 5000 characters"),
    ({"discount_percent": "101"}, "discount_percent", "less than or equal to 100"),
    ({"fee_per_message": "-1"}, "fee_per_message", "greater than or equal to 0"),
    ({"markup_marketing": "1e400"}, "markup_marketing", "number"),
])
def test_bad_customer_input_is_named_and_nothing_is_written(client, seller, fields, field, message):
    response = client.post("/customers/new/", customer_form(**fields))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page, page[:3000]
    assert not Customer.objects.exists()
    fragment = client.post("/customers/new/", customer_form(**fields), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and fragment.content.decode().lstrip().startswith('<section class="panel" id="customer-form"')
    assert message in fragment.content.decode()


def test_overrides_on_a_package_plan_are_refused_with_a_reason(client, seller):
    package = load_example_package()
    response = client.post("/customers/new/", customer_form(price_plan=str(package.pk), discount_percent="5"))
    assert response.status_code == 400
    assert "a package plan has no markups, message fee, platform fee or discount" in response.content.decode()
    assert not Customer.objects.exists()


def test_a_seller_can_link_only_a_workspace_they_see(client, seller):
    hidden = Workspace.objects.create(name="Hidden", slug="hidden")
    response = client.post("/customers/new/", customer_form(workspace=str(hidden.pk)))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Customer.objects.exists()


def test_staff_keep_customers_in_the_admin(client):
    admin = testing.user("root", superuser=True)
    owner = testing.user("sam", testing.SALES)
    customer = testing.customer(owner, "Acme Ltd")
    client.force_login(admin)
    assert client.get("/admin/customers/customer/").status_code == 200
    page = client.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    assert customer.public_id in page and "Price book" in page
