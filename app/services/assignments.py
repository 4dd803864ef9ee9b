"""The assigned list (市下达任务): the labourers a city assigns to a district for a year.

A city or district admin records the list (worker ids or ID numbers) or uploads it (a CSV or
XLSX with an ID-number column). Every line gets an outcome in the report:

* ``assigned`` — put on the district's list for the year;
* ``already_assigned`` — on it already (sending the same list again changes nothing);
* ``failed`` — with the reason: no such labourer in the caller's scope, registered outside
  the district, on another district's list that year, or not an ID number at all.

Good lines are written even when others fail; an unreadable file or a region that is not a
district writes nothing. Each line put on the list, and each one taken off, is audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, FieldError, NotFound, Unprocessable, fields
from app.errors.language import DEFAULT, Language
from app.identifiers import InvalidIdentifier, parse_resident_id
from app.masking import mask_id_number
from app.models import Assignment, Region, RegionLevel, Worker
from app.pagination import Page, PageParams, paginate
from app.schemas.assignments import AssignmentRead
from app.scope import Actor, path_in_scope, region_subtree, scope_filter
from app.services import audit, regions, registry, spreadsheets
from app.services.audit.log import Change
from app.services.date_bounds import local_today
from app.services.registry import _key, _text  # the registry's reading of headers and cells

Outcome = Literal["assigned", "already_assigned", "failed"]
_CHUNK = 1000  # values in one IN list

# Why a line failed, in each language; never naming another scope's record.
REASONS: dict[str, dict[Language, str]] = {
    "unknown": {
        Language.en: "no labourer with this number is registered in your scope",
        Language.zh: "您的管辖范围内没有登记这名劳动力",
    },
    "outside_district": {
        Language.en: "the labourer is registered outside this district",
        Language.zh: "该劳动力不在本区县登记",
    },
    "other_list": {
        Language.en: "the labourer is on another district's list for this year",
        Language.zh: "该劳动力已在本年度其他区县的下达名单上",
    },
}


class AssignmentNotFound(NotFound):
    code = "assignment_not_found"
    title = "No such assignment"


class ListChanged(Conflict):
    code = "assigned_list_changed"
    title = "The list changed while it was being recorded"


@dataclass(slots=True)
class Line:
    """One line of a list: a worker id or an ID number, or why it is neither."""

    row: int
    worker_id: int | None = None
    id_number: str | None = None
    field: str = "id_number"  # what the report names when the line fails
    error: str | None = None  # already known to be wrong (a malformed ID number), worded


@dataclass(slots=True)
class LineError:
    field: str
    message: str


@dataclass(slots=True)
class LineResult:
    row: int
    outcome: Outcome
    worker_id: int | None = None
    errors: Sequence[LineError] = ()


@dataclass
class AssignmentReport:
    region_code: str
    year: int
    dry_run: bool
    total: int = 0
    assigned: int = 0
    already_assigned: int = 0
    failed: int = 0
    rows: list[LineResult] = field(default_factory=list)

    def add(self, result: LineResult) -> None:
        self.rows.append(result)
        self.total += 1
        setattr(self, result.outcome, getattr(self, result.outcome) + 1)


@dataclass(frozen=True)
class _Person:
    id: int
    id_number: str
    path: str | None  # of the worker's region; None when removed from the register


def lines_of(*, worker_ids: Sequence[int], id_numbers: Sequence[str]) -> list[Line]:
    """A JSON list's lines, numbered from 1: the worker ids first, then the ID numbers."""
    lines = [Line(n, worker_id=w, field="worker_ids") for n, w in enumerate(worker_ids, 1)]
    start = len(lines) + 1
    return lines + [
        Line(n, id_number=i, field="id_numbers") for n, i in enumerate(id_numbers, start)
    ]


async def district(session: AsyncSession, *, actor: Actor, code: str, year: int) -> Region:
    """The district a list is for: in the actor's scope and of district level, for a year no
    later than next year (422 else)."""
    regions.ensure_level(actor, what="Recording the assigned list")
    if year > local_today().year + 1:
        raise Unprocessable(
            f"A list is recorded for this year or next at the latest, not {year}.",
            errors=[FieldError(field="body.year", message="is later than allowed",
                               type="date_in_future")],
        )  # fmt: skip
    field = "region_code"
    region = await regions.require_in_scope(session, actor=actor, code=code, field=field)
    if region.level != RegionLevel.district.value:
        raise regions.WrongRegionLevel(
            f"A list is assigned to a district; {code} is a {region.level}.",
            errors=[FieldError(field=f"body.{field}", message="not a district",
                               type="region_level")],
        )  # fmt: skip
    return region


