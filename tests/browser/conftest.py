"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright's sync API runs an event loop in this thread, which trips Django's async-unsafe check on
every database call the test itself makes (computing the expected totals): allowed here, tests only.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = (f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium "
                  "(apt-get install chromium); Playwright's own browser downloads are not used")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(live_server, transactional_db) -> str:
    """The live server's address, with the shipped cards loaded (post_migrate reloads them after each flush)."""
    return live_server.url


# htmx logs a request it cancels as an error: with hx-sync="this:replace" the latest request wins by
# aborting the one still in flight, which is the behaviour wanted, not a fault.
EXPECTED_CONSOLE = ("htmx:sendAbort", "htmx:afterRequest")


class BrowserErrors(list):
    """Uncaught exceptions and console errors (a CSP violation is one) seen while a test ran."""

    def console(self, message) -> None:
        if message.type == "error" and not message.text.startswith(EXPECTED_CONSOLE):
            self.append(f"console: {message.text}")


@pytest.fixture
def new_page(browser, site):
    contexts = []
    errors = BrowserErrors()

    def open_page(**options):
        context = browser.new_context(base_url=site, viewport=options.pop("viewport", DESKTOP), **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
        page.on("console", errors.console)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, errors


@pytest.fixture
def page(new_page):
    return new_page()
