from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.deps import ReaderUser, SessionDep, StaffUser
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    Unprocessable,
    responses,
)
from app.idempotency import Idempotent
from app.models import PovertyStatus
from app.pagination import PageDep, SyncPage, UpdatedSince, parse_updated_since
from app.schemas.common import IdPath
from app.schemas.households import HouseholdCreate, HouseholdRead, HouseholdSummary, HouseholdUpdate
from app.schemas.workers import HouseholdVisitCreate, VisitRead
from app.services import households, visits
from app.versioning import IfMatchDep, VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/households", tags=["households"])
_READ = (Unauthorized, Forbidden, NotFound)


@router.post(
    "",
    operation_id="createHousehold",
    response_model=HouseholdRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Conflict, Unprocessable),
)
async def create_household(
    body: HouseholdCreate,
    session: SessionDep,
    actor: StaffUser,
    _: Idempotent,
) -> HouseholdRead:
    """Register a household in a village of your scope (caseworkers, admins)."""
    return await households.create(session, actor=actor, data=body.model_dump())


@router.get(
    "",
    operation_id="listHouseholds",
    response_model=SyncPage[HouseholdSummary],
    responses=responses(*_READ, Unprocessable),
)
async def list_households(
    session: SessionDep,
    actor: ReaderUser,
    page: PageDep,
    region: Annotated[str | None, Query(pattern=r"^\d{6,12}$")] = None,
    poverty_status: PovertyStatus | None = None,
    number: Annotated[str | None, Query(min_length=1, max_length=30)] = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[HouseholdSummary]:
    """Households in your scope; with `updated_since`, the changes since your last sync."""
    filters = households.HouseholdFilters(
        region=region, poverty_status=poverty_status, number=number
    )
    since = parse_updated_since(updated_since) if updated_since else None
    return await households.get_all(session, actor=actor, filters=filters, params=page, since=since)


@router.get(
    "/{household_id}",
    operation_id="getHousehold",
    response_model=HouseholdRead,
    responses=responses(*_READ),
)
async def get_household(
    household_id: IdPath, session: SessionDep, actor: ReaderUser
) -> HouseholdRead:
    """One household with its members."""
    household = await households.get(session, actor=actor, household_id=household_id)
    return await households.detail(session, household=household)


@router.patch(
    "/{household_id}",
    operation_id="updateHousehold",
    response_model=HouseholdRead,
    responses=responses(*_READ, PreconditionFailed, Unprocessable, PreconditionRequired),
)
async def update_household(
    household_id: IdPath,
    body: HouseholdUpdate,
    session: SessionDep,
    actor: StaffUser,
    if_match: IfMatchDep,
) -> HouseholdRead:
    """Change a household (send `If-Match`); a stale version gets 412 with the current one."""
    household = await households.update(
        session,
        actor=actor,
        household_id=household_id,
        expected_version=if_match.version,
        changes=body.model_dump(exclude_unset=True),
    )
    return await households.detail(session, household=household)


@router.post(
    "/{household_id}/visits",
    operation_id="createHouseholdVisit",
    response_model=VisitRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_READ, Unprocessable),
)
async def create_household_visit(
    household_id: IdPath,
    body: HouseholdVisitCreate,
    session: SessionDep,
    actor: StaffUser,
    _: Idempotent,
) -> VisitRead:
    """Record a visit to a household; a poverty-status change made at it is applied."""
    visit = await visits.record_household_visit(
        session, actor=actor, household_id=household_id, fields=body.model_dump()
    )
    return VisitRead.model_validate(visit)


@router.get(
    "/{household_id}/visits",
    operation_id="listHouseholdVisits",
    response_model=SyncPage[VisitRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_household_visits(
    household_id: IdPath, session: SessionDep, actor: ReaderUser, page: PageDep
) -> SyncPage[VisitRead]:
    """Visits to one household, newest first."""
    return await visits.get_all(session, actor=actor, params=page, household_id=household_id)
