"""The interactive docs, Swagger UI at /docs and ReDoc at /redoc, served whole by the service.

FastAPI's own pages load Swagger UI and ReDoc from a CDN and ReDoc's fonts from Google: on a
machine without the internet they stay blank. Here the scripts, style sheet and icon come
from the pinned ``fastapi-offline`` package (Swagger UI 5 and ReDoc 2, built into its wheel)
and are served under ``/docs/assets/<package version>/``: the version in the address lets a
browser keep them for good, since a new version of the package is a new address.

The pages, their assets and ``/openapi.json`` are shown together or not at all: only when the
app serves its OpenAPI document (``JOBPATH_DOCS_ENABLED``, off by default in production).
"""

from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

SWAGGER_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = f"/docs/assets/{version('fastapi-offline')}"
_ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
# A year, and never revalidated: the address changes whenever the files do.
ASSETS_CACHE_CONTROL = "public, max-age=31536000, immutable"


class _Assets(StaticFiles):
    """The package's files, kept by the browser (``immutable``) once fetched."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = ASSETS_CACHE_CONTROL
        return response


def paths(app: FastAPI) -> tuple[str, ...]:
    """What the docs serve, for the security headers: the pages and the OpenAPI document
    exactly, the assets as everything under their prefix (ending in ``/``); none when off."""
    if app.openapi_url is None:
        return ()
    return (SWAGGER_URL, REDOC_URL, OAUTH2_REDIRECT_URL, app.openapi_url, f"{ASSETS_URL}/")


def install(app: FastAPI) -> None:
    """Serve the two pages, Swagger UI's OAuth2 redirect page and the assets, if the app
    serves its OpenAPI document (``FastAPI(openapi_url=...)``); nothing otherwise. Addresses
    in the pages start with the server's root path, as FastAPI's own pages' do."""
    openapi_url = app.openapi_url
    if openapi_url is None:
        return

    def root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    async def swagger_ui(request: Request) -> HTMLResponse:
        at = root(request)
        return get_swagger_ui_html(
            openapi_url=at + openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=at + OAUTH2_REDIRECT_URL,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_js_url=f"{at}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{at}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{at}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def oauth2_redirect(_request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        at = root(request)
        return get_redoc_html(
            openapi_url=at + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{at}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{at}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route(SWAGGER_URL, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
    app.mount(ASSETS_URL, _Assets(directory=_ASSETS_DIR), name="docs-assets")
