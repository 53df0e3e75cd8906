"""Fixtures of the browser tests: Debian's Chromium driven by Playwright's sync API.

The browser is never downloaded: Playwright launches ``/usr/bin/chromium``
(Debian's ``chromium`` package, installed by ``.ci/run``). The site is served
by pytest-django's ``live_server`` (a real HTTP server over the test
database, emptied after each test).

Playwright's sync API keeps an asyncio event loop running in the test thread
for as long as it is started, and Django refuses ORM calls from a thread with
a running loop (``SynchronousOnlyOperation``). Here the loop is Playwright's,
not Django's, and the ORM calls (factories, the database flush) are plain
synchronous code, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set while the browser
runs. The browser is started once for the whole package and stopped after
its last test, so the loop and the setting do not outlive the browser tests:
the rest of the suite keeps Django's safety check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    """Without Debian's Chromium every browser test is skipped, saying what to install (never a download)."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} not found: install Debian's chromium package (.ci/run does); no browser is downloaded"
    )
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


#: Playwright's default wait (30 s) would let one broken page eat the whole time budget.
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for every browser test (started once, ~1 s)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def new_page(browser: Browser, live_server):
    """Open a page in a fresh browser context (no cookies) on the live server; ``viewport`` optional."""
    contexts = []

    def open_page(viewport: dict | None = None) -> Page:
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport or DESKTOP
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    """A desktop-sized page with no session."""
    return new_page()
