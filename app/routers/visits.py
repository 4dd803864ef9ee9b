from __future__ import annotations

from fastapi import APIRouter

from app.deps import ReaderUser, SessionDep
from app.errors import Forbidden, Unauthorized, Unprocessable, responses
from app.pagination import PageDep, SyncPage, UpdatedSince, parse_updated_since
from app.schemas.workers import VisitRead
from app.services import visits
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/visits", tags=["visits"])


@router.get(
    "",
    operation_id="listVisits",
    response_model=SyncPage[VisitRead],
    responses=responses(Unauthorized, Forbidden, Unprocessable),
)
async def list_visits(
    session: SessionDep, actor: ReaderUser, page: PageDep, updated_since: UpdatedSince = None
) -> SyncPage[VisitRead]:
    """Visits in your scope, newest first; with `updated_since`, the changes since your last
    sync."""
    since = parse_updated_since(updated_since) if updated_since else None
    return await visits.get_all(session, actor=actor, params=page, since=since)
