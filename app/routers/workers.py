from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status
from pydantic import TypeAdapter

from app.core.config import get_settings
from app.deps import AdminUser, ReaderUser, SessionDep, StaffUser, audited_read
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    responses,
)
from app.errors.render import language_of
from app.idempotency import Idempotent
from app.models import EmploymentStatus, JobType, PovertyStatus, Skill
from app.pagination import (
    Page,
    PageDep,
    SyncPage,
    UpdatedSince,
    answer,
    parse_updated_since,
)
from app.schemas.common import IdPath, IdQuery
from app.schemas.imports import ImportReportRead, RowResultRead
from app.schemas.matching import VacancyMatch
from app.schemas.workers import (
    Timeline,
    VisitRead,
    WorkerCreate,
    WorkerRead,
    WorkerSummary,
    WorkerUpdate,
    WorkerVisitCreate,
)
from app.services import imports, matching, spreadsheets, timeline, visits, workers
from app.uploads import read_limited
from app.versioning import IfMatchDep, VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/workers", tags=["workers"])
_READ = (Unauthorized, Forbidden, NotFound)


@router.post(
    "",
    operation_id="createWorker",
    response_model=WorkerRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        Unauthorized, Forbidden, Conflict, workers.DuplicateIdNumber, Unprocessable
    ),
)
async def create_worker(
    body: WorkerCreate, session: SessionDep, actor: StaffUser, _: Idempotent
) -> WorkerRead:
    """Register a labourer in a household of your scope. Birth date and sex come from the ID
    number; an ID number registered before answers 409 naming the record if you may see it."""
    worker = await workers.create(session, actor=actor, data=body.model_dump())
    # Masked: full values are shown, and that read audited, on the detail view only.
    return WorkerRead.from_record(worker)


@router.post(
    "/import",
    operation_id="importWorkers",
    response_model=ImportReportRead,
    responses=responses(
        Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, Unprocessable
    ),
)
async def import_workers(
    request: Request,
    session: SessionDep,
    actor: StaffUser,
    file: Annotated[UploadFile, File(description="The registry as CSV or XLSX.")],
    dry_run: Annotated[bool, Query(description="Check every row, write nothing.")] = False,
) -> Response:
    """Upsert workers (and their households) by ID number from the provincial registry's
    spreadsheet; answers row by row (messages in the `Accept-Language` of the request, Chinese
    for `zh`). A bad row writes nothing and never stops the good rows;
    importing the same file again changes nothing."""
    settings = get_settings()
    content = await read_limited(file, max_bytes=settings.import_max_bytes)
    limits = spreadsheets.Limits.from_settings(settings)
    report = await imports.run(
        session,
        actor=actor,
        content=content,
        dry_run=dry_run,
        limits=limits,
        language=language_of(request),
    )
    body = await to_thread.run_sync(_report_json, report)
    return Response(body, media_type="application/json")


_REPORT_ROWS = TypeAdapter(list[RowResultRead])


def _report_json(report: imports.ImportReport) -> bytes:
    """The report as ``ImportReportRead`` JSON, its rows rendered a thousand at a time: a
    pydantic call holds the GIL throughout, so one call over 100,000 rows would stall the
    event loop for a second even from a worker thread."""
    rows = [
        _REPORT_ROWS.dump_json(_REPORT_ROWS.validate_python(report.rows[i : i + 1000]))[1:-1]
        for i in range(0, len(report.rows), 1000)
    ]
    summary = ImportReportRead.model_validate(replace(report, rows=[]))
    rest = summary.model_dump_json(exclude={"rows"})[1:-1].encode()
    return b"{" + rest + b',"rows":[' + b",".join(rows) + b"]}"


@router.get(
    "",
    operation_id="listWorkers",
    response_model=SyncPage[WorkerSummary],
    responses=responses(*_READ, Unprocessable),
)
async def list_workers(
    session: SessionDep,
    actor: ReaderUser,
    page: PageDep,
    region: Annotated[str | None, Query(pattern=r"^\d{6,12}$", description="Subtree.")] = None,
    employment_status: EmploymentStatus | None = None,
    able_to_work: bool | None = None,
    skill: Skill | None = None,
    training_wish: Skill | None = None,
    job_wish: JobType | None = None,
    poverty_status: PovertyStatus | None = None,
    household_id: IdQuery = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=50, description="Prefix, or substring from 3 chars."),
    ] = None,
    id_suffix: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{3,17}[0-9Xx]$", description="The last 4+ ID characters."),
    ] = None,
    updated_since: UpdatedSince = None,
) -> SyncPage[WorkerSummary] | Response:
    """Find workers in your scope (personal data masked); with `updated_since`, every change
    since your last sync, deletions included as tombstones."""
    filters = workers.WorkerFilters(
        region=region,
        employment_status=employment_status,
        able_to_work=able_to_work,
        skill=skill,
        training_wish=training_wish,
        job_wish=job_wish,
        poverty_status=poverty_status,
        household_id=household_id,
        name=name,
        id_suffix=id_suffix,
    )
    since = parse_updated_since(updated_since) if updated_since else None
    return answer(
        await workers.get_all(session, actor=actor, filters=filters, params=page, since=since)
    )


