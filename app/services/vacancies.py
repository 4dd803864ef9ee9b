"""Vacancies: employers post, edit and close their own; everyone in the programme finds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.core.sql import json_list_contains
from app.errors import Conflict, FieldError, Forbidden, NotFound, RangeReversed
from app.models import Employer, JobType, Region, Skill, Vacancy, VacancyStatus
from app.pagination import PageParams, SyncPage, SyncPoint, synced_list
from app.schemas.vacancies import VacancyRead
from app.scope import EVERYWHERE, Actor, region_subtree, scope_filter
from app.services import audit, regions
from app.versioning import ensure_version

_FIELDS = (
    "title", "job_type", "required_skills", "description", "openings", "filled",
    "wage_min_fen", "wage_max_fen", "work_region_code", "housing_offered",
    "disability_friendly", "status",
)  # fmt: skip


class VacancyNotFound(NotFound):
    code = "vacancy_not_found"
    title = "No such vacancy"


class EmployerNotVerified(Forbidden):
    code = "employer_not_verified"
    title = "The employer is not verified yet"


class OpeningsBelowFilled(Conflict):
    code = "openings_below_filled"
    title = "More openings are taken than the new number"


class VacancyNotOpen(Conflict):
    code = "vacancy_not_open"
    title = "The vacancy is not open"


@dataclass(frozen=True)
class VacancyFilters:
    status: VacancyStatus | None = None
    job_type: JobType | None = None
    region: str | None = None
    skill: Skill | None = None
    min_wage_fen: int | None = None
    housing_offered: bool | None = None
    employer_id: int | None = None


def snapshot(vacancy: Vacancy) -> dict[str, Any]:
    return {k: getattr(vacancy, k) for k in _FIELDS}


def read(row: Any) -> VacancyRead:
    data = {k: getattr(row, k) for k in VacancyRead.model_fields if hasattr(row, k)}
    data["deleted"] = getattr(row, "deleted_at", None) is not None
    return VacancyRead.model_validate(data)


def visible(actor: Actor) -> Any:
    return scope_filter(
        actor,
        region=col(Vacancy.work_region_code),
        employer=col(Vacancy.employer_id),
        open_to=EVERYWHERE,
    )


async def get(
    session: AsyncSession, *, actor: Actor, vacancy_id: int, for_update: bool = False
) -> Vacancy:
    stmt = select(Vacancy).where(
        col(Vacancy.id) == vacancy_id, col(Vacancy.deleted_at).is_(None), visible(actor)
    )
    vacancy = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if vacancy is None:
        raise VacancyNotFound(f"There is no vacancy {vacancy_id} you may see.")
    return vacancy


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    filters: VacancyFilters,
    params: PageParams,
    since: SyncPoint | None = None,
) -> SyncPage[VacancyRead]:
    stmt = select(Vacancy).where(visible(actor))
    # A plain list shows open vacancies unless asked; a sync pass must also carry the ones that
    # were closed or filled since, or a phone would keep offering them.
    status = filters.status or (None if since is not None else VacancyStatus.open)
    if status:
        stmt = stmt.where(col(Vacancy.status) == status.value)
    if filters.job_type:
        stmt = stmt.where(col(Vacancy.job_type) == filters.job_type.value)
    if filters.skill:
        stmt = stmt.where(json_list_contains(col(Vacancy.required_skills), filters.skill.value))
    if filters.min_wage_fen is not None:
        best = func.coalesce(col(Vacancy.wage_max_fen), col(Vacancy.wage_min_fen))
        stmt = stmt.where(best >= filters.min_wage_fen)
    if filters.housing_offered is not None:
        stmt = stmt.where(col(Vacancy.housing_offered) == filters.housing_offered)
    if filters.employer_id is not None:
        stmt = stmt.where(col(Vacancy.employer_id) == filters.employer_id)
    if filters.region:
        root = await regions.get(session, code=filters.region)
        stmt = stmt.where(
            col(Vacancy.work_region_code).in_(
                select(col(Region.code)).where(region_subtree(root.path))
            )
        )
    return await synced_list(
        session, stmt, record=Vacancy, since=since, params=params, keys=[col(Vacancy.id)], row=read
    )


async def _own_verified_employer(session: AsyncSession, actor: Actor) -> Employer:
    if actor.employer_id is None:
        raise Forbidden("Only employer users post vacancies.")
    employer = await session.get(Employer, actor.employer_id)
    if employer is None or not employer.verified:
        raise EmployerNotVerified(
            "Your employer has not been verified by the labour bureau yet; vacancies can be "
            "posted once it is."
        )
    return employer


async def create(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> Vacancy:
    employer = await _own_verified_employer(session, actor)
    await regions.require(session, code=data["work_region_code"], field="work_region_code")
    vacancy = Vacancy.model_validate({**data, "employer_id": employer.id, "posted_by": actor.id})
    session.add(vacancy)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="vacancy.create",
        resource_type="vacancy",
        resource_id=vacancy.id,
        region_code=vacancy.work_region_code,
        after=snapshot(vacancy),
        stamp=vacancy,
    )
    await commit(session, result=vacancy)
    return vacancy


async def _own(session: AsyncSession, actor: Actor, vacancy_id: int) -> Vacancy:
    """A vacancy of the employer user's own employer (404 for anyone else's)."""
    vacancy = await get(session, actor=actor, vacancy_id=vacancy_id, for_update=True)
    if actor.employer_id is None or vacancy.employer_id != actor.employer_id:
        raise VacancyNotFound(f"There is no vacancy {vacancy_id} of your employer.")
    return vacancy


async def update(
    session: AsyncSession,
    *,
    actor: Actor,
    vacancy_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> Vacancy:
    vacancy = await _own(session, actor, vacancy_id)
    ensure_version(
        expected=expected_version,
        current_version=vacancy.version,
        changes=changes,
        current=read(vacancy).model_dump(mode="json"),
    )
    merged = {**snapshot(vacancy), **changes}
    if merged["wage_max_fen"] is not None and merged["wage_max_fen"] < merged["wage_min_fen"]:
        raise RangeReversed(
            "The wage range is upside down.",
            errors=[
                FieldError(
                    field="body.wage_max_fen", message="below wage_min_fen", type="range_reversed"
                )
            ],
        )
    if merged["openings"] < vacancy.filled:
        raise OpeningsBelowFilled(
            f"{vacancy.filled} openings are already taken; openings cannot go lower."
        )
    if "work_region_code" in changes:
        await regions.require(session, code=changes["work_region_code"], field="work_region_code")
    before = snapshot(vacancy)
    for key, value in changes.items():
        setattr(vacancy, key, value)
    _settle_status(vacancy)
    await audit.record(
        session,
        actor=actor,
        action="vacancy.update",
        resource_type="vacancy",
        resource_id=vacancy.id,
        region_code=vacancy.work_region_code,
        before=before,
        after=snapshot(vacancy),
        stamp=vacancy,
    )
    await commit(session, result=vacancy)
    return vacancy


def _settle_status(vacancy: Vacancy) -> None:
    if vacancy.status == VacancyStatus.closed.value:
        return
    full = vacancy.filled >= vacancy.openings
    vacancy.status = (VacancyStatus.filled if full else VacancyStatus.open).value


async def close(session: AsyncSession, *, actor: Actor, vacancy_id: int) -> Vacancy:
    vacancy = await _own(session, actor, vacancy_id)
    if vacancy.status != VacancyStatus.closed.value:
        before = {"status": vacancy.status}
        vacancy.status = VacancyStatus.closed.value
        await audit.record(
            session,
            actor=actor,
            action="vacancy.close",
            resource_type="vacancy",
            resource_id=vacancy.id,
            region_code=vacancy.work_region_code,
            before=before,
            after={"status": vacancy.status},
            stamp=vacancy,
        )
    await commit(session, result=vacancy)
    return vacancy


def take_opening(vacancy: Vacancy) -> None:
    """One more opening taken (the caller holds the row lock); 409 when none is left."""
    if vacancy.status != VacancyStatus.open.value or vacancy.filled >= vacancy.openings:
        raise VacancyNotOpen("Every opening of this vacancy is already taken.")
    vacancy.filled += 1
    _settle_status(vacancy)
