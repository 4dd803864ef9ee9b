"""Bulk import of the provincial registry: upsert workers (and their households) by ID number.

A batch of rows is read against the database in three queries (its regions, households and
workers); the rows that plainly register a new labourer (or repeat one unchanged) are
written together — households, workers and their audit entries in one flush each. Every
other row (an update, a record outside the caller's scope, a number repeated in the batch,
a conflict with a write at the same moment) goes through the one-row path, in a savepoint of
its own: a bad row writes nothing and never stops the good ones. Importing the same file
again changes nothing (every row reports ``unchanged``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from anyio import CapacityLimiter, to_thread
from pydantic import Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import AppError, Forbidden, fields
from app.errors.catalogue import entry
from app.errors.language import DEFAULT, Language
from app.models import Household, PovertyCause, PovertyStatus, Region, Worker
from app.schemas.backfill import BackfillEntry
from app.schemas.households import HOUSEHOLD_NUMBER
from app.schemas.workers import WorkerCreate
from app.scope import Actor, path_in_scope
from app.services import (
    audit,
    backfill,
    households,
    registry,
    registry_history,
    spreadsheets,
    workers,
)
from app.services.registry_history import RowHistory

# Rows per batch, which is also how much Python the event loop runs for the import between
# two database awaits: at 200 rows that was ~90 ms of CPU, at 100 rows ~60 ms, with no
# difference in throughput that could be measured.
BATCH = 100
Outcome = Literal["created", "updated", "unchanged", "failed"]


class ImportRow(WorkerCreate):
    """A registry row: a worker plus what identifies (or creates) their household, and the
    history an admin's file may carry."""

    household_id: int = 0  # resolved from household_number
    household_number: str = Field(pattern=HOUSEHOLD_NUMBER)
    poverty_status: PovertyStatus = PovertyStatus.in_poverty
    poverty_causes: list[PovertyCause] = Field(default_factory=list)
    history: RowHistory = Field(default_factory=RowHistory)


class HistoryNeedsAdmin(Forbidden):
    code = "history_needs_admin"
    title = "History is brought in by an admin"


# What a row says that is not the worker's own record.
_NOT_WORKER = {"household_number", "poverty_status", "poverty_causes", "history"}
SOURCE = "registry import (POST /workers/import)"


@dataclass(slots=True)
class RowError:
    field: str
    message: str


@dataclass(slots=True)
class RowResult:
    row: int
    outcome: Outcome
    worker_id: int | None = None
    errors: Sequence[RowError] = ()  # one empty tuple shared by every row that went in


@dataclass
class ImportReport:
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    rows: list[RowResult] = field(default_factory=list)

    def add(self, result: RowResult) -> None:
        self.rows.append(result)
        self.total += 1
        setattr(self, result.outcome, getattr(self, result.outcome) + 1)


def _column(field: str) -> str:
    """The registry's (Chinese) header of a field, as the report names columns; a history
    entry's field (``entries.0.start_date``) by the column it came from."""
    if field.startswith("entries."):
        field = registry_history.ENTRY_FIELDS.get(field.rsplit(".", 1)[-1], "row")
    return registry.COLUMNS.get(field, (field,))[0]


def _validate(raw: registry.RawRow, language: Language) -> ImportRow | RowResult:
    values = {k: v for k, v in raw.values.items() if k not in registry_history.FIELDS}
    history = {k: v for k, v in raw.values.items() if k in registry_history.FIELDS}
    try:
        return ImportRow.model_validate({**values, "history": history})
    except ValidationError as exc:
        errors = [
            RowError(
                field=_column(str(_field_of(e["loc"]))) if e["loc"] else "row",
                # The problem's wording (no regular expressions, no values).
                message=fields.from_pydantic(e, language).message,
            )
            for e in exc.errors()
        ]
        return RowResult(row=raw.number, outcome="failed", errors=errors)


