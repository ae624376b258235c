"""POST /api/v1/quotes: the contract in docs/api.md, keys and sessions, and every validation message."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import APIKey
from plans.models import ExchangeRate, load_credit_table
from quotes import testing
from quotes.models import Quote

pytestmark = pytest.mark.django_db
D = Decimal
BODY = {
    "customer": "Acme Ltd",
    "price_plan": "Acme standard",
    "valid_until": "2027-01-01",
    "notes": "first contact",
    "on": "2026-11-01",
    "currency": "USD",
    "assumptions": {"service_messages_per_conversation": 3},
    "lines": [{"country": "IN", "marketing": 1000, "utility": 5000, "service": 3000},
              {"market": "Rest of Africa", "marketing": 500}],
}


@pytest.fixture
def key(sales_user):
    testing.money_plan()
    return APIKey.create_for(sales_user, "CRM script")[1]


def post(client, body, key=None, **headers):
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/v1/quotes", data=data, content_type="application/json", headers=headers)


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_a_key_creates_a_quote_answered_in_the_documented_shape(client, key, sales_user):
    response = post(client, BODY, key)
    assert response.status_code == 201, response.content
    body = response.json()
    quote = Quote.objects.get()
    assert body["id"] == quote.reference and body["id"].startswith("q_")
    assert body["url"] == f"http://testserver/q/{quote.share_token}/"
    assert body["pdf_url"] == body["url"] + "pdf" and body["csv_url"] == body["url"] + "csv"
    assert body["total"] == str(quote.total) and D(body["total"]).as_tuple().exponent == -2
    assert body["meta_total"] == str(quote.meta_total)
    assert [e["rate_card"]["name"] for e in body["estimate"]["estimates"]] == ["USD 2026-10-01", "USD 2024-11-01"]
    assert quote.owner == sales_user and quote.customer == "Acme Ltd" and quote.notes == "first contact"
    assert quote.valid_until == date(2027, 1, 1) and quote.plan_name == "Acme standard"
    assert quote.request["lines"][1] == {"market": "Rest of Africa", "marketing": "500", "utility": "0",
                                         "authentication": "0", "service": "0"}
    assert quote.request["assumptions"]["service_messages_per_conversation"] == "3"
    assert client.get(body["url"].removeprefix("http://testserver")).status_code == 200


def test_the_share_link_of_an_api_quote_opens_without_an_account(key):
    url = post(Client(), BODY, key).json()["url"].removeprefix("http://testserver")
    assert "Acme Ltd" in Client().get(url).content.decode()


def test_the_api_and_the_page_price_the_same_quote_alike(client, key, sales_user):
    body = BODY | {"lines": BODY["lines"][:1], "assumptions": {}}
    api_total = post(client, body, key).json()["total"]
    page_quote = testing.quote(sales_user, plan=Quote.objects.get().price_plan)
    assert api_total == str(page_quote.total) == "153.12"


def test_compare_on_is_honoured(client, key):
    body = post(client, BODY | {"compare_on": ["2025-11-01"]}, key).json()
    assert [e["on"] for e in body["estimate"]["estimates"]] == ["2026-11-01", "2025-11-01"]


def test_without_a_plan_the_total_is_metas(client, key):
    body = post(client, {k: v for k, v in BODY.items() if k != "price_plan"}, key).json()
    assert body["total"] == body["meta_total"] == body["estimate"]["estimates"][0]["total"]


def test_a_credit_plan_answers_the_credits(client, key):
    load_credit_table()
    body = post(client, BODY | {"price_plan": "example-credits"}, key).json()
    assert D(body["credits_total"]) > 0 and body["totals"]["credits"] == body["credits_total"]


def test_a_quote_currency_without_a_card_or_an_entered_rate_is_a_400_naming_the_field(client, key):
    errors = errors_of(post(client, BODY | {"quote_currency": "GBP"}, key))
    assert "no USD to GBP exchange rate in force on 2026-11-01" in errors["quote_currency"]
    ExchangeRate.objects.create(base="USD", quote="GBP", rate=D("0.8"), effective_from=date(2026, 1, 1))
    ExchangeRate.objects.create(base="GBP", quote="USD", rate=D("1.3"), effective_from=date(2026, 1, 1))
    body = post(client, BODY | {"quote_currency": "GBP"}, key).json()
    assert body["currency"] == "GBP"
    assert body["estimate"]["currency"] == "USD"  # Meta's own figures stay in the card's currency


def test_a_quote_currency_with_its_own_card_is_priced_on_it(client, key):
    # Meta's prices from its EUR card; no exchange rate exists (the plan's fees would need one: no plan here).
    response = post(client, BODY | {"quote_currency": "EUR", "price_plan": None}, key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["currency"] == "EUR" and body["estimate"]["currency"] == "EUR"
    assert D(body["meta_total"]) > 0 and not ExchangeRate.objects.exists()


def test_every_bad_field_is_named_in_one_400(client, key):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    errors = errors_of(post(client, BODY | {"customer": "", "price_plan": "Nope", "valid_until": yesterday,
                                            "notes": 5, "notes_for_customer": "yes", "quote_currency": "euro",
                                            "lines": [{"country": "IN", "utility": -1}], "colour": "red"}, key))
    assert errors["customer"].startswith("name the customer")
    assert errors["price_plan"].startswith("no price plan is called 'Nope'; known: ")
    assert "Acme standard" in errors["price_plan"]
    assert errors["valid_until"].startswith("must be today")
    assert errors["notes"] == "must be text of at most 5,000 characters"
    assert errors["notes_for_customer"] == "must be true or false"
    assert errors["quote_currency"].startswith("must be three capital letters")
    assert errors["lines[0].utility"] == "must be zero or more"
    assert errors["colour"].startswith("unknown field")
    assert not Quote.objects.exists()


def test_a_date_without_a_card_is_a_400(client, key):
    assert "no USD card is in force on 2020-01-01" in errors_of(post(client, BODY | {"on": "2020-01-01"}, key))["on"]


def test_a_body_that_is_not_json_is_a_400(client, key):
    assert errors_of(post(client, "{nope", key))["body"].startswith("the body is not valid JSON")


def test_nobody_gets_a_401_that_says_how_to_authenticate(client):
    response = post(client, BODY)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "API key" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("authorization", ["Bearer wbp_not-a-key", "Bearer ", "Basic dXNlcjpwdw==", "wbp_x"])
def test_a_bad_key_is_a_401(client, key, authorization):
    response = post(client, BODY, Authorization=authorization)
    assert response.status_code == 401
    assert not Quote.objects.exists()


def test_a_revoked_key_is_a_401(client, key):
    APIKey.objects.get().revoke()
    assert post(client, BODY, key).status_code == 401


def test_the_key_of_a_deactivated_user_is_a_401(client, key, sales_user):
    sales_user.is_active = False
    sales_user.save()
    assert post(client, BODY, key).status_code == 401


def test_a_key_of_a_user_without_a_sales_role_is_a_403(client):
    testing.money_plan()
    staff_key = APIKey.create_for(testing.user("staff", staff=True), "staff script")[1]
    response = post(client, BODY, staff_key)
    assert response.status_code == 403
    assert "Sales" in response.json()["errors"][0]["message"]


def test_a_session_must_send_the_csrf_token(sales_user):
    testing.money_plan()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(sales_user)
    refused = post(browser, BODY)
    assert refused.status_code == 403 and "CSRF" in refused.json()["errors"][0]["message"]
    browser.get("/accounts/login/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    assert post(browser, BODY, **{"X-CSRFToken": token}).status_code == 201


def test_a_key_needs_no_csrf_token(key):
    assert post(Client(enforce_csrf_checks=True), BODY, key).status_code == 201


def test_using_a_key_notes_when(client, key):
    post(client, BODY, key)
    assert APIKey.objects.get().last_used_at is not None


def test_only_post_is_answered(client, key):
    assert client.get("/api/v1/quotes", headers={"Authorization": f"Bearer {key}"}).status_code == 405
