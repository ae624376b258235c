"""The Live webhooks page in Chromium: what to paste into Meta, then the dashboard filling from a
signed webhook processed by a real task worker; desktop and phone screenshots; axe."""

from __future__ import annotations

import urllib.request

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.browser.conftest import AXE
from tests.browser.test_usage_browser import PASSWORD, screenshot, sign_in
from tests.live_helpers import SECRET, TOKEN, sample_payloads, signature
from usage.models import Workspace

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def acme(site):
    user = User.objects.create_user("ann", password=PASSWORD)
    workspace = Workspace.objects.create(name="Acme Retail", slug="acme", webhook_verify_token=TOKEN)
    workspace.members.add(user)
    return workspace


def send(site: str, body: bytes) -> int:
    request = urllib.request.Request(f"{site}/webhooks/meta/acme", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Hub-Signature-256": signature(body)})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_the_page_shows_what_to_paste_and_the_dashboard_fills(site, acme, new_page, task_worker):
    page = new_page(bypass_csp=True)  # axe is injected as an inline script, which the site's CSP refuses
    sign_in(page, "ann")
    page.goto("/usage/acme/")
    page.get_by_role("link", name="Live webhooks").first.click()
    expect(page.locator("#callback-url")).to_have_text(f"{site}/webhooks/meta/acme")
    expect(page.locator("#verify-token")).to_have_text(TOKEN)
    expect(page.locator("#app-secret-state")).to_contain_text("Not set yet")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert [v["id"] for v in results["violations"] if v["impact"] in ("serious", "critical")] == []

    acme.set_app_secret(SECRET)
    acme.save()
    for body in sample_payloads():
        assert send(site, body) == 200
    task_worker.wait()
    page.reload()
    expect(page.locator("#app-secret-state")).to_contain_text("Set on")
    expect(page.locator("#webhooks-received")).to_contain_text(f"{len(sample_payloads())} webhooks received")
    expect(page.locator("#webhooks-received")).to_contain_text("0 waiting")
    assert SECRET not in page.content()
    screenshot(page, "live-webhooks")
    phone = new_page(viewport=PHONE)
    sign_in(phone, "ann")
    phone.goto("/usage/acme/webhooks/")
    screenshot(phone, "live-webhooks-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto("/usage/acme/")
    expect(page.locator("#kpi-all")).to_have_text("8")  # the sample's November: All 8 (test_live_webhooks.py)
    expect(page.locator("#kpi-paid")).to_have_text("4")
