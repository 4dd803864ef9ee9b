from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.deps import AdminUser, DistrictAdminUser, ReaderUser, SessionDep, StaffUser
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
from app.models import EnrolmentStatus, SessionStatus, Skill, TrainingCourse
from app.pagination import Page, PageDep, SyncPage, UpdatedSince, answer, parse_updated_since
from app.schemas.common import IdPath, IdQuery, IsoDate
from app.schemas.training import (
    AttendanceCreate,
    Completion,
    CourseCreate,
    CourseRead,
    CourseUpdate,
    Dropout,
    EnrolmentCreate,
    EnrolmentRead,
    SessionCreate,
    SessionRead,
    SessionUpdate,
)
from app.schemas.workers import WorkerSummary
from app.services import training
from app.versioning import IfMatchDep, VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/training", tags=["training"])
_READ = (Unauthorized, Forbidden, NotFound)
_EDIT = responses(*_READ, PreconditionFailed, PreconditionRequired, Unprocessable, Conflict)


@router.post(
    "/courses",
    operation_id="createTrainingCourse",
    response_model=CourseRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(Unauthorized, Forbidden, Unprocessable),
)
async def create_course(
    body: CourseCreate, session: SessionDep, actor: DistrictAdminUser, _: Idempotent
) -> TrainingCourse:
    """Add a course: type (pastry, childcare, housekeeping, sewing …), name, hours (an admin
    of district level or above: the catalogue is the district's)."""
    return await training.create_course(session, actor=actor, data=body.model_dump())


@router.get(
    "/courses",
    operation_id="listTrainingCourses",
    response_model=Page[CourseRead],
    responses=responses(*_READ),
)
async def list_courses(
    session: SessionDep, _actor: ReaderUser, page: PageDep, type: Skill | None = None
) -> Page[TrainingCourse]:
    """The courses on offer."""
    return await training.list_courses(session, params=page, course_type=type)


@router.get(
    "/courses/{course_id}",
    operation_id="getTrainingCourse",
    response_model=CourseRead,
    responses=responses(*_READ),
)
async def get_course(course_id: IdPath, session: SessionDep, _actor: ReaderUser) -> TrainingCourse:
    """One course."""
    return await training.get_course(session, course_id=course_id)


@router.patch(
    "/courses/{course_id}",
    operation_id="updateTrainingCourse",
    response_model=CourseRead,
    responses=_EDIT,
)
async def update_course(
    course_id: IdPath,
    body: CourseUpdate,
    session: SessionDep,
    actor: DistrictAdminUser,
    if_match: IfMatchDep,
) -> TrainingCourse:
    """Rename a course or change its hours (an admin of district level or above; send
    `If-Match`)."""
    return await training.update_course(
        session,
        actor=actor,
        course_id=course_id,
        expected_version=if_match.version,
        changes=body.model_dump(exclude_unset=True),
    )


@router.post(
    "/sessions",
    operation_id="createTrainingSession",
    response_model=SessionRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_READ, Unprocessable),
)
async def create_session(
    body: SessionCreate, session: SessionDep, actor: AdminUser, _: Idempotent
) -> SessionRead:
    """Schedule a session of a course in a township, with its provider and capacity (admin)."""
    return await training.create_session(session, actor=actor, data=body.model_dump())


