"""The app's routes, read from the routers themselves, for the guard tests that must notice a
route added later (idempotent replays, cross-tenant probes, statement counts)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

from fastapi.routing import APIRoute

import app.routers


def api_routes() -> Iterator[APIRoute]:
    """Every route of ``app.routers.*`` (paths under /api/v1)."""
    for module in pkgutil.iter_modules(app.routers.__path__):
        router = getattr(importlib.import_module(f"app.routers.{module.name}"), "router", None)
        for route in getattr(router, "routes", []):
            if isinstance(route, APIRoute):
                yield route
