"""What every answer tells the browser: not to sniff (an uploaded "photo" is never run as a
page), not to be framed (the API and the interactive docs alike), and not to keep tokens or
personal data in any cache. One middleware sets them all (app/core/headers.py); a guard walks
every GET operation of the cross-tenant world, so a route added later is checked too. The
docs themselves are not public in production unless a setting says so."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import docs
from app.core.config import Settings, get_settings
from tests.factories import PASSWORD, XUGANG, Factory, new_household, problem
from tests.security.apps import app_with, over_asgi
from tests.security.test_cross_tenant import PARAM_KINDS, World, build_world

# The pages, the OpenAPI document and the pages' assets (app.core.docs), shown or hidden together.
DOCS = (
    "/docs",
    "/redoc",
    "/docs/oauth2-redirect",
    "/openapi.json",
    f"{docs.ASSETS_URL}/swagger-ui-bundle.js",
    f"{docs.ASSETS_URL}/redoc.standalone.js",
)


def assert_not_sniffed_or_framed(r: Response) -> None:
    assert r.headers.get("x-content-type-options") == "nosniff", (r.url, r.headers)
    assert r.headers.get("x-frame-options") == "DENY", (r.url, r.headers)
    assert "frame-ancestors 'none'" in r.headers.get("content-security-policy", ""), r.url


def assert_not_stored(r: Response) -> None:
    assert_not_sniffed_or_framed(r)
    assert r.headers.get("cache-control") == "no-store", (r.url, r.headers)
    assert r.headers.get("pragma") == "no-cache", (r.url, r.headers)


class TestTokenAnswers:
    async def test_signing_in_and_refreshing_are_never_cached(self, factory: Factory) -> None:
        user = await factory.user("caseworker")
        c = factory.client()
        signed = await c.post(
            "/api/v1/auth/token", data={"username": user.username, "password": PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        assert_not_stored(signed)
        refreshed = await c.post(
            "/api/v1/auth/refresh", json={"refresh_token": signed.json()["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        assert_not_stored(refreshed)

    async def test_a_refused_sign_in_is_not_cached_either(self, client: AsyncClient) -> None:
        r = await client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
        problem(r, 401, "invalid_credentials")
        assert_not_stored(r)


class TestPersonalDataReads:
    async def test_a_workers_full_record_and_the_lists_are_not_stored(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        for path in (
            f"/api/v1/households/{household['id']}",
            "/api/v1/households",
            "/api/v1/auth/me",
        ):
            r = await cw.get(path)
            assert r.status_code == 200, r.text
            assert_not_stored(r)

    async def test_errors_are_not_stored_either(self, client: AsyncClient) -> None:
        r = await client.get("/api/v1/workers")
        problem(r, 401, "unauthorized")
        assert_not_stored(r)
        assert_not_stored(await client.get("/api/v1/no-such-thing"))

    async def test_an_unexpected_failure_carries_the_headers(
        self, factory: Factory, app: FastAPI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cw = await factory.as_role("caseworker")
        transport = ASGITransport(app=app, raise_app_exceptions=False)
        async with AsyncClient(
            transport=transport, base_url="http://jobpath.test", headers=cw.headers
        ) as c:

            async def boom(self: AsyncSession) -> None:
                raise RuntimeError("injected")

            monkeypatch.setattr(AsyncSession, "commit", boom)
            r = await c.post(
                "/api/v1/households",
                json={
                    "household_number": uuid.uuid4().hex[:10],
                    "region_code": XUGANG,
                    "poverty_status": "in_poverty",
                },
            )
            monkeypatch.undo()
        problem(r, 500, "internal_error")
        assert_not_stored(r)


class TestTheDocs:
    @pytest.mark.parametrize("path", DOCS)
    async def test_the_docs_cannot_be_framed(self, client: AsyncClient, path: str) -> None:
        r = await client.get(path)
        assert r.status_code == 200, r.text
        assert_not_sniffed_or_framed(r)

    async def test_in_production_the_docs_are_off_unless_the_setting_turns_them_on(
        self, database_url: str
    ) -> None:
        async with over_asgi(app_with(database_url, Settings(environment="production"))) as c:
            for path in DOCS:
                problem(await c.get(path), 404, "not_found")
        opted_in = Settings(environment="production", docs_enabled=True)
        async with over_asgi(app_with(database_url, opted_in)) as c:
            for path in DOCS:
                assert (await c.get(path)).status_code == 200, path

    def test_they_are_served_outside_production_by_default(self) -> None:
        assert get_settings().docs_enabled is True
        assert Settings(environment="production").docs_enabled is False


# -- every GET operation that answers 200 ---------------------------------------------------

# Path parameters no world id names: a region's code; other ids come from their lists.
FIXED_PARAMS = {"code": "340406"}
REQUIRED_QUERY = {"/api/v1/stats/breakdown": {"by": "township"}}
OWNER_ORDER = ("admin", "caseworker", "employer", "auditor")


async def _first_listed_id(c: AsyncClient, collection: str) -> str | None:
    """The id of the first record the ``collection`` list shows."""
    listing = await c.get(collection, params={"limit": 1})
    if listing.status_code != 200:
        return None
    body: Any = listing.json()
    items = body["items"] if isinstance(body, dict) else body
    return str(items[0]["id"]) if items else None


async def _concrete(w: World, path: str) -> str | None:
    out = path
    for name in re.findall(r"\{(\w+)\}", path):
        kind = PARAM_KINDS.get(name)
        value = FIXED_PARAMS.get(name) or (str(w.ids[kind]) if kind in w.ids else None)
        if value is None:
            value = await _first_listed_id(w.admin, out.split("/{" + name + "}")[0])
        if value is None:
            return None
        out = out.replace("{" + name + "}", value)
    return out


async def test_every_get_operation_answering_200_carries_the_headers(
    factory: Factory, app: FastAPI
) -> None:
    w = await build_world(factory)
    answered, unanswered = 0, []
    for path, operations in app.openapi()["paths"].items():
        if "get" not in operations:
            continue
        url = await _concrete(w, path)
        found = None
        for role in OWNER_ORDER if url else ():
            r = await w.owners[role].get(url or "", params=REQUIRED_QUERY.get(path))
            if r.status_code == 200:
                found = r
                break
        if found is None:
            unanswered.append(path)
            continue
        answered += 1
        assert_not_stored(found)
    assert not unanswered, f"GET operations no owner could read: {unanswered}"
    assert answered >= 50, answered