def _field_of(loc: tuple[int | str, ...]) -> int | str:
    """The column an error is about (a history error is located under ``history``; the one
    about the row's history as a whole is a past job without its start)."""
    if loc[0] == "history":
        return loc[1] if len(loc) > 1 else "job_start"
    return loc[0]


async def _household(session: AsyncSession, actor: Actor, row: ImportRow) -> Household:
    existing = await session.scalar(
        select(Household).where(col(Household.household_number) == row.household_number)
    )
    if existing is None:
        return await households.insert(
            session,
            actor=actor,
            data={
                "household_number": row.household_number,
                "region_code": row.region_code,
                "poverty_status": row.poverty_status,
                "poverty_causes": row.poverty_causes,
            },
        )
    assert existing.id is not None
    return await households.get(session, actor=actor, household_id=existing.id)


async def _upsert(session: AsyncSession, actor: Actor, row: ImportRow) -> tuple[Outcome, int]:
    household = await _household(session, actor, row)
    fields = row.model_dump(exclude=_NOT_WORKER, exclude_unset=True)
    fields["household_id"] = household.id
    existing_id = await session.scalar(
        select(col(Worker.id)).where(col(Worker.id_number) == row.id_number)
    )
    outcome: Outcome
    if existing_id is None:
        data = row.model_dump(exclude=_NOT_WORKER)
        worker = await workers.insert(session, actor=actor, data={**data, **fields})
        outcome = "created"
    else:
        try:
            worker = await workers.get(session, actor=actor, worker_id=existing_id)
        except workers.WorkerNotFound:
            # Registered outside the caller's scope (or removed): a conflict naming no record.
            await workers.ensure_unique_id(session, actor=actor, id_number=row.id_number)
            raise
        changed = await workers.apply_changes(session, actor=actor, worker=worker, changes=fields)
        outcome = "updated" if changed else "unchanged"
    assert worker.id is not None
    assert household.id is not None
    if row.history.given():
        entries = row.history.entries(worker_id=worker.id, household_id=household.id)
        done = await backfill.apply(session, actor=actor, source=SOURCE, entries=entries)
        if outcome == "unchanged" and any(d.outcome != "unchanged" for d in done):
            outcome = "updated"
    return outcome, worker.id


Checked = tuple[int, ImportRow | RowResult]  # a row's line and what its validation made

# Reading is CPU work that holds the GIL: a worker thread keeps the event loop answering
# (the interpreter hands the loop the GIL every switch interval, 5 ms) at no cost of
# pickling 100,000 rows back from a process; the limits bound how long a thread can run.
# Two at a time bound the memory that reads of the largest legal files hold together.
_READERS = CapacityLimiter(2)


async def run(
    session: AsyncSession,
    *,
    actor: Actor,
    content: bytes,
    dry_run: bool,
    limits: spreadsheets.Limits,
    language: Language = DEFAULT,
) -> ImportReport:
    """Import the file; the report's row messages are in ``language`` (the reader's)."""
    # A long read must not hold a pooled connection idle in the sign-in's transaction
    # (PostgreSQL ends those after db_idle_in_transaction_timeout_ms).
    await session.rollback()
    checked = await _read(content, limits, language)
    if not actor.is_admin and any(
        isinstance(parsed, ImportRow) and parsed.history.given() for _n, parsed in checked
    ):
        raise HistoryNeedsAdmin(
            "The file carries history columns (registration day, poverty years, past jobs): "
            "only an admin may bring history in. Remove those columns or ask an admin."
        )
    report = ImportReport(dry_run=dry_run)
    while checked:
        batch = checked[:BATCH]
        del checked[:BATCH]  # let each batch's rows go once written: fewer objects held
        for result in await _batch(session, actor, batch, language):
            report.add(result)
        if dry_run:
            await session.rollback()
        else:
            await commit(session)
    return report