async def assign(
    session: AsyncSession,
    *,
    actor: Actor,
    region: Region,
    year: int,
    lines: Sequence[Line],
    source: str | None,
    dry_run: bool = False,
    language: Language = DEFAULT,
) -> AssignmentReport:
    """Put ``lines`` on ``region``'s list for ``year``; the report's messages in ``language``."""
    people = await _people(session, lines)
    held = await _held(session, year, {p.id for p in people.values()})
    report = AssignmentReport(region.code, year, dry_run)
    added: list[Assignment] = []
    for line in lines:
        result, worker_id = _judge(line, people, held, actor, region, language)
        if result.outcome == "assigned" and worker_id is not None:
            held[worker_id] = region.code
            added.append(Assignment(region_code=region.code, year=year, worker_id=worker_id,
                                    source=source, assigned_by=actor.id))  # fmt: skip
        report.add(result)
    await _write(session, actor, added, dry_run)
    return report


def _judge(
    line: Line,
    people: dict[int | str, _Person],
    held: dict[int, str],
    actor: Actor,
    region: Region,
    language: Language,
) -> tuple[LineResult, int | None]:
    def failed(reason: str) -> tuple[LineResult, int | None]:
        error = LineError(line.field, REASONS[reason][language])
        return LineResult(line.row, "failed", errors=[error]), None

    if line.error is not None:
        return LineResult(line.row, "failed", errors=[LineError(line.field, line.error)]), None
    key = line.worker_id if line.worker_id is not None else line.id_number
    person = people.get(key) if key is not None else None
    if person is None or person.path is None or not path_in_scope(actor, person.path):
        return failed("unknown")
    if not person.path.startswith(region.path):
        return failed("outside_district")
    on_list = held.get(person.id)
    if on_list is not None and on_list != region.code:
        return failed("other_list")
    outcome: Outcome = "already_assigned" if on_list else "assigned"
    return LineResult(line.row, outcome, worker_id=person.id), person.id


async def _people(session: AsyncSession, lines: Sequence[Line]) -> dict[int | str, _Person]:
    """The workers the lines name, by id and by ID number."""
    ids = {line.worker_id for line in lines if line.worker_id is not None}
    numbers = {line.id_number for line in lines if line.id_number is not None}
    out: dict[int | str, _Person] = {}
    stmt = select(
        col(Worker.id), col(Worker.id_number), col(Worker.deleted_at), col(Region.path)
    ).join(Region, col(Region.code) == col(Worker.region_code))
    for column, values in ((col(Worker.id), ids), (col(Worker.id_number), numbers)):
        for chunk in _chunks(values):
            for worker_id, id_number, deleted_at, path in await session.execute(
                stmt.where(column.in_(chunk))
            ):
                person = _Person(worker_id or 0, id_number, None if deleted_at else path)
                out[person.id] = out[id_number] = person
    return out


async def _held(session: AsyncSession, year: int, worker_ids: set[int]) -> dict[int, str]:
    """Which of ``worker_ids`` are on a list of ``year`` already, and whose."""
    held: dict[int, str] = {}
    for chunk in _chunks(worker_ids):
        rows = await session.execute(
            select(col(Assignment.worker_id), col(Assignment.region_code)).where(
                col(Assignment.year) == year, col(Assignment.worker_id).in_(chunk)
            )
        )
        held.update({int(w): str(r) for w, r in rows})
    return held


# The ID-number column of an uploaded list: the registry's headers for it.
_ID_HEADERS = {_key(h) for h in registry.COLUMNS["id_number"]}
ID_COLUMN = registry.COLUMNS["id_number"][0]


