"""The interactive docs work in a browser that can reach nothing but the service: Swagger UI
shows the operations, signs the demo caseworker in with Authorize and runs a request; ReDoc
shows the operation list; no request leaves for another host.

The server has a SQLite database of its own, so the PostgreSQL pass of the suite has nothing
more to show here: the test runs in the SQLite pass only."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import Visit
from tests.served import DEMO_PASSWORD

if TYPE_CHECKING:
    from playwright.async_api import Expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        bool(os.environ.get("JOBPATH_TEST_DATABASE_URL")),
        reason="serves its own SQLite database: run in the SQLite pass only",
    ),
]

# ReDoc 2 draws Redocly's logo from its CDN beside "API docs by Redocly", whatever its options;
# the docs' CSP (img-src 'self' data:) refuses it before any request is made.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _operations_tagged(served: str, tag: str | None) -> int:
    """How many operations the served document has with ``tag`` (any tag if None)."""
    document = httpx.get(f"{served}/openapi.json").json()
    return sum(
        tag is None or tag in operation.get("tags", [])
        for operations in document["paths"].values()
        for operation in operations.values()
    )


async def test_swagger_ui_signs_in_and_runs_a_request_offline(
    visit: Visit, served: str, expect: Expect
) -> None:
    page = visit.page
    await page.goto("/docs")
    workers = page.locator(".opblock-tag-section:has(#operations-tag-workers) .opblock")
    await expect(workers.first).to_be_visible()
    await expect(workers).to_have_count(_operations_tagged(served, "workers"))

    await page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    await dialog.locator("#oauth_username").fill("caseworker")
    await dialog.locator("#oauth_password").fill(DEMO_PASSWORD)
    await dialog.locator(".auth-btn-wrapper button.authorize").click()
    await expect(dialog.locator("button", has_text="Logout")).to_be_visible()
    await dialog.locator("button.btn-done").click()

    me = page.locator(".opblock:has(.opblock-summary-path[data-path='/api/v1/auth/me'])")
    await me.locator(".opblock-summary").first.click()
    await me.locator("button.try-out__btn").click()
    await me.locator("button.execute").click()
    answer = me.locator(".live-responses-table .response")
    await expect(answer.locator(".response-col_status")).to_have_text("200")
    await expect(answer.locator(".response-col_description")).to_contain_text(
        '"username": "caseworker"'
    )

    assert visit.outside == []
    assert await visit.refused_by_csp() == []


async def test_redoc_shows_the_operation_list_offline(
    visit: Visit, served: str, expect: Expect
) -> None:
    page = visit.page
    await page.goto("/redoc")
    await expect(page.get_by_role("menuitem", name="workers")).to_be_visible()
    await expect(page.locator("[data-section-id='tag/workers']")).to_be_visible()
    operations = page.locator("[data-section-id^='operation/']")
    await expect(operations).to_have_count(_operations_tagged(served, None))
    await expect(page.locator("[data-section-id='operation/getCurrentUser'] h2")).to_have_text("Me")

    assert visit.outside == []
    assert set(await visit.refused_by_csp()) <= {REDOC_LOGO}
