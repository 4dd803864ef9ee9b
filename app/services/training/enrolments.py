"""Enrolment within the capacity (also when many phones enrol at once), attendance,
completion with a certificate and dropping out."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, NotFound
from app.models import Attendance, EmploymentStatus, Enrolment, EnrolmentStatus, TrainingSession
from app.pagination import PageParams, SyncPage, SyncPoint, synced_list
from app.schemas.training import EnrolmentRead
from app.scope import Actor, scope_filter
from app.services import audit, date_bounds, employments, workers
from app.services.training.courses import get_course
from app.services.training.ending import _end, _set_status
from app.services.training.sessions import (
    _LIVE,
    SessionClosed,
    _lock_session,
    get_session,
    take_seats,
)


class EnrolmentNotFound(NotFound):
    code = "enrolment_not_found"
    title = "No such enrolment"


class SessionFull(Conflict):
    code = "session_full"
    title = "Every seat of this session is taken"


class AlreadyInTraining(Conflict):
    code = "already_in_training"
    title = "The worker is already enrolled in a session"


class DuplicateCertificate(Conflict):
    code = "duplicate_certificate"
    title = "This certificate number is already used in this session"


class EnrolmentClosed(Conflict):
    code = "enrolment_not_active"
    title = "The enrolment is not active"


def enrolment_read(row: Any) -> EnrolmentRead:
    enrolment, days = (row, 0) if isinstance(row, Enrolment) else (row[0], row[1])
    data = {k: getattr(enrolment, k) for k in EnrolmentRead.model_fields if hasattr(enrolment, k)}
    data.update(attendance_days=days or 0, deleted=enrolment.deleted_at is not None)
    return EnrolmentRead.model_validate(data)


def _attendance_days() -> Any:
    return (
        select(func.count())
        .where(col(Attendance.enrolment_id) == col(Enrolment.id))
        .scalar_subquery()
        .label("attendance_days")
    )


def _visible_enrolments(actor: Actor) -> Any:
    return scope_filter(actor, region=col(Enrolment.region_code))


async def get_enrolment(session: AsyncSession, *, actor: Actor, enrolment_id: int) -> EnrolmentRead:
    row = (await session.execute(
        select(Enrolment, _attendance_days())
        .where(col(Enrolment.id) == enrolment_id, _visible_enrolments(actor))
    )).one_or_none()  # fmt: skip
    if row is None:
        raise EnrolmentNotFound(f"There is no enrolment {enrolment_id} in your scope.")
    return enrolment_read(row)


async def list_enrolments(
    session: AsyncSession,
    *,
    actor: Actor,
    params: PageParams,
    session_id: int | None = None,
    worker_id: int | None = None,
    status: EnrolmentStatus | None = None,
    since: SyncPoint | None = None,
) -> SyncPage[EnrolmentRead]:
    if session_id is not None:
        await get_session(session, actor=actor, session_id=session_id)
    # The keyset columns ride along by name: pagination reads them from each row.
    stmt = select(
        Enrolment, _attendance_days(), col(Enrolment.id), col(Enrolment.change_seq)
    ).where(_visible_enrolments(actor))
    if session_id is not None:
        stmt = stmt.where(col(Enrolment.session_id) == session_id)
    if worker_id is not None:
        stmt = stmt.where(col(Enrolment.worker_id) == worker_id)
    if status is not None:
        stmt = stmt.where(col(Enrolment.status) == status.value)
    return await synced_list(
        session,
        stmt,
        record=Enrolment,
        since=since,
        params=params,
        keys=[col(Enrolment.id)],
        row=enrolment_read,
    )


async def enrol(
    session: AsyncSession, *, actor: Actor, session_id: int, worker_id: int
) -> EnrolmentRead:
    """Enrol a worker of your scope. The session row is locked while the seat is taken, so
    the capacity holds however many phones enrol at the same instant; a worker has one active
    enrolment at a time (also enforced by a unique index)."""
    training = await _lock_session(session, actor, session_id)
    worker = await workers.get(session, actor=actor, worker_id=worker_id, for_update=True)
    if training.status not in _LIVE:
        raise SessionClosed(f"The session is {training.status}; nobody can enrol.")
    active = await session.scalar(
        select(col(Enrolment.id)).where(col(Enrolment.worker_id) == worker_id,
                                        col(Enrolment.status) == EnrolmentStatus.enrolled.value)
    )  # fmt: skip
    if active is not None:
        raise AlreadyInTraining(f"The worker is already enrolled (enrolment {active}).")
    if training.enrolled >= training.capacity:
        raise SessionFull(f"All {training.capacity} seats of this session are taken.")
    course = await get_course(session, course_id=training.course_id)
    assert worker.id is not None
    enrolment = Enrolment(
        session_id=session_id, worker_id=worker.id, region_code=worker.region_code,
        course_type=course.type, previous_status=worker.employment_status, enrolled_by=actor.id,
    )  # fmt: skip
    session.add(enrolment)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise AlreadyInTraining("The worker was enrolled a moment ago.") from exc
    seat = take_seats(training, 1)
    await _set_status(session, actor, worker, EmploymentStatus.in_training.value)
    created = audit.Change(
        "enrolment.create", "enrolment", enrolment.id, enrolment.region_code,
        after={"session_id": session_id, "worker_id": worker_id}, stamp=enrolment,
    )  # fmt: skip
    await audit.record_many(session, actor=actor, changes=[created, seat])
    await commit(session, result=enrolment)
    assert enrolment.id is not None
    return await get_enrolment(session, actor=actor, enrolment_id=enrolment.id)


async def _active(session: AsyncSession, actor: Actor, enrolment_id: int) -> Enrolment:
    enrolment = await session.scalar(
        select(Enrolment)
        .where(col(Enrolment.id) == enrolment_id, _visible_enrolments(actor))
        .with_for_update()
    )
    if enrolment is None:
        raise EnrolmentNotFound(f"There is no enrolment {enrolment_id} in your scope.")
    if enrolment.status != EnrolmentStatus.enrolled.value:
        raise EnrolmentClosed(f"The enrolment is {enrolment.status}.")
    return enrolment


async def record_attendance(
    session: AsyncSession, *, actor: Actor, enrolment_id: int, day: date
) -> EnrolmentRead:
    """Attendance for one day of the session (within its dates, not in the future); the same
    day twice is recorded once."""
    enrolment = await _active(session, actor, enrolment_id)
    training = await session.get(TrainingSession, enrolment.session_id)
    assert training is not None
    date_bounds.training_day("body.day", day, training=training, enrolment=enrolment)
    exists_already = await session.get(Attendance, (enrolment_id, day))
    if exists_already is None:
        session.add(Attendance(enrolment_id=enrolment_id, day=day, recorded_by=actor.id))
        await session.flush()
        await audit.record(
            session,
            actor=actor,
            action="enrolment.attendance",
            resource_type="enrolment",
            resource_id=enrolment_id,
            region_code=enrolment.region_code,
            after={"day": day},
            stamp=enrolment,
        )
    await commit(session)
    return await get_enrolment(session, actor=actor, enrolment_id=enrolment_id)


async def complete(
    session: AsyncSession,
    *,
    actor: Actor,
    enrolment_id: int,
    certificate_number: str,
    completed_on: date | None,
) -> EnrolmentRead:
    """Completion with a certificate number (unique in the session): the worker gains the
    course's skill and gets back the status they had before training."""
    enrolment = await _active(session, actor, enrolment_id)
    training = await session.get(TrainingSession, enrolment.session_id)
    assert training is not None
    # Recorded after the session ended, the completion is by default its last day.
    completed_on = completed_on or min(date_bounds.today(), training.end_date)
    date_bounds.training_day(
        "body.completed_on", completed_on, training=training, enrolment=enrolment
    )
    taken = await session.scalar(
        select(col(Enrolment.id)).where(col(Enrolment.session_id) == enrolment.session_id,
                                        col(Enrolment.certificate_number) == certificate_number)
    )  # fmt: skip
    if taken is not None:
        raise DuplicateCertificate(f"Certificate {certificate_number} is already used here.")
    # A completion racing this one with the same number shows up at the first flush, which
    # may be an autoflush inside _end.
    try:
        await _end(
            session,
            actor,
            enrolment,
            EnrolmentStatus.completed,
            certificate_number=certificate_number,
            completed_on=completed_on,
        )
        await session.flush()
    except IntegrityError as exc:
        raise DuplicateCertificate(f"Certificate {certificate_number} was just used.") from exc
    await commit(session, result=enrolment)
    return await get_enrolment(session, actor=actor, enrolment_id=enrolment_id)


async def drop(
    session: AsyncSession, *, actor: Actor, enrolment_id: int, reason: str
) -> EnrolmentRead:
    """Dropping out frees the seat and gives the worker back their status."""
    enrolment = await _active(session, actor, enrolment_id)
    training = await session.get(TrainingSession, enrolment.session_id, with_for_update=True)
    assert training is not None
    await audit.record_many(session, actor=actor, changes=[take_seats(training, -1)])
    await _end(
        session,
        actor,
        enrolment,
        EnrolmentStatus.dropped,
        dropped_on=employments.today(),
        drop_reason=reason,
    )
    await commit(session, result=enrolment)
    return await get_enrolment(session, actor=actor, enrolment_id=enrolment_id)
