from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import ReaderUser, SessionDep, StaffUser
from app.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, responses
from app.models import FollowUp, FollowUpStatus
from app.pagination import PageDep, SyncPage, UpdatedSince, parse_updated_since
from app.schemas.common import IdPath, IsoDate
from app.schemas.employments import FollowUpRead, FollowUpRecord
from app.services import employments
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/follow-ups", tags=["follow-ups"])


@router.get(
    "",
    operation_id="listFollowUps",
    response_model=SyncPage[FollowUpRead],
    responses=responses(Unauthorized, Forbidden, Unprocessable),
)
async def list_follow_ups(
    session: SessionDep,
    actor: ReaderUser,
    page: PageDep,
    due_before: IsoDate | None = None,
    status: Annotated[
        FollowUpStatus | None,
        Query(description="Default: `due`; with `updated_since`, every status."),
    ] = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[FollowUpRead]:
    """The caseworker's to-do list: follow-up checks of placements in your scope, by due
    date (default: those still due). Auditors read it too. With `updated_since`, the changes
    since your last sync, in commit order: checks recorded and follow-ups cancelled too."""
    since = parse_updated_since(updated_since) if updated_since else None
    return await employments.due_follow_ups(
        session, actor=actor, params=page, due_before=due_before, status=status, since=since
    )


@router.post(
    "/{follow_up_id}",
    operation_id="recordFollowUp",
    response_model=FollowUpRead,
    responses=responses(Unauthorized, Forbidden, NotFound, Conflict, Unprocessable),
)
async def record_follow_up(
    follow_up_id: IdPath, body: FollowUpRecord, session: SessionDep, actor: StaffUser
) -> FollowUp:
    """Record a check: still employed (with the wage) or left (which ends the employment)."""
    return await employments.record_follow_up(
        session, actor=actor, follow_up_id=follow_up_id, **body.model_dump()
    )
