"""Skills training: courses (admin), sessions run township by township, enrolment within the
capacity (also when many phones enrol at once), attendance, completion with a certificate —
which gives the worker the course's skill — and dropping out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.core.sql import json_list_contains
from app.errors import Conflict, FieldError, NotFound, Unprocessable
from app.models import (
    Attendance,
    EmploymentStatus,
    Enrolment,
    EnrolmentStatus,
    Region,
    RegionLevel,
    SessionStatus,
    Skill,
    TrainingCourse,
    TrainingSession,
    Worker,
)
from app.pagination import Page, PageParams, SyncPage, SyncPoint, paginate, paginate_changes
from app.schemas.training import EnrolmentRead, SessionRead
from app.schemas.workers import WorkerSummary
from app.scope import EVERYWHERE, Actor, region_subtree, scope_filter, writable
from app.services import audit, employments, regions, workers
from app.versioning import ensure_version

# Sessions a worker can still be enrolled in (and take a seat of).
_LIVE = (SessionStatus.planned.value, SessionStatus.running.value)


class CourseNotFound(NotFound):
    code = "course_not_found"
    title = "No such course"


class SessionNotFound(NotFound):
    code = "session_not_found"
    title = "No such training session"


class EnrolmentNotFound(NotFound):
    code = "enrolment_not_found"
    title = "No such enrolment"


class SessionClosed(Conflict):
    code = "session_closed"
    title = "The session is finished or cancelled"


class CapacityBelowEnrolled(Conflict):
    code = "capacity_below_enrolled"
    title = "More seats are taken than the new capacity"


class InvalidSessionTransition(Conflict):
    code = "invalid_session_transition"
    title = "The session cannot move to that status"


# planned → running → finished; planned or running → cancelled. Finished and cancelled are final.
_NEXT = {
    SessionStatus.planned.value: {SessionStatus.running.value, SessionStatus.cancelled.value},
    SessionStatus.running.value: {SessionStatus.finished.value, SessionStatus.cancelled.value},
}


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


@dataclass(frozen=True)
class SessionFilters:
    township: str | None = None
    course_type: Skill | None = None
    status: SessionStatus | None = None
    starts_from: date | None = None
    starts_until: date | None = None


# -- courses -------------------------------------------------------------------------------


async def get_course(session: AsyncSession, *, course_id: int) -> TrainingCourse:
    course = await session.get(TrainingCourse, course_id)
    if course is None:
        raise CourseNotFound(f"There is no course {course_id}.")
    return course


async def list_courses(
    session: AsyncSession, *, params: PageParams, course_type: Skill | None
) -> Page[TrainingCourse]:
    stmt = select(TrainingCourse)
    if course_type is not None:
        stmt = stmt.where(col(TrainingCourse.type) == course_type.value)
    return await paginate(session, stmt, keys=[col(TrainingCourse.id)], params=params)


async def create_course(
    session: AsyncSession, *, actor: Actor, data: dict[str, Any]
) -> TrainingCourse:
    regions.ensure_level(actor, what="The course catalogue")
    course = TrainingCourse.model_validate(data)
    session.add(course)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="course.create",
        resource_type="course",
        resource_id=course.id,
        after=data,
    )
    await commit(session, result=course)
    return course


async def update_course(
    session: AsyncSession,
    *,
    actor: Actor,
    course_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> TrainingCourse:
    regions.ensure_level(actor, what="The course catalogue")
    course = await get_course(session, course_id=course_id)
    ensure_version(
        expected=expected_version,
        current_version=course.version,
        changes=changes,
        current={"name": course.name, "hours": course.hours},
    )
    before = {k: getattr(course, k) for k in changes}
    for key, value in changes.items():
        setattr(course, key, value)
    await audit.record(
        session,
        actor=actor,
        action="course.update",
        resource_type="course",
        resource_id=course.id,
        before=before,
        after=changes,
    )
    await commit(session, result=course)
    return course


# -- sessions ------------------------------------------------------------------------------


def _session_columns() -> tuple[Any, ...]:
    return (
        TrainingSession,
        col(TrainingCourse.type).label("course_type"),
        col(TrainingCourse.name).label("course_name"),
    )


def session_read(row: Any) -> SessionRead:
    training, course_type, course_name = row
    data = {k: getattr(training, k) for k in SessionRead.model_fields if hasattr(training, k)}
    data.update(
        course_type=course_type,
        course_name=course_name,
        seats_left=training.capacity - training.enrolled,
    )
    return SessionRead.model_validate(data)


def _visible_sessions(actor: Actor) -> Any:
    return scope_filter(actor, region=col(TrainingSession.township_code), open_to=EVERYWHERE)


def _sessions() -> Any:
    return select(*_session_columns()).join(
        TrainingCourse, col(TrainingCourse.id) == col(TrainingSession.course_id)
    )


async def get_session(session: AsyncSession, *, actor: Actor, session_id: int) -> SessionRead:
    row = (await session.execute(
        _sessions().where(col(TrainingSession.id) == session_id, _visible_sessions(actor))
    )).one_or_none()  # fmt: skip
    if row is None:
        raise SessionNotFound(f"There is no training session {session_id}.")
    return session_read(row)


async def list_sessions(
    session: AsyncSession, *, actor: Actor, filters: SessionFilters, params: PageParams
) -> Page[SessionRead]:
    stmt = _sessions().where(_visible_sessions(actor))
    if filters.township:
        root = await regions.get(session, code=filters.township)
        stmt = stmt.where(col(TrainingSession.township_code).in_(
            select(col(Region.code)).where(region_subtree(root.path))))  # fmt: skip
    if filters.course_type:
        stmt = stmt.where(col(TrainingCourse.type) == filters.course_type.value)
    if filters.status:
        stmt = stmt.where(col(TrainingSession.status) == filters.status.value)
    if filters.starts_from:
        stmt = stmt.where(col(TrainingSession.start_date) >= filters.starts_from)
    if filters.starts_until:
        stmt = stmt.where(col(TrainingSession.start_date) <= filters.starts_until)
    return await paginate(
        session, stmt, keys=[col(TrainingSession.id)], params=params, row=session_read
    )


async def _township(session: AsyncSession, actor: Actor, code: str) -> Region:
    region = await regions.require_in_scope(session, actor=actor, code=code, field="township_code")
    if region.level != RegionLevel.township.value:
        raise Unprocessable(
            "Training sessions run in a township.",
            errors=[FieldError(field="body.township_code", message="not a township",
                               type="region_level")],
        )  # fmt: skip
    return region


async def create_session(
    session: AsyncSession, *, actor: Actor, data: dict[str, Any]
) -> SessionRead:
    await get_course(session, course_id=data["course_id"])
    await _township(session, actor, data["township_code"])
    training = TrainingSession.model_validate({**data, "created_by": actor.id})
    session.add(training)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="training_session.create",
        resource_type="training_session",
        resource_id=training.id,
        region_code=training.township_code,
        after=data,
    )
    assert training.id is not None
    created = await get_session(session, actor=actor, session_id=training.id)
    await commit(session, result=created)
    return created


async def update_session(
    session: AsyncSession,
    *,
    actor: Actor,
    session_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> SessionRead:
    training = await _lock_session(session, actor, session_id, for_write=True)
    current = (await get_session(session, actor=actor, session_id=session_id)).model_dump(
        mode="json"
    )
    ensure_version(expected=expected_version, current_version=training.version,
                   changes=changes, current=current)  # fmt: skip
    merged = {"start_date": training.start_date, "end_date": training.end_date,
              "capacity": training.capacity, **changes}  # fmt: skip
    if merged["end_date"] < merged["start_date"]:
        raise Unprocessable("end_date must not be before start_date.")
    if merged["capacity"] < training.enrolled:
        raise CapacityBelowEnrolled(
            f"{training.enrolled} seats are taken; capacity cannot go lower."
        )
    new_status = changes.get("status")
    if new_status not in (None, training.status) and new_status not in _NEXT.get(
        training.status, set()
    ):
        raise InvalidSessionTransition(f"A {training.status} session cannot become {new_status}.")
    before = {k: getattr(training, k) for k in changes}
    for key, value in changes.items():
        setattr(training, key, value)
    await audit.record(
        session,
        actor=actor,
        action="training_session.update",
        resource_type="training_session",
        resource_id=training.id,
        region_code=training.township_code,
        before=before,
        after=changes,
    )
    if changes.get("status") == SessionStatus.cancelled:
        await _drop_all(session, actor, training)
    await commit(session, result=training)
    return await get_session(session, actor=actor, session_id=session_id)


async def _lock_session(
    session: AsyncSession, actor: Actor, session_id: int, *, for_write: bool = False
) -> TrainingSession:
    """The session, locked: one the actor may see (to enrol in it), or ``for_write`` one they
    may change (an admin changes only their own townships' sessions)."""
    condition = (
        writable(actor, region=col(TrainingSession.township_code))
        if for_write
        else _visible_sessions(actor)
    )
    training = await session.scalar(
        select(TrainingSession)
        .where(col(TrainingSession.id) == session_id, condition)
        .with_for_update()
    )
    if training is None:
        raise SessionNotFound(f"There is no training session {session_id}.")
    return training


async def _drop_all(session: AsyncSession, actor: Actor, training: TrainingSession) -> None:
    active = (await session.scalars(
        select(Enrolment).where(col(Enrolment.session_id) == training.id,
                                col(Enrolment.status) == EnrolmentStatus.enrolled.value)
    )).all()  # fmt: skip
    # Dropped enrolments give their seats back; completed ones keep theirs.
    training.enrolled -= len(active)
    for enrolment in active:
        await _end(
            session,
            actor,
            enrolment,
            EnrolmentStatus.dropped,
            dropped_on=employments.today(),
            drop_reason="session cancelled",
        )


# -- enrolments ----------------------------------------------------------------------------


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
    if since is not None:
        return await paginate_changes(
            session,
            stmt,
            seq=col(Enrolment.change_seq),
            updated_at=col(Enrolment.updated_at),
            since=since,
            params=params,
            row=enrolment_read,
        )
    page = await paginate(session, stmt, keys=[col(Enrolment.id)], params=params,
                          row=enrolment_read)  # fmt: skip
    return SyncPage[EnrolmentRead](items=page.items, next_cursor=page.next_cursor)


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
    training.enrolled += 1
    session.add(enrolment)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise AlreadyInTraining("The worker was enrolled a moment ago.") from exc
    await _set_status(session, actor, worker, EmploymentStatus.in_training.value)
    await audit.record(
        session,
        actor=actor,
        action="enrolment.create",
        resource_type="enrolment",
        resource_id=enrolment.id,
        region_code=enrolment.region_code,
        after={"session_id": session_id, "worker_id": worker_id},
        stamp=enrolment,
    )
    await commit(session, result=enrolment)
    assert enrolment.id is not None
    return await get_enrolment(session, actor=actor, enrolment_id=enrolment.id)


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


def _bad_day(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        message, errors=[FieldError(field=f"body.{field}", message=message, type="date")]
    )


async def record_attendance(
    session: AsyncSession, *, actor: Actor, enrolment_id: int, day: date
) -> EnrolmentRead:
    """Attendance for one day of the session (within its dates, not in the future); the same
    day twice is recorded once."""
    enrolment = await _active(session, actor, enrolment_id)
    training = await session.get(TrainingSession, enrolment.session_id)
    assert training is not None
    if not training.start_date <= day <= training.end_date:
        raise _bad_day("day", f"the session runs {training.start_date} to {training.end_date}")
    if day > employments.today():
        raise _bad_day("day", "attendance cannot be recorded ahead of time")
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
    completed_on = completed_on or employments.today()
    if completed_on < training.start_date or completed_on > employments.today():
        raise _bad_day("completed_on", "must lie between the session's start and today")
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
    training.enrolled -= 1
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


# -- mobilisation and matching -------------------------------------------------------------


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