@router.get(
    "/{worker_id}", operation_id="getWorker", response_model=WorkerRead, responses=responses(*_READ)
)
@audited_read
async def get_worker(worker_id: IdPath, session: SessionDep, actor: ReaderUser) -> WorkerRead:
    """One worker. Caseworkers and admins see the full ID number and phone (the read is
    audited); auditors see them masked."""
    return await workers.read(session, actor=actor, worker_id=worker_id)


@router.patch(
    "/{worker_id}",
    operation_id="updateWorker",
    response_model=WorkerRead,
    responses=responses(
        *_READ,
        Conflict,
        workers.DuplicateIdNumber,
        PreconditionFailed,
        Unprocessable,
        PreconditionRequired,
    ),
)
async def update_worker(
    worker_id: IdPath,
    body: WorkerUpdate,
    session: SessionDep,
    actor: StaffUser,
    if_match: IfMatchDep,
) -> WorkerRead:
    """Edit a worker (send `If-Match`). An edit made against an old version gets 412 with the
    server's current record and the fields that differ; nothing is overwritten."""
    worker = await workers.update(
        session,
        actor=actor,
        worker_id=worker_id,
        expected_version=if_match.version,
        changes=body.model_dump(exclude_unset=True),
    )
    # Masked: full values are shown, and that read audited, on the detail view only.
    return WorkerRead.from_record(worker)


@router.delete(
    "/{worker_id}",
    operation_id="deleteWorker",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*_READ),
)
async def delete_worker(worker_id: IdPath, session: SessionDep, actor: AdminUser) -> Response:
    """Remove a worker (admin); phones receive a tombstone at their next sync."""
    await workers.delete(session, actor=actor, worker_id=worker_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{worker_id}/timeline",
    operation_id="getWorkerTimeline",
    response_model=Timeline,
    responses=responses(*_READ),
)
async def get_worker_timeline(
    worker_id: IdPath, session: SessionDep, actor: ReaderUser
) -> Timeline:
    """Visits, enrolments, referrals, employments and claims of a worker, newest first."""
    return await timeline.for_worker(session, actor=actor, worker_id=worker_id)


@router.get(
    "/{worker_id}/matches",
    operation_id="listWorkerMatches",
    response_model=Page[VacancyMatch],
    responses=responses(*_READ, Unprocessable),
)
async def list_worker_matches(
    worker_id: IdPath, session: SessionDep, actor: StaffUser, page: PageDep
) -> Page[VacancyMatch]:
    """Open vacancies ranked for this worker, each with why it ranked."""
    return await matching.matches_for_worker(session, actor=actor, worker_id=worker_id, params=page)


@router.post(
    "/{worker_id}/visits",
    operation_id="createWorkerVisit",
    response_model=VisitRead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*_READ, Unprocessable),
)
async def create_worker_visit(
    worker_id: IdPath,
    body: WorkerVisitCreate,
    session: SessionDep,
    actor: StaffUser,
    _: Idempotent,
) -> VisitRead:
    """Record a visit; status changes made at it update the worker in the same transaction."""
    visit = await visits.record_worker_visit(
        session, actor=actor, worker_id=worker_id, fields=body.model_dump()
    )
    return VisitRead.model_validate(visit)


@router.get(
    "/{worker_id}/visits",
    operation_id="listWorkerVisits",
    response_model=SyncPage[VisitRead],
    responses=responses(*_READ, Unprocessable),
)
async def list_worker_visits(
    worker_id: IdPath, session: SessionDep, actor: ReaderUser, page: PageDep
) -> SyncPage[VisitRead]:
    """Visits to one worker, newest first."""
    return await visits.get_all(session, actor=actor, params=page, worker_id=worker_id)
