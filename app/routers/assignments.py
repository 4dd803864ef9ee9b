"""The assigned list (市下达任务): recorded or uploaded by a district-level admin, read by
admins and auditors."""

from __future__ import annotations

from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status

from app.core.config import get_settings
from app.deps import DistrictAdminUser, OversightUser, SessionDep
from app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    responses,
)
from app.errors.render import language_of
from app.pagination import Page, PageDep
from app.schemas.assignments import AssignmentCreate, AssignmentRead, AssignmentReportRead
from app.schemas.common import IdPath
from app.services import assignments, spreadsheets
from app.uploads import read_limited, safe_filename
from app.versioning import VersionedRoute

router = APIRouter(route_class=VersionedRoute, prefix="/assignments", tags=["assignments"])
_WRITE = (Unauthorized, Forbidden, Conflict, Unprocessable)
# Reading a list is CPU work bounded by the import limits; one at a time is plenty.
_READER = CapacityLimiter(1)


@router.post(
    "",
    operation_id="recordAssignedList",
    response_model=AssignmentReportRead,
    responses=responses(*_WRITE),
)
async def record_assigned_list(
    request: Request,
    body: AssignmentCreate,
    session: SessionDep,
    actor: DistrictAdminUser,
    dry_run: Annotated[bool, Query(description="Check every line, write nothing.")] = False,
) -> assignments.AssignmentReport:
    """Put labourers (by worker id or ID number) on a district's list for a year (an admin at
    district level or above). Answers line by line, in the `Accept-Language` of the request;
    sending the same list again changes nothing."""
    district = await assignments.district(
        session, actor=actor, code=body.region_code, year=body.year
    )
    lines = assignments.lines_of(worker_ids=body.worker_ids, id_numbers=body.id_numbers)
    return await assignments.assign(
        session, actor=actor, region=district, year=body.year, lines=lines,
        source=body.source, dry_run=dry_run, language=language_of(request),
    )  # fmt: skip


@router.post(
    "/import",
    operation_id="importAssignedList",
    response_model=AssignmentReportRead,
    responses=responses(*_WRITE, PayloadTooLarge, UnsupportedMediaType),
)
async def import_assigned_list(
    request: Request,
    session: SessionDep,
    actor: DistrictAdminUser,
    file: Annotated[UploadFile, File(description="CSV or XLSX with a 身份证号 column.")],
    region_code: Annotated[str, Form(pattern=r"^\d{6,12}$", description="The district.")],
    year: Annotated[int, Form(ge=2000, le=2100)],
    source: Annotated[
        str | None, Form(max_length=200, description="Default: the file's name.")
    ] = None,
    dry_run: Annotated[bool, Query(description="Check every line, write nothing.")] = False,
) -> assignments.AssignmentReport:
    """Upload a district's list for a year as a spreadsheet of ID numbers (an admin at
    district level or above); answers row by row like the registry import. A file that cannot
    be read writes nothing; uploading the same file again changes nothing."""
    settings = get_settings()
    content = await read_limited(file, max_bytes=settings.import_max_bytes)
    language = language_of(request)
    # A long read must not hold a pooled connection idle in a transaction.
    await session.rollback()
    lines = await to_thread.run_sync(
        lambda: assignments.read_lines(
            content, limits=spreadsheets.Limits.from_settings(settings), language=language
        ),
        limiter=_READER,
    )
    district = await assignments.district(session, actor=actor, code=region_code, year=year)
    name = source or (safe_filename(file.filename) if file.filename else None)
    return await assignments.assign(
        session, actor=actor, region=district, year=year, lines=lines, source=name,
        dry_run=dry_run, language=language,
    )  # fmt: skip


@router.get(
    "",
    operation_id="listAssignments",
    response_model=Page[AssignmentRead],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)
async def list_assignments(
    session: SessionDep,
    actor: OversightUser,
    page: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    region: Annotated[
        str | None, Query(pattern=r"^\d{6,12}$", description="Labourers of this subtree.")
    ] = None,
) -> Page[AssignmentRead]:
    """The labourers on the lists of your scope (admins and auditors), ID numbers masked."""
    return await assignments.get_all(session, actor=actor, params=page, year=year, region=region)


@router.delete(
    "/{assignment_id}",
    operation_id="deleteAssignment",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(Unauthorized, Forbidden, NotFound),
)
async def delete_assignment(
    assignment_id: IdPath, session: SessionDep, actor: DistrictAdminUser
) -> Response:
    """Take a labourer off a list (an admin at district level or above); audited."""
    await assignments.remove(session, actor=actor, assignment_id=assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
