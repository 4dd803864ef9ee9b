from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.errors import ServiceUnavailable, responses
from app.services import health
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/healthz", operation_id="getHealth", response_model=Health)
async def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="getReadiness",
    response_model=Health,
    responses=responses(ServiceUnavailable),
)
async def readyz(request: Request) -> Health:
    """The database answers."""
    await health.ping(request.app.state.db)
    return Health(status="ready")
