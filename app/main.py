"""The application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import errors
from app.core import compression, docs, headers, http_limits, openapi
from app.core import logging as app_logging
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.idempotency import IdempotentReplay, replay_response
from app.middleware import AccessLogMiddleware, valid_request_id
from app.routers import (
    agenda,
    alerts,
    assignments,
    audit,
    auth,
    backfill,
    claims,
    employers,
    employments,
    follow_ups,
    health,
    households,
    photos,
    recruitment_events,
    referrals,
    regions,
    stats,
    subsidy_policies,
    training,
    users,
    vacancies,
    visits,
    workers,
)

API_PREFIX = "/api/v1"
DESCRIPTION = """
Case management for employment-assistance programmes: registered poor labourers and their
households, caseworkers' visits, training, vacancies, referrals and hires, and the subsidy
claims that pay employers and workers.

Sign in with **Authorize** (username and password). Errors are `application/problem+json`
with a stable `code` (each listed with its advice in `docs/errors.md`), written in Chinese
when the request says `Accept-Language: zh-CN` (or any `zh`), in English otherwise; lists are
keyset-paginated (`limit`, `cursor`); money is integer fen; times are UTC.
"""


def operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _collect_garbage_less_often() -> None:
    """A full garbage collection stops every thread, the event loop included, while it walks
    the heap (0.1-0.3 s in a server midway through a bulk import). CPython starts one when
    objects that survived the young generations have grown the old one by a quarter; with a
    young collection every 700 allocations, the short-lived objects of a request (an import
    batch's rows) live long enough to get there. Every 50,000, they die young instead: a
    10,000-row import went from 7 full collections (1.2 s of pauses) to none."""
    gc.set_threshold(50_000, 20, 10)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app_logging.configure(settings)
    db = Database.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _collect_garbage_less_often()
        yield
        await db.dispose()

    app = FastAPI(
        title="JobPath",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        swagger_ui_parameters={"persistAuthorization": True},
        # Off in production unless asked for: the document maps every route for an attacker.
        # Its pages, /docs and /redoc, come with it from app.core.docs (no CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.db = db
    app.state.db_retry_after_seconds = settings.db_retry_after_seconds
    errors.install(app)

    async def _replay(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, IdempotentReplay)
        return replay_response(exc)

    app.add_exception_handler(IdempotentReplay, _replay)

    app.include_router(health.router)
    for module in (
        auth, users, regions, households, workers, visits, employers, vacancies, referrals,
        employments, follow_ups, recruitment_events, training, subsidy_policies, claims,
        photos, alerts, stats, assignments, backfill, audit, agenda,
    ):  # fmt: skip
        app.include_router(module.router, prefix=API_PREFIX)
    docs.install(app)
    openapi.install(app)
    _add_middleware(app, settings)
    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Each one added wraps the ones before it: the request id is outermost, the body limits
    innermost; compression sits just outside the body limits, so every answer (a refused
    body's problem too) is compressed and the headers added outside it still go out."""
    http_limits.install(app, settings)
    compression.install(app, settings)
    app.add_middleware(headers.SecurityHeadersMiddleware, docs_paths=docs.paths(app))
    app.add_middleware(AccessLogMiddleware)
    # The client address is the connection's unless it comes from a proxy named in the
    # settings: X-Forwarded-For from anyone else is ignored, however the server is started.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name="X-Request-ID",
        validator=valid_request_id,
    )
