"""Training sessions, run township by township: listing, creation and changes (an admin
changes only their own townships' sessions); cancelling one drops its enrolments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, FieldError, NotFound, RangeReversed
from app.models import (
    Enrolment,
    EnrolmentStatus,
    Region,
    RegionLevel,
    SessionStatus,
    Skill,
    TrainingCourse,
    TrainingSession,
)
from app.pagination import PageParams, SyncPage, SyncPoint, synced_list
from app.schemas.training import SessionRead
from app.scope import EVERYWHERE, Actor, region_subtree, scope_filter, writable
from app.services import audit, employments, regions
from app.services.training.courses import get_course
from app.services.training.ending import _end
from app.versioning import ensure_version

# Sessions a worker can still be enrolled in (and take a seat of).
_LIVE = (SessionStatus.planned.value, SessionStatus.running.value)


class SessionNotFound(NotFound):
    code = "session_not_found"
    title = "No such training session"


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


@dataclass(frozen=True)
class SessionFilters:
    township: str | None = None
    course_type: Skill | None = None
    status: SessionStatus | None = None
    starts_from: date | None = None
    starts_until: date | None = None


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
    session: AsyncSession,
    *,
    actor: Actor,
    filters: SessionFilters,
    params: PageParams,
    since: SyncPoint | None = None,
) -> SyncPage[SessionRead]:
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
    return await synced_list(
        session,
        stmt,
        record=TrainingSession,
        since=since,
        params=params,
        keys=[col(TrainingSession.id)],
        row=session_read,
    )


async def _township(session: AsyncSession, actor: Actor, code: str) -> Region:
    region = await regions.require_in_scope(session, actor=actor, code=code, field="township_code")
    if region.level != RegionLevel.township.value:
        raise regions.WrongRegionLevel(
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
        stamp=training,
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
        raise RangeReversed(
            "end_date must not be before start_date.",
            errors=[FieldError(field="body.end_date", message="before start_date",
                               type="range_reversed")],
        )  # fmt: skip
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
        stamp=training,
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
    if active:
        await audit.record_many(session, actor=actor, changes=[take_seats(training, -len(active))])
    for enrolment in active:
        await _end(
            session,
            actor,
            enrolment,
            EnrolmentStatus.dropped,
            dropped_on=employments.today(),
            drop_reason="session cancelled",
        )


def take_seats(training: TrainingSession, seats: int) -> audit.Change:
    """Take (or, negative, give back) seats of a locked session. Its seats left change, so
    the caller audits the change it returns with its own (which stamps the session for the
    phones that sync it)."""
    before = training.enrolled
    training.enrolled += seats
    return audit.Change(
        "training_session.seats", "training_session", training.id, training.township_code,
        before={"enrolled": before}, after={"enrolled": training.enrolled}, stamp=training,
    )  # fmt: skip
