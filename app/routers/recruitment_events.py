from __future__ import annotations

from fastapi import APIRouter, status

from app.deps import CurrentUser, SessionDep, StaffUser
from app.errors import Forbidden, NotFound, Unauthorized, Unprocessable, responses
from app.idempotency import Idempotent
from app.models import Campaign
from app.pagination import PageDep, SyncPage, UpdatedSince, parse_updated_since
from app.schemas.common import IdPath, IsoDate
from app.schemas.recruitment_events import (
    Attendance,
    EventCreate,
    EventDetail,
    EventParticipation,
    EventRead,
)
from app.services import recruitment_events
from app.versioning import VersionedRoute

router = APIRouter(
    route_class=VersionedRoute, prefix="/recruitment-events", tags=["recruitment-events"]
)
_READ = (Unauthorized, Forbidden, NotFound)


@router.post(
    "",
    operation_id="createRecruitmentEvent",
    response_model=EventDetail,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Unprocessable),
)
async def create_event(
    body: EventCreate, session: SessionDep, actor: StaffUser, _: Idempotent
) -> EventDetail:
    """Announce a job fair or campaign, with the employers and vacancies taking part."""
    return await recruitment_events.create(session, actor=actor, data=body.model_dump())


@router.get(
    "",
    operation_id="listRecruitmentEvents",
    response_model=SyncPage[EventRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_events(
    session: SessionDep,
    actor: CurrentUser,
    page: PageDep,
    campaign: Campaign | None = None,
    from_date: IsoDate | None = None,
    to_date: IsoDate | None = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[EventRead]:
    """Recruitment events, newest first; with `updated_since`, the changes since your last
    sync, in commit order."""
    filters = recruitment_events.EventFilters(
        campaign=campaign, from_date=from_date, to_date=to_date
    )
    since = parse_updated_since(updated_since) if updated_since else None
    return await recruitment_events.get_all(
        session, actor=actor, filters=filters, params=page, since=since
    )


@router.get(
    "/{event_id}",
    operation_id="getRecruitmentEvent",
    response_model=EventDetail,
    responses=responses(*_READ),
)
async def get_event(event_id: IdPath, session: SessionDep, actor: CurrentUser) -> EventDetail:
    """One event: who took part, how many of your workers came, and the referrals' outcomes."""
    return await recruitment_events.detail(session, actor=actor, event_id=event_id)


@router.post(
    "/{event_id}/participants",
    operation_id="addEventParticipants",
    response_model=EventDetail,
    responses=responses(*_READ, Unprocessable),
)
async def add_event_participants(
    event_id: IdPath, body: EventParticipation, session: SessionDep, actor: StaffUser
) -> EventDetail:
    """Add employers and vacancies taking part."""
    return await recruitment_events.add_participants(
        session, actor=actor, event_id=event_id, **body.model_dump()
    )


@router.post(
    "/{event_id}/attendees",
    operation_id="addEventAttendee",
    response_model=EventDetail,
    responses=responses(*_READ),
)
async def add_event_attendee(
    event_id: IdPath, body: Attendance, session: SessionDep, actor: StaffUser
) -> EventDetail:
    """Record that a worker of your scope attended."""
    return await recruitment_events.attend(
        session, actor=actor, event_id=event_id, worker_id=body.worker_id
    )
