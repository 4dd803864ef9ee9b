"""Bulk import of the provincial registry: upsert workers (and their households) by ID number.

Every row is written in a savepoint of its own: a bad row writes nothing and never stops the
good ones. Rows are committed in batches, so the audit chain's lock is never held for long.
Importing the same file again changes nothing (every row reports ``unchanged``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import AppError
from app.models import Household, PovertyCause, PovertyStatus, Worker
from app.schemas.households import HOUSEHOLD_NUMBER
from app.schemas.workers import WorkerCreate
from app.scope import Actor
from app.services import households, registry, workers

BATCH = 200
Outcome = Literal["created", "updated", "unchanged", "failed"]


class ImportRow(WorkerCreate):
    """A registry row: a worker plus what identifies (or creates) their household."""

    household_id: int = 0  # resolved from household_number
    household_number: str = Field(pattern=HOUSEHOLD_NUMBER)
    poverty_status: PovertyStatus = PovertyStatus.in_poverty
    poverty_causes: list[PovertyCause] = Field(default_factory=list)


@dataclass
class RowError:
    field: str
    message: str


@dataclass
class RowResult:
    row: int
    outcome: Outcome
    worker_id: int | None = None
    errors: list[RowError] = field(default_factory=list)


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
    """The registry's (Chinese) header of a field, as the report names columns."""
    return registry.COLUMNS.get(field, (field,))[0]


def _validate(raw: registry.RawRow) -> ImportRow | RowResult:
    try:
        return ImportRow.model_validate(raw.values)
    except ValidationError as exc:
        errors = [
            RowError(field=_column(str(e["loc"][0])) if e["loc"] else "row", message=str(e["msg"]))
            for e in exc.errors()
        ]
        return RowResult(row=raw.number, outcome="failed", errors=errors)


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
    fields = row.model_dump(
        exclude={"household_number", "poverty_status", "poverty_causes"}, exclude_unset=True
    )
    fields["household_id"] = household.id
    existing_id = await session.scalar(
        select(col(Worker.id)).where(col(Worker.id_number) == row.id_number)
    )
    if existing_id is None:
        data = row.model_dump(exclude={"household_number", "poverty_status", "poverty_causes"})
        worker = await workers.insert(session, actor=actor, data={**data, **fields})
        assert worker.id is not None
        return "created", worker.id
    try:
        worker = await workers.get(session, actor=actor, worker_id=existing_id)
    except workers.WorkerNotFound:
        # Registered outside the caller's scope (or removed): a conflict that names no record.
        await workers.ensure_unique_id(session, actor=actor, id_number=row.id_number)
        raise
    changed = await workers.apply_changes(session, actor=actor, worker=worker, changes=fields)
    return ("updated" if changed else "unchanged"), existing_id


async def run(
    session: AsyncSession, *, actor: Actor, content: bytes, dry_run: bool, max_rows: int
) -> ImportReport:
    raw_rows = registry.read_rows(content, max_rows=max_rows)
    report = ImportReport(dry_run=dry_run)
    for start in range(0, len(raw_rows), BATCH):
        for raw in raw_rows[start : start + BATCH]:
            report.add(await _one(session, actor, raw))
        if dry_run:
            await session.rollback()
        else:
            await commit(session)
    return report


async def _one(session: AsyncSession, actor: Actor, raw: registry.RawRow) -> RowResult:
    parsed = _validate(raw)
    if isinstance(parsed, RowResult):
        return parsed
    try:
        async with session.begin_nested():
            outcome, worker_id = await _upsert(session, actor, parsed)
    except workers.DuplicateIdNumber as exc:
        return RowResult(raw.number, "failed", errors=[RowError(_column("id_number"), exc.detail)])
    except AppError as exc:
        errors = [
            RowError(field=_column(e.field.removeprefix("body.")), message=e.message)
            for e in exc.errors or []
        ]
        return RowResult(raw.number, "failed", errors=errors or [RowError("row", exc.detail)])
    except IntegrityError:
        return RowResult(
            raw.number,
            "failed",
            errors=[RowError("row", "conflicts with a record written at the same moment")],
        )
    return RowResult(raw.number, outcome, worker_id=worker_id)