@router.get(
    "/sessions",
    operation_id="listTrainingSessions",
    response_model=SyncPage[SessionRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_sessions(
    session: SessionDep,
    actor: ReaderUser,
    page: PageDep,
    township: Annotated[str | None, Query(pattern=r"^\d{6,12}$", description="Subtree.")] = None,
    course_type: Skill | None = None,
    status: SessionStatus | None = None,
    starts_from: IsoDate | None = None,
    starts_until: IsoDate | None = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[SessionRead]:
    """Training sessions (caseworkers see them everywhere), by township, course type, status
    and start date; with `updated_since`, the changes since your last sync."""
    since = parse_updated_since(updated_since) if updated_since else None
    filters = training.SessionFilters(
        township=township,
        course_type=course_type,
        status=status,
        starts_from=starts_from,
        starts_until=starts_until,
    )
    return await training.list_sessions(
        session, actor=actor, filters=filters, params=page, since=since
    )


@router.get(
    "/sessions/{session_id}",
    operation_id="getTrainingSession",
    response_model=SessionRead,
    responses=responses(*_READ),
)
async def get_session(session_id: IdPath, session: SessionDep, actor: ReaderUser) -> SessionRead:
    """One session with its seats left."""
    return await training.get_session(session, actor=actor, session_id=session_id)


@router.patch(
    "/sessions/{session_id}",
    operation_id="updateTrainingSession",
    response_model=SessionRead,
    responses=_EDIT,
)
async def update_session(
    session_id: IdPath,
    body: SessionUpdate,
    session: SessionDep,
    actor: AdminUser,
    if_match: IfMatchDep,
) -> SessionRead:
    """Change dates, capacity, provider or status (admin; send `If-Match`); cancelling drops
    the active enrolments."""
    return await training.update_session(
        session,
        actor=actor,
        session_id=session_id,
        expected_version=if_match.version,
        changes=body.model_dump(exclude_unset=True),
    )


@router.get(
    "/sessions/{session_id}/suggested-workers",
    operation_id="listSuggestedWorkers",
    response_model=Page[WorkerSummary],
    responses=responses(*_READ, Unprocessable),
)
async def list_suggested_workers(
    session_id: IdPath, session: SessionDep, actor: StaffUser, page: PageDep
) -> Page[WorkerSummary] | Response:
    """Workers of your scope in the session's township who wish for its course: whom to
    mobilise."""
    return answer(
        await training.suggested_workers(session, actor=actor, session_id=session_id, params=page)
    )


@router.post(
    "/sessions/{session_id}/enrolments",
    operation_id="enrolWorker",
    response_model=EnrolmentRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_READ, Conflict, Unprocessable),
)
async def enrol_worker(
    session_id: IdPath,
    body: EnrolmentCreate,
    session: SessionDep,
    actor: StaffUser,
    _: Idempotent,
) -> EnrolmentRead:
    """Enrol a worker of your scope; 409 when the session is full or the worker is already in
    training. The worker's status becomes in_training."""
    return await training.enrol(
        session, actor=actor, session_id=session_id, worker_id=body.worker_id
    )


@router.get(
    "/sessions/{session_id}/enrolments",
    operation_id="listSessionEnrolments",
    response_model=SyncPage[EnrolmentRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_session_enrolments(
    session_id: IdPath, session: SessionDep, actor: ReaderUser, page: PageDep
) -> SyncPage[EnrolmentRead]:
    """Enrolments of one session (of workers in your scope)."""
    return await training.list_enrolments(session, actor=actor, params=page, session_id=session_id)


@router.get(
    "/enrolments",
    operation_id="listEnrolments",
    response_model=SyncPage[EnrolmentRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_enrolments(
    session: SessionDep,
    actor: ReaderUser,
    page: PageDep,
    worker_id: IdQuery = None,
    status: EnrolmentStatus | None = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[EnrolmentRead]:
    """Enrolments of workers in your scope; with `updated_since`, the changes since your last
    sync."""
    since = parse_updated_since(updated_since) if updated_since else None
    return await training.list_enrolments(
        session, actor=actor, params=page, worker_id=worker_id, status=status, since=since
    )


@router.get(
    "/enrolments/{enrolment_id}",
    operation_id="getEnrolment",
    response_model=EnrolmentRead,
    responses=responses(*_READ),
)
async def get_enrolment(
    enrolment_id: IdPath, session: SessionDep, actor: ReaderUser
) -> EnrolmentRead:
    """One enrolment with its attendance count."""
    return await training.get_enrolment(session, actor=actor, enrolment_id=enrolment_id)


_MOVE = responses(*_READ, Conflict, Unprocessable)


@router.post(
    "/enrolments/{enrolment_id}/attendance",
    operation_id="recordAttendance",
    response_model=EnrolmentRead,
    responses=_MOVE,
)
async def record_attendance(
    enrolment_id: IdPath, body: AttendanceCreate, session: SessionDep, actor: StaffUser
) -> EnrolmentRead:
    """Record a day's attendance (within the session's dates)."""
    return await training.record_attendance(
        session, actor=actor, enrolment_id=enrolment_id, day=body.day
    )


@router.post(
    "/enrolments/{enrolment_id}/complete",
    operation_id="completeEnrolment",
    response_model=EnrolmentRead,
    responses=_MOVE,
)
async def complete_enrolment(
    enrolment_id: IdPath, body: Completion, session: SessionDep, actor: StaffUser
) -> EnrolmentRead:
    """Complete with a certificate number (unique in the session): the worker gains the
    course's skill and gets back their previous status."""
    return await training.complete(
        session, actor=actor, enrolment_id=enrolment_id, **body.model_dump()
    )


@router.post(
    "/enrolments/{enrolment_id}/drop",
    operation_id="dropEnrolment",
    response_model=EnrolmentRead,
    responses=_MOVE,
)
async def drop_enrolment(
    enrolment_id: IdPath, body: Dropout, session: SessionDep, actor: StaffUser
) -> EnrolmentRead:
    """Drop out, with a reason: the seat is freed and the worker's status restored."""
    return await training.drop(session, actor=actor, enrolment_id=enrolment_id, reason=body.reason)
