"""Meta Business Agent rates in the admin: rate editors add and change them (with help texts), other
staff only look; a rate entered there prices the next estimate (the catalogue cache follows)."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User

from ratecards.models import AgentTokenRate

pytestmark = pytest.mark.django_db
ADD = "/admin/ratecards/agenttokenrate/add/"


def login(client, name: str, editor: bool):
    user = User.objects.create_user(name, password="pw-123-not-used", is_staff=True)
    if editor:
        user.groups.add(Group.objects.get(name="Rate editors"))
    client.force_login(user)
    return client


def test_the_shipped_usd_rate_is_listed(client):
    page = login(client, "viewer", editor=False).get("/admin/ratecards/agenttokenrate/").content.decode()
    assert "USD" in page and "2.0000" in page and "Aug. 1, 2026" in page


def test_an_editor_adds_a_eur_rate_that_prices_the_next_estimate(client):
    editor = login(client, "editor", editor=True)
    form = editor.get(ADD).content.decode()
    assert "What Meta charges per 1,000,000 tokens its agent writes" in form  # the help text
    response = editor.post(ADD, {"currency": "EUR", "effective_from": "2026-09-01", "per_million_tokens": "1.85",
                                 "source": "Meta's EUR notice"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert AgentTokenRate.objects.get(currency="EUR").per_million_tokens == Decimal("1.85")
    answer = editor.post("/api/v1/estimate", content_type="application/json", data=json.dumps(
        {"on": "2026-11-01", "currency": "EUR", "meta_business_agent_tokens": 10_000_000, "lines": [{"country": "DE"}]}))
    assert answer.json()["estimates"][0]["by_category"]["meta_business_agent"] == "18.50"  # 10 x 1.85


def test_a_bad_rate_is_refused_with_its_field_named(client):
    editor = login(client, "editor", editor=True)
    response = editor.post(ADD, {"currency": "eur", "effective_from": "2026-09-01", "per_million_tokens": "-1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Three capital letters (ISO 4217)" in page
    assert not AgentTokenRate.objects.filter(effective_from=date(2026, 9, 1)).exists()


def test_other_staff_may_look_but_not_add(client):
    viewer = login(client, "viewer", editor=False)
    assert viewer.get("/admin/ratecards/agenttokenrate/").status_code == 200
    assert viewer.get(ADD).status_code == 403
    assert viewer.post(ADD, {"currency": "EUR", "effective_from": "2026-09-01",
                             "per_million_tokens": "1"}).status_code == 403
    assert not AgentTokenRate.objects.filter(currency="EUR").exists()
