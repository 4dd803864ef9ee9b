"""Matching workers and vacancies, scored in the database.

The score adds up, for one worker and one vacancy:

* 3 per required skill the worker has;
* 2 when the vacancy's job type is one the worker wishes for;
* 2 when the job lies within the distance the worker will go (same township = local, same
  county, same province, beyond), −2 when it lies beyond it;
* 1 per required skill the worker is being trained in right now;
* 2 for a disability-friendly post when the worker has a disability.

Each result carries the reasons it ranked. Distances come from the division codes (township =
first 9 digits, county = first 6, province = first 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.sql import json_list_contains
from app.models import (
    DisabilityLevel,
    EmploymentStatus,
    Vacancy,
    VacancyStatus,
    Worker,
    WorkLocation,
)
from app.pagination import Page, PageParams, paginate
from app.schemas.matching import CandidateMatch, VacancyMatch
from app.schemas.workers import WorkerSummary
from app.scope import Actor
from app.services import training, vacancies, workers

SKILL, WISH, NEAR, FAR, TRAINING, ACCESSIBLE = 3, 2, 2, -2, 1, 2
LEVELS = {w.value: i for i, w in enumerate(WorkLocation)}
AVAILABLE = (EmploymentStatus.unemployed.value, EmploymentStatus.in_training.value)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _count(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[int]:
    total: ColumnElement[int] = literal(0)
    for condition in conditions:
        total = total + _flag(condition)
    return total


def _distance(a: Any, b: Any) -> ColumnElement[int]:
    """0 same township, 1 same county, 2 same province, 3 beyond."""
    return case(
        (func.substr(a, 1, 9) == func.substr(b, 1, 9), 0),
        (func.substr(a, 1, 6) == func.substr(b, 1, 6), 1),
        (func.substr(a, 1, 2) == func.substr(b, 1, 2), 2),
        else_=3,
    )


@dataclass(frozen=True)
class _Parts:
    skills: ColumnElement[int]
    wish: ColumnElement[int]
    distance: ColumnElement[int]
    reach: ColumnElement[int]
    training: ColumnElement[int]
    accessible: ColumnElement[int]

    def score(self) -> ColumnElement[int]:
        within = case((self.distance <= self.reach, NEAR), else_=FAR)
        return (
            self.skills * SKILL
            + self.wish * WISH
            + within
            + self.training * TRAINING
            + self.accessible * ACCESSIBLE
        )

    def columns(self) -> list[Any]:
        return [
            self.score().label("score"), self.skills.label("m_skills"),
            self.wish.label("m_wish"), self.distance.label("m_distance"),
            self.reach.label("m_reach"), self.training.label("m_training"),
            self.accessible.label("m_accessible"),
        ]  # fmt: skip


def _reasons(row: Any, *, skills: Sequence[str], training: Sequence[str]) -> list[str]:
    out = []
    if row.m_skills:
        out.append("skills: " + ", ".join(skills))
    if row.m_wish:
        out.append("wished-for job type")
    where = list(WorkLocation)[row.m_distance].value
    out.append(f"{'within' if row.m_distance <= row.m_reach else 'beyond'} reach ({where})")
    if row.m_training:
        out.append("in training for: " + ", ".join(training))
    if row.m_accessible:
        out.append("disability-friendly post")
    return out


async def matches_for_worker(
    session: AsyncSession, *, actor: Actor, worker_id: int, params: PageParams
) -> Page[VacancyMatch]:
    """Open vacancies ranked for one worker of the caller's scope."""
    worker = await workers.get(session, actor=actor, worker_id=worker_id)
    training_now = await training.skills_in_training(session, worker_id=worker_id)
    required = col(Vacancy.required_skills)
    disabled = worker.disability_level != DisabilityLevel.none.value
    parts = _Parts(
        skills=_count([json_list_contains(required, s) for s in worker.skills]),
        wish=_flag(col(Vacancy.job_type).in_(worker.job_wishes) if worker.job_wishes else false()),
        distance=_distance(col(Vacancy.work_region_code), literal(worker.region_code)),
        reach=literal(LEVELS.get(worker.work_location_wish or "", 3)),
        training=_count([json_list_contains(required, s) for s in training_now]),
        accessible=_flag(col(Vacancy.disability_friendly).is_(True)) if disabled else literal(0),
    )
    stmt = (
        select(Vacancy, *parts.columns())
        .where(vacancies.visible(actor), col(Vacancy.status) == VacancyStatus.open.value,
               col(Vacancy.deleted_at).is_(None))
        .subquery()
    )  # fmt: skip
    ranked = select(stmt)
    page: Page[Any] = await paginate(
        session, ranked, keys=[stmt.c.score, stmt.c.id], params=params, descending=True
    )
    items = []
    for row in page.items:
        vacancy = vacancies.read(row)
        matched = [s for s in vacancy.required_skills if s in worker.skills]
        taught = [s for s in vacancy.required_skills if s in training_now]
        items.append(
            VacancyMatch(vacancy=vacancy, score=row.score,
                         reasons=_reasons(row, skills=matched, training=taught))
        )  # fmt: skip
    return Page[VacancyMatch](items=items, next_cursor=page.next_cursor)


async def candidates_for_vacancy(
    session: AsyncSession, *, actor: Actor, vacancy_id: int, params: PageParams
) -> Page[CandidateMatch]:
    """Available workers of the caller's scope ranked for one vacancy. Only workers with a
    required skill or the job type among their wishes are scored (indexed lookups)."""
    vacancy = await vacancies.get(session, actor=actor, vacancy_id=vacancy_id)
    skills = col(Worker.skills)
    has_skill = [json_list_contains(skills, s) for s in vacancy.required_skills]
    wishes = json_list_contains(col(Worker.job_wishes), vacancy.job_type)
    parts = _Parts(
        skills=_count(has_skill),
        wish=_flag(wishes),
        distance=_distance(literal(vacancy.work_region_code), col(Worker.region_code)),
        reach=case(
            *[(col(Worker.work_location_wish) == k, v) for k, v in LEVELS.items()], else_=3
        ),
        training=training.training_for_skills(list(vacancy.required_skills)),
        accessible=(
            _flag(col(Worker.disability_level) != DisabilityLevel.none.value)
            if vacancy.disability_friendly else literal(0)
        ),
    )  # fmt: skip
    stmt = (
        select(*workers.RECORD_COLUMNS, *parts.columns())
        .where(workers.visible(actor), col(Worker.deleted_at).is_(None),
               col(Worker.able_to_work).is_(True),
               col(Worker.employment_status).in_(AVAILABLE),
               or_(wishes, *has_skill))
        .subquery()
    )  # fmt: skip
    page: Page[Any] = await paginate(
        session, select(stmt), keys=[stmt.c.score, stmt.c.id], params=params, descending=True
    )
    items = []
    for row in page.items:
        summary = WorkerSummary.from_record(row)
        matched = [s for s in vacancy.required_skills if s in summary.skills]
        taught = list(vacancy.required_skills) if row.m_training else []
        items.append(
            CandidateMatch(worker=summary, score=row.score,
                           reasons=_reasons(row, skills=matched, training=taught))
        )  # fmt: skip
    return Page[CandidateMatch](items=items, next_cursor=page.next_cursor)