async def _read(content: bytes, limits: spreadsheets.Limits, language: Language) -> list[Checked]:
    """The file's rows, each validated, read and checked in a worker thread: the event
    loop never runs the parser or the per-row validation of up to ``max_rows`` rows."""
    return await to_thread.run_sync(_read_and_validate, content, limits, language, limiter=_READERS)


def _read_and_validate(
    content: bytes, limits: spreadsheets.Limits, language: Language
) -> list[Checked]:
    # Only the line number and the validated row are kept: a read of 100,000 rows holds
    # fewer objects, and the collector's full passes over them stall the loop less.
    rows = registry.read_rows(content, limits=limits)
    return [(raw.number, _validate(raw, language)) for raw in rows]


async def _batch(
    session: AsyncSession, actor: Actor, checked: list[Checked], language: Language
) -> list[RowResult]:
    results: dict[int, RowResult] = {}
    valid: list[tuple[int, ImportRow]] = []
    for number, parsed in checked:
        if isinstance(parsed, RowResult):
            results[number] = parsed
        else:
            valid.append((number, parsed))
    known = await _Known.load(session, actor, [row for _number, row in valid])
    plain = [(number, row) for number, row in valid if known.plain(row)]
    try:
        async with session.begin_nested():
            registered = await _register(session, actor, known, plain)
            await _bring_history(session, actor, known, plain, registered)
        results.update(registered)
    except (IntegrityError, AppError):
        # Registered by someone else meanwhile, or history one of the rows cannot bring in:
        # nothing of the batch stays, and each row goes on its own below.
        pass
    for number, row in valid:
        if number not in results:
            results[number] = await _one(session, actor, number, row, language)
    return [results[number] for number, _parsed in checked]


@dataclass
class _Known:
    """What the database holds for one batch: its places, households and workers."""

    actor: Actor
    places: set[str]
    households: dict[str, Household]
    workers: dict[str, Worker]
    hidden_households: set[str]
    seen: set[str] = field(default_factory=set)

    @classmethod
    async def load(cls, session: AsyncSession, actor: Actor, rows: list[ImportRow]) -> _Known:
        codes = {row.region_code for row in rows}
        regions_found = await session.execute(
            select(col(Region.code), col(Region.level), col(Region.path)).where(
                col(Region.code).in_(codes)
            )
        )
        places = {
            code
            for code, level, path in regions_found
            if level in households.PLACES and path_in_scope(actor, path)
        }
        held = await session.execute(
            select(Household, col(Region.path))
            .join(Region, col(Region.code) == col(Household.region_code))
            .where(col(Household.household_number).in_({row.household_number for row in rows}))
        )
        homes, hidden = {}, set()
        for household, path in held:
            if household.deleted_at is None and path_in_scope(actor, path):
                homes[household.household_number] = household
            else:
                hidden.add(household.household_number)
        registered = await session.execute(
            select(Worker).where(col(Worker.id_number).in_({row.id_number for row in rows}))
        )
        people = {worker.id_number: worker for worker in registered.scalars()}
        return cls(actor, places, homes, people, hidden)

    def plain(self, row: ImportRow) -> bool:
        """A row the batch can write with the others: a new labourer (in a new household or a
        visible one) in a place of the caller's, or one already registered exactly so."""
        first = row.id_number not in self.seen
        self.seen.add(row.id_number)
        if not first or row.region_code not in self.places:
            return False
        if row.household_number in self.hidden_households:
            return False
        existing = self.workers.get(row.id_number)
        if existing is None:
            return True
        home = self.households.get(row.household_number)
        return home is not None and self._unchanged(existing, row, home)

    @staticmethod
    def _unchanged(worker: Worker, row: ImportRow, home: Household) -> bool:
        """Registered exactly as the row says (in the row's place, so in the caller's scope)."""
        if worker.deleted_at is not None:
            return False
        fields = row.model_dump(exclude=_NOT_WORKER, exclude_unset=True)
        fields["household_id"] = home.id
        return all(getattr(worker, k) == v for k, v in fields.items())


