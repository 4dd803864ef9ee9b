"""Browser tests: the real server, started as `jobpath serve` starts it, on a SQLite database
of its own with the demo data, driven by Debian's Chromium through Playwright, with every
request to a host other than 127.0.0.1 refused and recorded.

Without Chromium (scripts/ensure-chromium installs it) or Playwright the tests are skipped,
unless ``CI=true``: there they fail, so that CI cannot pass without running them."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.served import HOST, demo_server

if TYPE_CHECKING:
    from playwright.async_api import Browser, Expect, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
# Nothing but 127.0.0.1 resolves, whatever a page, or Chromium itself, asks for.
CHROMIUM_ARGS = [f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {HOST}"]
# A record of what the page tried to load from elsewhere, kept in the page.
_RECORD_REFUSALS = """
window.__refusedByCsp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refusedByCsp.push(e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Chromium's path, once Playwright and Chromium are known to be here."""
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright for Python (pip install playwright)")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (scripts/ensure-chromium installs it)")
    if missing:
        reason = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true, so they may not be skipped")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def served(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of `jobpath serve` on a fresh SQLite database with the demo data."""
    with demo_server(tmp_path_factory.mktemp("served")) as base_url:
        yield base_url


@pytest.fixture(scope="module")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="module")
def expect(chromium: Path) -> Expect:
    """Playwright's ``expect``, given here so that a test module imports no Playwright (and
    is skipped, not broken, where it is absent)."""
    from playwright.async_api import expect as playwright_expect

    playwright_expect.set_options(timeout=15_000)  # a shared CI machine may draw slowly
    return playwright_expect


@dataclass
class Visit:
    """A page of a fresh browser context that may load from 127.0.0.1 only."""

    page: Page
    outside: list[str] = field(default_factory=list)  # requests to elsewhere, refused

    async def refused_by_csp(self) -> list[str]:
        """What the page's CSP refused to load (nothing is fetched for these)."""
        refused: list[str] = await self.page.evaluate("window.__refusedByCsp")
        return refused


@pytest.fixture
async def visit(browser: Browser, served: str) -> AsyncIterator[Visit]:
    context = await browser.new_context(base_url=served)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    seen = Visit(page)

    async def only_here(route: Route) -> None:
        if urlsplit(route.request.url).hostname == HOST:
            await route.continue_()
        else:
            seen.outside.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_here)
    await context.add_init_script(_RECORD_REFUSALS)
    yield seen
    await context.close()
