"""How an enrolment ends (completed or dropped): the worker's status comes back and a
completion gives the course's skill. Shared by the enrolment workflow and by a session's
cancellation."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import EmploymentStatus, Enrolment, EnrolmentStatus, Worker
from app.scope import Actor
from app.services import audit


async def _set_status(session: AsyncSession, actor: Actor, worker: Worker, status: str) -> None:
    if worker.employment_status == status:
        return
    before = worker.employment_status
    worker.employment_status = status
    await audit.record(
        session,
        actor=actor,
        action="worker.status_changed_by_training",
        resource_type="worker",
        resource_id=worker.id,
        region_code=worker.region_code,
        before={"employment_status": before},
        after={"employment_status": status},
        stamp=worker,
    )


async def _end(
    session: AsyncSession,
    actor: Actor,
    enrolment: Enrolment,
    status: EnrolmentStatus,
    **fields: Any,
) -> None:
    before = {"status": enrolment.status}
    enrolment.status = status.value
    for key, value in fields.items():
        setattr(enrolment, key, value)
    worker = await session.get(Worker, enrolment.worker_id, with_for_update=True)
    assert worker is not None
    if status is EnrolmentStatus.completed and enrolment.course_type not in worker.skills:
        skills_before = list(worker.skills)
        worker.skills = [*worker.skills, enrolment.course_type]
        await audit.record(
            session,
            actor=actor,
            action="worker.skill_gained",
            resource_type="worker",
            resource_id=worker.id,
            region_code=worker.region_code,
            before={"skills": skills_before},
            after={"skills": worker.skills},
            stamp=worker,
        )
    if worker.employment_status == EmploymentStatus.in_training.value:
        await _set_status(session, actor, worker, enrolment.previous_status)
    await audit.record(
        session,
        actor=actor,
        action=f"enrolment.{status.value}",
        resource_type="enrolment",
        resource_id=enrolment.id,
        region_code=enrolment.region_code,
        before=before,
        after={"status": status.value, **fields},
        stamp=enrolment,
    )
