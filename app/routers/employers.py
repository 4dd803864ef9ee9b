from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.deps import AdminUser, CurrentUser, EmployerOrAdminUser, SessionDep
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
from app.models import Employer, EmployerKind
from app.pagination import Page, PageDep
from app.schemas.common import IdPath
from app.schemas.employers import EmployerCreate, EmployerRead, EmployerUpdate
from app.services import employers
from app.versioning import IfMatchDep, VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/employers", tags=["employers"])
_READ = (Unauthorized, Forbidden, NotFound)


@router.post(
    "",
    operation_id="createEmployer",
    response_model=EmployerRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Conflict, Unprocessable),
)
async def create_employer(
    body: EmployerCreate, session: SessionDep, actor: AdminUser, _: Idempotent
) -> Employer:
    """Register an employer (admin); its credit code is checked (GB 32100) and unique."""
    return await employers.create(session, actor=actor, data=body.model_dump())


@router.get(
    "",
    operation_id="listEmployers",
    response_model=Page[EmployerRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_employers(
    session: SessionDep,
    actor: CurrentUser,
    page: PageDep,
    kind: EmployerKind | None = None,
    verified: bool | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{6,12}$")] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> Page[Employer]:
    """Employers: all of them for caseworkers and admins, those of their region for auditors,
    their own for employer users."""
    filters = employers.EmployerFilters(kind=kind, region=region, verified=verified, name=name)
    return await employers.get_all(session, actor=actor, filters=filters, params=page)


@router.get(
    "/{employer_id}",
    operation_id="getEmployer",
    response_model=EmployerRead,
    responses=responses(*_READ),
)
async def get_employer(employer_id: IdPath, session: SessionDep, actor: CurrentUser) -> Employer:
    """One employer."""
    return await employers.get(session, actor=actor, employer_id=employer_id)


@router.patch(
    "/{employer_id}",
    operation_id="updateEmployer",
    response_model=EmployerRead,
    responses=responses(*_READ, PreconditionFailed, Unprocessable, PreconditionRequired),
)
async def update_employer(
    employer_id: IdPath,
    body: EmployerUpdate,
    session: SessionDep,
    actor: EmployerOrAdminUser,
    if_match: IfMatchDep,
) -> Employer:
    """Edit an employer: its own users change name, contact and address; admins also kind
    and region."""
    return await employers.update(
        session,
        actor=actor,
        employer_id=employer_id,
        expected_version=if_match.version,
        changes=body.model_dump(exclude_unset=True),
    )


@router.post(
    "/{employer_id}/verify",
    operation_id="verifyEmployer",
    response_model=EmployerRead,
    responses=responses(*_READ),
)
async def verify_employer(employer_id: IdPath, session: SessionDep, actor: AdminUser) -> Employer:
    """Mark an employer verified (admin); only verified employers may post vacancies."""
    return await employers.verify(session, actor=actor, employer_id=employer_id)
