"""Mobilisation and matching: whom to mobilise for a session, and who is being trained in
what."""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.sql import json_list_contains
from app.models import EmploymentStatus, Enrolment, EnrolmentStatus, Region, Worker
from app.pagination import Page, PageParams, paginate
from app.schemas.workers import WorkerSummary
from app.scope import Actor, region_subtree
from app.services import regions, workers
from app.services.training.sessions import _LIVE, SessionClosed, get_session


async def suggested_workers(
    session: AsyncSession, *, actor: Actor, session_id: int, params: PageParams
) -> Page[WorkerSummary]:
    """Workers of your scope in the session's township who wish for its course type, are able
    to work and not in training: whom to mobilise for it."""
    training = await get_session(session, actor=actor, session_id=session_id)
    if training.status not in _LIVE:
        raise SessionClosed(f"The session is {training.status}; there is no one to mobilise.")
    township = await regions.get(session, code=training.township_code)
    stmt = select(*workers.SUMMARY_COLUMNS).where(
        workers.visible(actor),
        col(Worker.region_code).in_(select(col(Region.code)).where(region_subtree(township.path))),
        col(Worker.deleted_at).is_(None),
        col(Worker.able_to_work).is_(True),
        col(Worker.employment_status) != EmploymentStatus.in_training.value,
        json_list_contains(col(Worker.training_wishes), training.course_type.value),
        ~exists().where(col(Enrolment.worker_id) == col(Worker.id),
                        col(Enrolment.session_id) == session_id),
    )  # fmt: skip
    return await paginate(session, stmt, keys=[col(Worker.id)], params=params,
                          model=WorkerSummary)  # fmt: skip


async def skills_in_training(session: AsyncSession, *, worker_id: int) -> list[str]:
    """The course types a worker is being trained in right now."""
    rows = await session.scalars(
        select(col(Enrolment.course_type)).where(
            col(Enrolment.worker_id) == worker_id,
            col(Enrolment.status) == EnrolmentStatus.enrolled.value,
        )
    )
    return list(rows.all())


def training_for_skills(skills: list[str]) -> ColumnElement[int]:
    """1 when the worker of the row is being trained in one of ``skills`` (SQL, per row)."""
    if not skills:
        return literal(0)
    return case(
        (exists().where(col(Enrolment.worker_id) == col(Worker.id),
                        col(Enrolment.status) == EnrolmentStatus.enrolled.value,
                        col(Enrolment.course_type).in_(skills)), 1),
        else_=0,
    )  # fmt: skip