def read_lines(
    content: bytes, *, limits: spreadsheets.Limits, language: Language = DEFAULT
) -> list[Line]:
    """The ID numbers of an uploaded list, a line per data row (the header is row 1); 415,
    413 or 422 for a file that is no spreadsheet, past the limits, or has no ID-number column.
    Blocks: call it off the event loop."""
    cells = spreadsheets.rows(content, limits=limits)
    header = next(cells, None)
    if header is None or not any(_text(cell) for cell in header):
        raise registry.EmptyFile("The file is empty.")
    column = next((i for i, h in enumerate(header) if _key(h) in _ID_HEADERS), None)
    if column is None:
        raise registry.MissingColumns(
            f"The header lacks the column {ID_COLUMN} (the labourers' ID numbers).",
            errors=[FieldError(field=f"file.{ID_COLUMN}", message="column missing",
                               type="column")],
        )  # fmt: skip
    lines = []
    for number, row in enumerate(cells, start=2):
        raw = _text(row[column]) if column < len(row) else ""
        if raw:
            lines.append(_id_line(number, raw, language))
    return lines


def _id_line(row: int, raw: str, language: Language) -> Line:
    try:
        return Line(row, id_number=parse_resident_id(raw).number, field=ID_COLUMN)
    except InvalidIdentifier as exc:
        return Line(row, field=ID_COLUMN, error=fields.message(exc.kind, ID_COLUMN, language))


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(values)
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


async def _write(
    session: AsyncSession, actor: Actor, added: list[Assignment], dry_run: bool
) -> None:
    if dry_run:
        await session.rollback()
        return
    session.add_all(added)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise ListChanged(
            "Another list was recorded for some of these labourers at the same moment; "
            "send the list again (lines already on it will say so)."
        ) from exc
    await audit.record_many(session, actor=actor, changes=[_change(a) for a in added])
    await commit(session)


def _change(assignment: Assignment, *, removed: bool = False) -> Change:
    facts = {"year": assignment.year, "worker_id": assignment.worker_id,
             "source": assignment.source}  # fmt: skip
    return Change(
        action="assignment.delete" if removed else "assignment.create",
        resource_type="assignment",
        resource_id=assignment.id,
        region_code=assignment.region_code,
        before=facts if removed else None,
        after=None if removed else facts,
    )


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    params: PageParams,
    year: int | None,
    region: str | None,
) -> Page[AssignmentRead]:
    """The lists in the actor's scope (by the labourer's region), ID numbers masked."""
    stmt = (
        select(Assignment)
        .add_columns(Worker)
        .join(Worker, col(Worker.id) == col(Assignment.worker_id))
        .where(scope_filter(actor, region=col(Worker.region_code)))
    )
    if year is not None:
        stmt = stmt.where(col(Assignment.year) == year)
    if region is not None:
        found = await regions.get(session, code=region)
        if not path_in_scope(actor, found.path):
            raise regions.RegionNotFound(f"There is no region with code {region} in your scope.")
        stmt = stmt.where(col(Worker.region_code).in_(
            select(col(Region.code)).where(region_subtree(found.path))))  # fmt: skip
    return await paginate(session, stmt, keys=[col(Assignment.id)], params=params, row=_read)


def _read(row: Any) -> AssignmentRead:
    assignment: Assignment = row[0]
    worker: Worker = row[1]
    return AssignmentRead(
        id=assignment.id,
        region_code=assignment.region_code,
        year=assignment.year,
        worker_id=assignment.worker_id,
        full_name=worker.full_name,
        id_number=mask_id_number(worker.id_number) or "",
        worker_region_code=worker.region_code,
        source=assignment.source,
        assigned_by=assignment.assigned_by,
        created_at=assignment.created_at,
    )


async def remove(session: AsyncSession, *, actor: Actor, assignment_id: int) -> None:
    """Take a labourer off a list (a district-level admin of the list's district); audited."""
    regions.ensure_level(actor, what="Changing the assigned list")
    found = (await session.execute(
        select(Assignment, col(Region.path))
        .join(Region, col(Region.code) == col(Assignment.region_code))
        .where(col(Assignment.id) == assignment_id)
    )).first()  # fmt: skip
    if found is None or not path_in_scope(actor, found[1]):
        raise AssignmentNotFound(f"There is no assignment {assignment_id}.")
    assignment: Assignment = found[0]
    await audit.record_many(session, actor=actor, changes=[_change(assignment, removed=True)])
    await session.delete(assignment)
    await commit(session)