async def _register(
    session: AsyncSession,
    actor: Actor,
    known: _Known,
    rows: list[tuple[int, ImportRow]],
) -> dict[int, RowResult]:
    """Write the batch's plain rows together; their results by row number."""
    unchanged = {
        number: RowResult(number, "unchanged", known.workers[row.id_number].id)
        for number, row in rows
        if row.id_number in known.workers
    }
    new_rows = [(number, row) for number, row in rows if number not in unchanged]
    new_homes: dict[str, Household] = {}
    for _number, row in new_rows:
        number = row.household_number
        if number not in known.households and number not in new_homes:
            new_homes[number] = _new_household(row)
    session.add_all(new_homes.values())
    await session.flush()
    known.households |= new_homes
    homes = known.households
    people = [(n, _new_worker(row, homes[row.household_number])) for n, row in new_rows]
    session.add_all(worker for _n, worker in people)
    await session.flush()
    await audit.record_many(
        session,
        actor=actor,
        changes=[households.created(home) for home in new_homes.values()]
        + [workers.created(worker) for _n, worker in people],
    )
    created = {n: RowResult(n, "created", worker.id) for n, worker in people}
    return unchanged | created


async def _bring_history(
    session: AsyncSession,
    actor: Actor,
    known: _Known,
    rows: list[tuple[int, ImportRow]],
    registered: dict[int, RowResult],
) -> None:
    """The history of the batch's plain rows, in one backfill (one audit append): a row whose
    labourer was already registered so, but whose history is new, is ``updated``."""
    spans: list[tuple[RowResult, int, int]] = []
    entries: list[BackfillEntry] = []
    for number, row in rows:
        if not row.history.given():
            continue
        result, home = registered[number], known.households[row.household_number]
        assert result.worker_id is not None
        assert home.id is not None
        first = len(entries)
        entries += row.history.entries(worker_id=result.worker_id, household_id=home.id)
        spans.append((result, first, len(entries)))
    if not entries:
        return
    done = await backfill.apply(session, actor=actor, source=SOURCE, entries=entries)
    for result, first, end in spans:
        if result.outcome == "unchanged" and any(d.outcome != "unchanged" for d in done[first:end]):
            result.outcome = "updated"


def _new_household(row: ImportRow) -> Household:
    return Household.model_validate(
        {
            "household_number": row.household_number,
            "region_code": row.region_code,
            "poverty_status": row.poverty_status,
            "poverty_causes": row.poverty_causes,
        }
    )


def _new_worker(row: ImportRow, home: Household) -> Worker:
    data = {**row.model_dump(exclude=_NOT_WORKER), "household_id": home.id}
    return Worker.model_validate(workers.with_identity(data))


_RACED = {
    Language.en: "conflicts with a record written at the same moment; import the row again",
    Language.zh: "与同一时刻写入的记录冲突，请重新导入这一行",
}


def _said(exc: AppError, language: Language) -> str:
    """A service's refusal of a row, in ``language``: the Chinese one is the catalogue's for
    its code, filled in with no values (a row never names another scope's record)."""
    return exc.detail if language is Language.en else entry(exc.code, exc.status).detail_zh({})


async def _one(
    session: AsyncSession, actor: Actor, number: int, parsed: ImportRow, language: Language
) -> RowResult:
    try:
        async with session.begin_nested():
            outcome, worker_id = await _upsert(session, actor, parsed)
    except workers.DuplicateIdNumber as exc:
        error = RowError(_column("id_number"), _said(exc, language))
        return RowResult(number, "failed", errors=[error])
    except AppError as exc:
        errors = [
            RowError(
                field=_column(e.field.removeprefix("body.")),
                message=fields.localised(e, language).message,
            )
            for e in exc.errors or []
        ]
        return RowResult(number, "failed", errors=errors or [RowError("row", _said(exc, language))])
    except IntegrityError:
        return RowResult(number, "failed", errors=[RowError("row", _RACED[language])])
    return RowResult(number, outcome, worker_id=worker_id)
