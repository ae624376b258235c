"""Every URL of the site and API, for each kind of visitor, gets exactly the answer it should.

Roles: anonymous; a customer (signed in, member of the workspace "acme", no group); sales (group Sales,
owner of the quote); a sales manager; a rate editor (staff, group Rate editors); staff with no group.
The matrix names every URL pattern outside the admin (a test fails when a new one is not added), and
the admin pages each role reaches. Where a role is refused, the page never carries the data behind it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver

from customers.models import Customer
from plans.defaults import load_example_package
from quotes import testing
from ratecards.models import RateCard
from usage.ingest import ingest
from usage.models import Workspace
from tests.event_loops import no_running_loop  # noqa: F401 (a fixture: /mcp is served through async_to_sync)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "customer", "sales", "manager", "editor", "staff")
SAMPLE = Path(__file__).resolve().parent / "data" / "webhooks" / "sample-webhooks.jsonl"
ESTIMATE = {"on": "2026-11-01", "lines": [{"country": "IN", "marketing": 100}]}
REPLAY = {"cards_on": ["2026-11-01"], "events": [
    {"at": "2026-11-02T00:00:00Z", "user": "+919800000001", "kind": "template", "category": "marketing"}]}
QUERY = "on=2026-11-01&lines-0-country=IN&lines-0-marketing=100"
OWN_CUSTOMER = "cus_InitechOfSam000"  # sam's (sales)
OTHER_CUSTOMER = "cus_InitechOfOlga00"  # another seller's
NEW_CUSTOMER = {"name": "Initech", "country": "US", "currency": "USD"}

# Answers, one per role in ROLES order. 302 for a signed-out visitor means "to the sign-in page";
# 404 where even the existence of the thing is not revealed; 403 where the role is known not to qualify.
EVERYONE = (200,) * 6
SIGNED_IN_ONLY = (302, 200, 200, 200, 200, 200)
QUOTE_ROLES = (302, 403, 200, 200, 403, 403)  # Sales and Sales managers only
OWN_QUOTE = (302, 403, 200, 200, 403, 403)  # the owner (sales) and managers
WORKSPACE = (302, 200, 404, 404, 200, 200)  # members of acme, and staff
OTHER_WORKSPACE = (302, 404, 404, 404, 200, 200)  # globex: the customer is not a member
ADMIN_STAFF = (302, 302, 302, 302, 200, 200)  # the admin sends non-staff to its own sign-in
ADMIN_EDITORS = (302, 302, 302, 302, 200, 403)  # changing cards and mappings: rate editors only

# (method, url template, body or None, answers, the URL pattern names it covers)
MATRIX = [
    ("get", "/", None, EVERYONE, "calculator"),
    ("get", "/?" + QUERY, None, EVERYONE, "calculator"),
    # A draft card prices only for staff; everyone else gets the published cards (tests/test_admin_workspace.py).
    ("get", "/?draft={draft}&" + QUERY, None, EVERYONE, "calculator"),
    ("get", "/estimate.csv?" + QUERY, None, EVERYONE, "calculator-csv"),
    ("post", "/paste-numbers/", {"numbers": "+919800000001"}, EVERYONE, "calculator-paste"),
    ("get", "/how-meta-charges/", None, EVERYONE, "how-meta-charges"),
    ("get", "/healthz", None, EVERYONE, "healthz"),
    ("get", "/api/v1/docs", None, EVERYONE, "api-docs"),
    ("get", "/api/v1/openapi.json", None, EVERYONE, "api-openapi"),
    ("get", "/api/v1/markets/resolve?phone=%2B919800000001", None, EVERYONE, "api-resolve-market"),
    ("json", "/api/v1/estimate", ESTIMATE, EVERYONE, "api-estimate"),
    ("json", "/api/v1/replay", REPLAY, EVERYONE, "api-replay"),
    # Quotes through the API: an API key, or a signed-in session with its CSRF token, of a sales role.
    ("json", "/api/v1/quotes", {"customer": "Acme", **ESTIMATE}, (401, 403, 201, 201, 403, 403), "quotes:api-create"),
    # MCP: every tool is listed for anyone; create_quote then asks for a key (tests/test_mcp.py).
    ("mcp", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, EVERYONE, "mcp"),
    ("get", "/mcp", None, (405,) * 6, "mcp"),
    ("get", "/accounts/login/", None, EVERYONE, "login"),
    ("get", "/accounts/password_reset/", None, EVERYONE, "password_reset"),
    ("get", "/accounts/password_change/", None, SIGNED_IN_ONLY, "password_change"),
    ("post", "/accounts/logout/", {}, EVERYONE, "logout"),  # the "signed out" page
    ("get", "/quotes/", None, QUOTE_ROLES, "quotes:list"),
    ("get", "/quotes/new/?" + QUERY, None, QUOTE_ROLES, "quotes:new"),
    ("get", "/quotes/{ref}/", None, OWN_QUOTE, "quotes:detail"),
    ("get", "/quotes/{ref}/reprice/", None, OWN_QUOTE, "quotes:reprice"),
    ("post", "/quotes/{ref}/status/", {"status": "sent"}, (302, 403, 302, 302, 403, 403), "quotes:status"),
    ("post", "/quotes/{ref}/share/revoke/", {}, (302, 403, 302, 302, 403, 403), "quotes:revoke-share"),
    ("post", "/quotes/{ref}/share/renew/", {}, (302, 403, 302, 302, 403, 403), "quotes:renew-share"),
    ("get", "/quotes/{ref}/pdf", None, OWN_QUOTE, "quotes:pdf"),
    ("get", "/quotes/{ref}/csv", None, OWN_QUOTE, "quotes:csv"),
    # Customers (issue 14) follow the quotes' rules: sales their own, managers every one, anyone else 403.
    ("get", "/customers/", None, QUOTE_ROLES, "customers:list"),
    ("get", "/customers/?q=Init", None, QUOTE_ROLES, "customers:list"),
    ("get", "/customers/new/", None, QUOTE_ROLES, "customers:new"),
    ("post", "/customers/new/", NEW_CUSTOMER, (302, 403, 302, 302, 403, 403), "customers:new"),
    ("get", f"/customers/{OWN_CUSTOMER}/", None, OWN_QUOTE, "customers:detail"),
    ("get", f"/customers/{OWN_CUSTOMER}/edit/", None, OWN_QUOTE, "customers:edit"),
    ("post", f"/customers/{OWN_CUSTOMER}/edit/", NEW_CUSTOMER, (302, 403, 302, 302, 403, 403), "customers:edit"),
    # Another seller's customer: the manager sees it; to the seller it does not exist.
    ("get", f"/customers/{OTHER_CUSTOMER}/", None, (302, 403, 404, 200, 403, 403), "customers:detail"),
    ("get", f"/customers/{OTHER_CUSTOMER}/edit/", None, (302, 403, 404, 200, 403, 403), "customers:edit"),
    ("post", f"/customers/{OTHER_CUSTOMER}/edit/", NEW_CUSTOMER, (302, 403, 404, 302, 403, 403), "customers:edit"),
    ("get", "/customers/cus_nosuchcustomer0/", None, (302, 403, 404, 404, 403, 403), "customers:detail"),
    # A quote by customer id: the seller's own customer; another seller's is unknown to them (400).
    ("json", "/api/v1/quotes", {"customer": OWN_CUSTOMER, **ESTIMATE}, (401, 403, 201, 201, 403, 403),
     "quotes:api-create"),
    ("json", "/api/v1/quotes", {"customer": OTHER_CUSTOMER, **ESTIMATE}, (401, 403, 400, 201, 403, 403),
     "quotes:api-create"),
    # A share link is the permission: anyone holding it reads the quote.
    ("get", "/q/{token}/", None, EVERYONE, "quotes:share"),
    ("get", "/q/{token}/pdf", None, EVERYONE, "quotes:share-pdf"),
    ("get", "/q/{token}/csv", None, EVERYONE, "quotes:share-csv"),
    ("get", "/q/not-a-token/", None, (404,) * 6, "quotes:share"),
    # The customer has one workspace and goes straight to it; others see the list (or that they have none).
    ("get", "/usage/", None, (302, 302, 200, 200, 200, 200), "usage-index"),
    ("get", "/usage/acme/", None, (302, 302, 404, 404, 302, 302), "usage-dashboard"),
    ("get", "/usage/acme/2026-11/", None, WORKSPACE, "usage-month"),
    ("get", "/usage/acme/2026-11/what-if/", None, WORKSPACE, "usage-what-if"),
    ("get", "/usage/acme/2026-11/usage.csv", None, WORKSPACE, "usage-csv"),
    ("get", "/usage/acme/2026-11/messages.csv", None, WORKSPACE, "usage-messages-csv"),
    ("get", "/usage/acme/upload/", None, WORKSPACE, "usage-upload"),
    ("get", "/usage/acme/webhooks/", None, WORKSPACE, "usage-webhook-setup"),
    ("get", "/usage/globex/", None, (302, 404, 404, 404, 302, 302), "usage-dashboard"),
    ("get", "/usage/globex/webhooks/", None, OTHER_WORKSPACE, "usage-webhook-setup"),
    # Meta's endpoint: no role opens it; the verify token and the signature do (tests/test_live_webhooks.py).
    ("get", "/webhooks/meta/acme?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", None, (403,) * 6,
     "usage-webhook"),
    ("post", "/webhooks/meta/acme", {}, (401,) * 6, "usage-webhook"),
    # The month as JSON: members and staff (session or API key); a non-member learns nothing.
    ("get", "/api/v1/usage/acme/months/2026-11", None, (401, 200, 404, 404, 200, 200), "api-usage-month"),
    ("get", "/api/v1/usage/globex/months/2026-11", None, (401, 404, 404, 404, 200, 200), "api-usage-month"),
    ("get", "/usage/globex/2026-11/", None, OTHER_WORKSPACE, "usage-month"),
    ("get", "/usage/globex/2026-11/what-if/", None, OTHER_WORKSPACE, "usage-what-if"),
    ("get", "/usage/globex/2026-11/usage.csv", None, OTHER_WORKSPACE, "usage-csv"),
    ("get", "/usage/globex/2026-11/messages.csv", None, OTHER_WORKSPACE, "usage-messages-csv"),
    ("get", "/usage/globex/upload/", None, OTHER_WORKSPACE, "usage-upload"),
    # The impact report of a card: staff only (it names every open quote and workspace).
    ("get", "/impact/cards/{card}/", None, (302, 403, 403, 403, 200, 200), "impact:card"),
    ("get", "/impact/cards/{card}/impact.csv", None, (302, 403, 403, 403, 200, 200), "impact:card-csv"),
    ("get", "/impact/cards/999999/", None, (302, 403, 403, 403, 404, 404), "impact:card"),
    # The admin: any staff member looks at cards and mappings; only rate editors change them.
    ("get", "/admin/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/ratecard/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/ratecard/{card}/change/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/ratecard/compare/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/ratecard/{draft}/change/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/ratecard/{draft}/publish/", None, ADMIN_EDITORS, None),
    ("get", "/admin/ratecards/ratecard/{draft}/rate/?market=India&category=utility", None, ADMIN_EDITORS, None),
    ("get", "/admin/ratecards/marketmapping/move/", None, ADMIN_EDITORS, None),
    ("get", "/admin/ratecards/ratecard/{card}/export/rates/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/marketmapping/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/ratecard/add/", None, ADMIN_EDITORS, None),
    ("get", "/admin/ratecards/ratecard/import/", None, ADMIN_EDITORS, None),
    ("get", "/admin/ratecards/marketmapping/add/", None, ADMIN_EDITORS, None),
    ("get", "/admin/ratecards/agenttokenrate/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/agenttokenrate/add/", None, ADMIN_EDITORS, None),
    ("get", "/admin/ratecards/callingratecard/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/callingratecard/compare/", None, ADMIN_STAFF, None),
    ("get", "/admin/ratecards/callingratecard/import/", None, ADMIN_EDITORS, None),
    # Users, workspaces, plans and keys: superusers (none of these roles) or staff given those rights.
    ("get", "/admin/auth/user/", None, (302, 302, 302, 302, 403, 403), None),
    ("get", "/admin/usage/workspace/", None, (302, 302, 302, 302, 403, 403), None),
    ("get", "/admin/accounts/apikey/", None, (302, 302, 302, 302, 403, 403), None),
    # Price plans: package plans and their terms (issue 16) are kept by superusers or staff given the rights.
    ("get", "/admin/plans/priceplan/", None, (302, 302, 302, 302, 403, 403), None),
    ("get", "/admin/plans/priceplan/{package}/change/", None, (302, 302, 302, 302, 403, 403), None),
    ("get", "/admin/plans/packageterms/", None, (302, 302, 302, 302, 403, 403), None),
    # Customers in the admin: superusers or staff given the customers' rights.
    ("get", "/admin/customers/customer/", None, (302, 302, 302, 302, 403, 403), None),
    # Task results: superusers (staff without the view permission are not shown the app at all).
    ("get", "/admin/django_tasks_db/dbtaskresult/", None, (302, 302, 302, 302, 404, 404), None),
]

# URL names the matrix need not list: Django's own password-reset steps (token URLs) and the admin's.
NOT_LISTED = {"password_reset_done", "password_reset_confirm", "password_reset_complete", "password_change_done"}


@pytest.fixture
def site():
    people = {
        "customer": testing.user("carol"),
        "sales": testing.user("sam", testing.SALES),
        "manager": testing.user("maya", testing.SALES_MANAGERS),
        "editor": testing.user("eddie", staff=True),
        "staff": testing.user("stan", staff=True),
    }
    people["editor"].groups.add(Group.objects.get(name="Rate editors"))
    acme = Workspace.objects.create(name="Acme Retail", slug="acme")
    acme.members.add(people["customer"])
    with SAMPLE.open("rb") as sample:
        ingest(sample, acme, SAMPLE.name)
    globex = Workspace.objects.create(name="Globex", slug="globex")
    with SAMPLE.open("rb") as sample:
        ingest(sample, globex, SAMPLE.name)
    quote = testing.quote(people["sales"], customer="Initech")
    Customer.objects.create(public_id=OWN_CUSTOMER, name="Initech", country="US", currency="USD", owner=people["sales"])
    Customer.objects.create(public_id=OTHER_CUSTOMER, name="Initech", country="US", currency="USD",
                            owner=testing.user("olga", testing.SALES))
    package = load_example_package()
    card = RateCard.objects.get(currency="USD", effective_from=date(2026, 10, 1))
    cache.clear()  # no rate limit carried over from other tests
    draft = card.new_draft()
    return people, {"ref": quote.reference, "token": quote.share_token, "card": card.pk, "draft": draft.pk,
                    "package": package.pk}


def answer(client, people, role, method, url, data):
    if role != "anonymous":
        client.force_login(people[role])
    if method == "get":
        return client.get(url)
    if method == "json":
        return client.post(url, data, content_type="application/json")
    if method == "mcp":
        return client.post(url, data, content_type="application/json",
                           headers={"Accept": "application/json, text/event-stream"})
    return client.post(url, data)


@pytest.mark.parametrize("method,url,data,answers,name", MATRIX, ids=[f"{m} {u}" for m, u, *_ in MATRIX])
def test_every_url_answers_each_role_as_it_should(client, site, settings, no_running_loop, method, url, data, answers,
                                                  name):
    settings.RATE_LIMITS = {key: (10**6, 60) for key in settings.RATE_LIMITS}
    people, ids = site
    got = {}
    for role in ROLES:
        client.logout()
        response = answer(client, people, role, method, url.format(**ids), data)
        got[role] = response.status_code
        if response.status_code in (401, 403, 404) and url.startswith(("/quotes/", "/usage/", "/impact/", "/customers/")):
            content = b"".join(response.streaming_content) if response.streaming else response.content
            assert b"Initech" not in content and b"wamid" not in content, (role, url)
        if response.status_code == 302 and role == "anonymous" and answers[0] == 302 and "logout" not in url:
            assert "login/?next=" in response["Location"], (url, response["Location"])
    assert got == dict(zip(ROLES, answers))


def test_the_matrix_names_every_url_of_the_site():
    def names(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern).startswith("admin/"):
                    continue
                yield from names(pattern.url_patterns, prefix + (f"{pattern.namespace}:" if pattern.namespace else ""))
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield prefix + pattern.name

    listed = {name for *_, name in MATRIX if name}
    missing = set(names(get_resolver().url_patterns)) - listed - NOT_LISTED
    assert not missing, f"add these URLs to the permission matrix: {sorted(missing)}"
