"""Who may open or change what: every quote URL for anonymous, the owner, another sales user, a manager, staff."""

from __future__ import annotations

import json

import pytest

from quotes import testing
from quotes.models import Quote, QuoteStatus

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "other_sales", "manager", "staff")
QUERY = "on=2026-11-01&lines-0-country=IN&lines-0-marketing=100"


@pytest.fixture
def people():
    return {
        "owner": testing.user("owner", testing.SALES),
        "other_sales": testing.user("other", testing.SALES),
        "manager": testing.user("manager", testing.SALES_MANAGERS),
        "staff": testing.user("staff", staff=True),
    }


@pytest.fixture
def quote(people):
    return testing.quote(people["owner"])


def as_role(client, people, role):
    if role != "anonymous":
        client.force_login(people[role])
    return client


# Expected status per role: the owner and managers may; another sales user finds nothing (404, so a
# reference reveals nothing); staff without a sales role are refused (403); anonymous go to sign in.
READ_PAGES = {"anonymous": 302, "owner": 200, "other_sales": 404, "manager": 200, "staff": 403}
GET_URLS = ["/quotes/{ref}/", "/quotes/{ref}/reprice/", "/quotes/{ref}/pdf", "/quotes/{ref}/csv", "/quotes/new/?from={ref}"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", GET_URLS)
def test_reading_a_quote(client, people, quote, role, url):
    response = as_role(client, people, role).get(url.format(ref=quote.reference))
    assert response.status_code == READ_PAGES[role]
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next=")
    if response.status_code in (403, 404):
        assert b"Acme" not in response.content


LIST_AND_NEW = {"anonymous": 302, "owner": 200, "other_sales": 200, "manager": 200, "staff": 403}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", ["/quotes/", "/quotes/new/?" + QUERY])
def test_the_list_and_the_new_quote_page(client, people, quote, role, url):
    response = as_role(client, people, role).get(url)
    assert response.status_code == LIST_AND_NEW[role]


@pytest.mark.parametrize("role,sees", [("owner", True), ("other_sales", False), ("manager", True)])
def test_the_list_shows_own_quotes_to_sales_and_all_to_managers(client, people, quote, role, sees):
    page = as_role(client, people, role).get("/quotes/").content.decode()
    assert (quote.reference in page) is sees


CHANGES = {"anonymous": 302, "owner": 302, "other_sales": 404, "manager": 302, "staff": 403}


@pytest.mark.parametrize("role", ROLES)
def test_changing_the_status(client, people, quote, role):
    response = as_role(client, people, role).post(f"/quotes/{quote.reference}/status/", {"status": "accepted"})
    assert response.status_code == CHANGES[role]
    quote.refresh_from_db()
    assert (quote.status == QuoteStatus.ACCEPTED) is (role in ("owner", "manager"))
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
def test_revoking_the_share_link(client, people, quote, role):
    response = as_role(client, people, role).post(f"/quotes/{quote.reference}/share/revoke/")
    assert response.status_code == CHANGES[role]
    quote.refresh_from_db()
    assert quote.share_active is (role not in ("owner", "manager"))


@pytest.mark.parametrize("role", ROLES)
def test_replacing_the_share_link(client, people, quote, role):
    token = quote.share_token
    response = as_role(client, people, role).post(f"/quotes/{quote.reference}/share/renew/")
    assert response.status_code == CHANGES[role]
    quote.refresh_from_db()
    assert (quote.share_token != token) is (role in ("owner", "manager"))


@pytest.mark.parametrize("role", ROLES)
def test_creating_through_the_page(client, people, role):
    response = as_role(client, people, role).post("/quotes/new/", {
        "customer": "New Co", "on": "2026-11-01", "query": QUERY, "quote_currency": "", "price_plan": ""})
    created = Quote.objects.filter(customer="New Co").first()
    if role in ("owner", "other_sales", "manager"):
        assert response.status_code == 302 and created.owner == people[role]
    else:
        assert response.status_code == (302 if role == "anonymous" else 403) and created is None


@pytest.mark.parametrize("role", ROLES)
def test_copying_another_users_quote_through_the_page(client, people, quote, role):
    response = as_role(client, people, role).post("/quotes/new/", {
        "customer": "Copy Co", "on": "2026-11-01", "source": quote.reference, "quote_currency": "", "price_plan": ""})
    allowed = role in ("owner", "manager")
    assert response.status_code == {"anonymous": 302, "staff": 403, "other_sales": 404}.get(role, 302)
    assert Quote.objects.filter(customer="Copy Co").exists() is allowed


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("suffix", ["", "csv"])
def test_the_share_link_needs_no_account(client, people, quote, role, suffix):
    response = as_role(client, people, role).get(f"/q/{quote.share_token}/{suffix}")
    assert response.status_code == 200


def test_the_shared_pdf_needs_no_account(client, quote):
    response = client.get(f"/q/{quote.share_token}/pdf")  # the same view for everyone: rendered once
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


API = {"anonymous": 401, "owner": 201, "other_sales": 201, "manager": 201, "staff": 403}


@pytest.mark.parametrize("role", ROLES)
def test_the_quote_api_by_session(client, people, role):
    body = {"customer": "API Co", "on": "2026-11-01", "lines": [{"country": "IN", "marketing": 100}]}
    response = as_role(client, people, role).post("/api/v1/quotes", json.dumps(body), content_type="application/json")
    assert response.status_code == API[role]
    assert Quote.objects.filter(customer="API Co").exists() is (API[role] == 201)


def test_a_superuser_sees_every_quote(client, people, quote):
    client.force_login(testing.user("root", superuser=True))
    assert client.get(f"/quotes/{quote.reference}/").status_code == 200


def test_an_inactive_sales_user_with_a_session_is_signed_out(client, people, quote):
    owner = people["owner"]
    client.force_login(owner)
    owner.is_active = False
    owner.save()
    assert client.get(f"/quotes/{quote.reference}/").status_code == 302
