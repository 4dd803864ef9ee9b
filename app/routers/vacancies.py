from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.deps import CurrentUser, EmployerUser, SessionDep, StaffUser
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
from app.models import JobType, Skill, Vacancy, VacancyStatus
from app.pagination import Page, PageDep, SyncPage, UpdatedSince, parse_updated_since
from app.schemas.common import IdPath, IdQuery
from app.schemas.matching import CandidateMatch
from app.schemas.vacancies import VacancyCreate, VacancyRead, VacancyUpdate
from app.services import matching, vacancies
from app.versioning import IfMatchDep, VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/vacancies", tags=["vacancies"])
_READ = (Unauthorized, Forbidden, NotFound)


@router.post(
    "",
    operation_id="createVacancy",
    response_model=VacancyRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Unprocessable),
)
async def create_vacancy(
    body: VacancyCreate,
    session: SessionDep,
    actor: EmployerUser,
    _: Idempotent,
) -> VacancyRead:
    """Post a vacancy for your employer (employer users of a verified employer)."""
    vacancy = await vacancies.create(session, actor=actor, data=body.model_dump())
    return vacancies.read(vacancy)


@router.get(
    "",
    operation_id="listVacancies",
    response_model=SyncPage[VacancyRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_vacancies(
    session: SessionDep,
    actor: CurrentUser,
    page: PageDep,
    status: Annotated[
        VacancyStatus | None,
        Query(
            description="Default: open vacancies only; with `updated_since`, every status "
            "(so a phone learns that a vacancy it holds was closed or filled)."
        ),
    ] = None,
    job_type: JobType | None = None,
    region: Annotated[
        str | None, Query(pattern=r"^\d{6,12}$", description="Work region subtree.")
    ] = None,
    skill: Skill | None = None,
    min_wage_fen: Annotated[int | None, Query(ge=0, le=1_000_000_000)] = None,
    housing_offered: bool | None = None,
    employer_id: IdQuery = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[VacancyRead]:
    """Vacancies: every one for caseworkers and admins, your own for employer users, those
    working in your region for auditors."""
    filters = vacancies.VacancyFilters(
        status=status,
        job_type=job_type,
        region=region,
        skill=skill,
        min_wage_fen=min_wage_fen,
        housing_offered=housing_offered,
        employer_id=employer_id,
    )
    since = parse_updated_since(updated_since) if updated_since else None
    return await vacancies.get_all(session, actor=actor, filters=filters, params=page, since=since)


@router.get(
    "/{vacancy_id}",
    operation_id="getVacancy",
    response_model=VacancyRead,
    responses=responses(*_READ),
)
async def get_vacancy(vacancy_id: IdPath, session: SessionDep, actor: CurrentUser) -> VacancyRead:
    """One vacancy."""
    vacancy = await vacancies.get(session, actor=actor, vacancy_id=vacancy_id)
    return vacancies.read(vacancy)


@router.patch(
    "/{vacancy_id}",
    operation_id="updateVacancy",
    response_model=VacancyRead,
    responses=responses(*_READ, Conflict, PreconditionFailed, Unprocessable, PreconditionRequired),
)
async def update_vacancy(
    vacancy_id: IdPath,
    body: VacancyUpdate,
    session: SessionDep,
    actor: EmployerUser,
    if_match: IfMatchDep,
) -> VacancyRead:
    """Edit your own vacancy (send `If-Match`)."""
    vacancy = await vacancies.update(
        session,
        actor=actor,
        vacancy_id=vacancy_id,
        expected_version=if_match.version,
        changes=body.model_dump(exclude_unset=True),
    )
    return vacancies.read(vacancy)


@router.post(
    "/{vacancy_id}/close",
    operation_id="closeVacancy",
    response_model=VacancyRead,
    responses=responses(*_READ),
)
async def close_vacancy(vacancy_id: IdPath, session: SessionDep, actor: EmployerUser) -> Vacancy:
    """Close your own vacancy: no more referrals or hires."""
    return await vacancies.close(session, actor=actor, vacancy_id=vacancy_id)


@router.get(
    "/{vacancy_id}/candidates",
    operation_id="listVacancyCandidates",
    response_model=Page[CandidateMatch],
    responses=responses(*_READ, Unprocessable),
)
async def list_vacancy_candidates(
    vacancy_id: IdPath, session: SessionDep, actor: StaffUser, page: PageDep
) -> Page[CandidateMatch]:
    """Available workers of your scope ranked for this vacancy, each with why it ranked."""
    return await matching.candidates_for_vacancy(
        session, actor=actor, vacancy_id=vacancy_id, params=page
    )
