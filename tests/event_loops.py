"""A test thread as a request's or a script's thread is: without a running event loop.

Playwright's sync API (tests/browser/, one browser for the whole session) leaves its event loop marked as
running in the main thread, so a later test in the same session could not start a loop of its own
(asyncio.run) nor serve /mcp through the test client (async_to_sync refuses a thread with a running
loop). This fixture hides that loop for one test and puts it back after; nothing else changes.
"""

from __future__ import annotations

import asyncio

import pytest


@pytest.fixture
def no_running_loop():
    running = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(running)
