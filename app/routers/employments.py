from __future__ import annotations

from fastapi import APIRouter, status

from app.deps import ActingUser, CurrentUser, EmployerUser, SessionDep, StaffUser
from app.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable, responses
from app.idempotency import Idempotent
from app.models import EmploymentKind
from app.pagination import PageDep, SyncPage, UpdatedSince, parse_updated_since
from app.schemas.common import IdPath, IdQuery
from app.schemas.employments import EmploymentCreate, EmploymentEnd, EmploymentRead
from app.services import employments
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/employments", tags=["employments"])
_READ = (Unauthorized, Forbidden, NotFound)


@router.post(
    "",
    operation_id="recordEmployment",
    response_model=EmploymentRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_READ, Unprocessable),
)
async def record_employment(
    body: EmploymentCreate, session: SessionDep, actor: StaffUser, _: Idempotent
) -> EmploymentRead:
    """Record a job found without a referral (self-employment, migrant work, assistance
    posts …) for a worker of your scope; follow-ups are scheduled."""
    return await employments.record(session, actor=actor, data=body.model_dump())


@router.get(
    "",
    operation_id="listEmployments",
    response_model=SyncPage[EmploymentRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_employments(
    session: SessionDep,
    actor: CurrentUser,
    page: PageDep,
    worker_id: IdQuery = None,
    employer_id: IdQuery = None,
    kind: EmploymentKind | None = None,
    active: bool | None = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[EmploymentRead]:
    """Employments of your scope (employers: at their own firm)."""
    filters = employments.EmploymentFilters(
        worker_id=worker_id, employer_id=employer_id, kind=kind, active=active
    )
    since = parse_updated_since(updated_since) if updated_since else None
    return await employments.get_all(
        session, actor=actor, filters=filters, params=page, since=since
    )


@router.get(
    "/{employment_id}",
    operation_id="getEmployment",
    response_model=EmploymentRead,
    responses=responses(*_READ),
)
async def get_employment(
    employment_id: IdPath, session: SessionDep, actor: CurrentUser
) -> EmploymentRead:
    """One employment, with whether it has become stable."""
    return employments.read(
        await employments.get(session, actor=actor, employment_id=employment_id)
    )


@router.post(
    "/{employment_id}/confirm",
    operation_id="confirmEmployment",
    response_model=EmploymentRead,
    responses=responses(*_READ),
)
async def confirm_employment(
    employment_id: IdPath, session: SessionDep, actor: EmployerUser
) -> EmploymentRead:
    """Confirm that the worker works at your firm (employer users)."""
    return employments.read(
        await employments.confirm(session, actor=actor, employment_id=employment_id)
    )


@router.post(
    "/{employment_id}/end",
    operation_id="endEmployment",
    response_model=EmploymentRead,
    responses=responses(*_READ, Conflict, Unprocessable),
)
async def end_employment(
    employment_id: IdPath, body: EmploymentEnd, session: SessionDep, actor: ActingUser
) -> EmploymentRead:
    """Report the end of a job with its reason (the employer, or a caseworker of the worker's
    scope); the worker's status follows."""
    employment = await employments.end(
        session, actor=actor, employment_id=employment_id, **body.model_dump()
    )
    return employments.read(employment)
