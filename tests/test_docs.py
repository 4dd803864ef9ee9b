"""The interactive docs work on a machine without the internet: /docs and /redoc load their
scripts, style sheet and icon from the service itself (the pinned fastapi-offline package),
nothing from a CDN or Google Fonts, and their CSP allows this origin only. That the assets are
shown and hidden with the pages and the OpenAPI document is tested with them, in
tests/security/test_http_headers.py; tests/browser/ drives the pages in a real browser."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response

from app.core import docs
from app.core.headers import DOCS_CSP
from tests.factories import problem
from tests.security.test_http_headers import assert_not_sniffed_or_framed

PAGES = (docs.SWAGGER_URL, docs.REDOC_URL, docs.OAUTH2_REDIRECT_URL)
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
PACKAGE_FILES = Path(fastapi_offline.__file__).parent / "static"
_URL = re.compile(r"""https?://[^\s"'<>)]+""")
_REFERENCE = re.compile(r'(?:src|href|spec-url)="([^"]+)"')


def _media_type(r: Response) -> str:
    return r.headers["content-type"].split(";")[0]


async def test_the_pages_name_no_other_site_and_the_service_serves_all_they_load(
    client: AsyncClient,
) -> None:
    origin = str(client.base_url).rstrip("/")
    for page in PAGES:
        r = await client.get(page)
        assert r.status_code == 200, r.text
        assert _media_type(r) == "text/html"
        outside = [url for url in _URL.findall(r.text) if not url.startswith(origin + "/")]
        assert not outside, (page, outside)
        for reference in _REFERENCE.findall(r.text):
            assert reference.startswith("/"), (page, reference)
            loaded = await client.get(reference)
            assert loaded.status_code == 200, (page, reference, loaded.text[:200])
    swagger = (await client.get(docs.SWAGGER_URL)).text
    assert f"{docs.ASSETS_URL}/swagger-ui-bundle.js" in swagger
    assert '"persistAuthorization": true' in swagger
    assert f"{docs.ASSETS_URL}/redoc.standalone.js" in (await client.get(docs.REDOC_URL)).text


async def test_the_assets_are_the_pinned_packages_files_kept_by_browsers(
    client: AsyncClient,
) -> None:
    for name, media_type in ASSETS.items():
        r = await client.get(f"{docs.ASSETS_URL}/{name}")
        assert r.status_code == 200, (name, r.text[:200])
        assert _media_type(r) == media_type, (name, r.headers)
        assert r.content == (PACKAGE_FILES / name).read_bytes(), name
        assert_not_sniffed_or_framed(r)
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable", name
        assert "pragma" not in r.headers
        again = await client.get(r.url, headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304, name
        assert again.headers["cache-control"] == r.headers["cache-control"]
    assert docs.ASSETS_URL.endswith("/" + version("fastapi-offline"))


async def test_an_unknown_asset_is_a_problem_and_is_not_kept(client: AsyncClient) -> None:
    for path in (f"{docs.ASSETS_URL}/no-such.js", f"{docs.ASSETS_URL}/", "/docs/assets/0.0.1/x"):
        r = await client.get(path)
        problem(r, 404, "not_found")
        assert "immutable" not in r.headers.get("cache-control", ""), path


async def test_the_docs_csp_allows_this_origin_only(client: AsyncClient) -> None:
    allowed = {"'self'", "'unsafe-inline'", "'none'", "data:", "blob:"}
    directives = dict(d.strip().split(" ", 1) for d in DOCS_CSP.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert {s for sources in directives.values() for s in sources.split()} <= allowed
    for path in (*PAGES, "/openapi.json", f"{docs.ASSETS_URL}/swagger-ui.css"):
        r = await client.get(path)
        assert r.headers["content-security-policy"] == DOCS_CSP, path
        assert_not_sniffed_or_framed(r)


async def test_the_pages_follow_the_servers_root_path(app: FastAPI) -> None:
    behind = ASGITransport(app=app, root_path="/jobpath")
    async with AsyncClient(transport=behind, base_url="http://jobpath.test") as c:
        page = (await c.get(docs.SWAGGER_URL)).text
    assert f"/jobpath{docs.ASSETS_URL}/swagger-ui-bundle.js" in page
    assert "url: '/jobpath/openapi.json'" in page


async def test_the_assets_are_not_operations_of_the_document(client: AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if not p.startswith(("/api/", "/healthz", "/readyz"))], paths
