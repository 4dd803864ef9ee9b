"""Apps built with settings of a test's own (trusted proxies, body limits, production), on the
test's database, and clients that reach them over ASGI or through a real uvicorn server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.cli import server_options
from app.core.config import Settings, get_settings
from app.main import create_app
from tests.conftest import LOG_SCAN
from tests.pii import SCAN

PEER = "203.0.113.7"  # the address the ASGI clients connect from, as the suite's do
_HOOKS = {"response": [SCAN.response]}


def app_with(database_url: str, settings: Settings | None = None, **updates: Any) -> FastAPI:
    """An app on the test's database, built with ``settings`` (the suite's if omitted) and
    ``updates`` to them."""
    base = settings or get_settings()
    application = create_app(base.model_copy(update={"database_url": database_url, **updates}))
    logging.getLogger("jobpath").addHandler(LOG_SCAN)  # create_app configured logging afresh
    return application


@asynccontextmanager
async def over_asgi(application: FastAPI, **client: Any) -> AsyncIterator[AsyncClient]:
    """A client of ``application`` connecting from ``PEER``; the app is disposed of after."""
    transport = ASGITransport(app=application, client=(PEER, 50000))
    try:
        async with AsyncClient(
            transport=transport, base_url="http://jobpath.test", event_hooks=_HOOKS, **client
        ) as c:
            yield c
    finally:
        await application.state.db.dispose()


@asynccontextmanager
async def served(application: FastAPI) -> AsyncIterator[AsyncClient]:
    """``application`` served as `jobpath serve` (and so the Docker image) serves it, on a
    real socket, and a client connecting from 127.0.0.1."""
    options = server_options(host="127.0.0.1", port=0, workers=1, limit_concurrency=64)
    server = uvicorn.Server(uvicorn.Config(application, **options))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), "the server did not start"
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with AsyncClient(base_url=f"http://127.0.0.1:{port}", event_hooks=_HOOKS) as c:
            yield c
    finally:
        server.should_exit = True
        await serving
        await application.state.db.dispose()
