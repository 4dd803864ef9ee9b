"""Registered poor labourers: register, find, read, update, retire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, null, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit, is_postgres
from app.core.sql import json_list_contains, masked, masked_phone
from app.errors import Conflict, FieldError, NotFound, UnknownReference
from app.errors.extensions import DuplicateWorkerProblem
from app.identifiers import parse_resident_id
from app.masking import mask_id_number
from app.models import (
    EmploymentStatus,
    Household,
    JobType,
    PovertyStatus,
    Region,
    Skill,
    Worker,
)
from app.models.base import utcnow
from app.pagination import PageParams, SyncPage, SyncPoint, paginate, paginate_changes
from app.schemas.workers import WorkerRead, WorkerSummary
from app.scope import Actor, path_in_scope, region_subtree, scope_filter
from app.services import audit, households, regions
from app.versioning import ensure_version

EDITABLE = (
    "household_id", "full_name", "id_number", "phone", "region_code", "disability_level",
    "education", "skills", "training_wishes", "job_wishes", "work_location_wish",
    "employment_status", "able_to_work", "notes",
)  # fmt: skip
_AUDITED = (*EDITABLE, "birth_date", "sex")
# A worker as lists show it, masked by the database: the rows are the response as they are.
_LISTED: dict[str, ColumnElement[Any]] = {
    "id_number": masked(col(Worker.id_number)),
    "phone": masked_phone(col(Worker.phone)),
    "birth_date": null(),  # withheld in lists: it is part of the ID number
    "deleted": col(Worker.deleted_at).is_not(None),
}
SUMMARY_COLUMNS: tuple[Any, ...] = (
    *(
        _LISTED[name].label(name) if name in _LISTED else col(getattr(Worker, name))
        for name in WorkerSummary.model_fields
    ),
    col(Worker.change_seq),
)
# The same fields as stored, for a query that ranks many rows before it keeps a page (the
# masking is then done for the page only, by WorkerSummary.from_record).
RECORD_COLUMNS: tuple[Any, ...] = tuple(
    col(getattr(Worker, name))
    for name in (*WorkerSummary.model_fields.keys() - {"deleted"}, "deleted_at")
)
TRIGRAM_MIN = 3


class WorkerNotFound(NotFound):
    code = "worker_not_found"
    title = "No such worker"


class DuplicateIdNumber(Conflict):
    code = "duplicate_id_number"
    problem = DuplicateWorkerProblem
    title = "This resident ID number is already registered"


@dataclass(frozen=True)
class WorkerFilters:
    region: str | None = None
    employment_status: EmploymentStatus | None = None
    able_to_work: bool | None = None
    skill: Skill | None = None
    training_wish: Skill | None = None
    job_wish: JobType | None = None
    poverty_status: PovertyStatus | None = None
    household_id: int | None = None
    name: str | None = None
    id_suffix: str | None = None


def snapshot(worker: Worker) -> dict[str, Any]:
    return {k: getattr(worker, k) for k in _AUDITED}


def visible(actor: Actor) -> Any:
    return scope_filter(actor, region=col(Worker.region_code))


async def get(
    session: AsyncSession, *, actor: Actor, worker_id: int, for_update: bool = False
) -> Worker:
    stmt = select(Worker).where(
        col(Worker.id) == worker_id, col(Worker.deleted_at).is_(None), visible(actor)
    )
    worker = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if worker is None:
        raise WorkerNotFound(f"There is no worker {worker_id} in your scope.")
    return worker


async def read(session: AsyncSession, *, actor: Actor, worker_id: int) -> WorkerRead:
    """The detail view. Caseworkers and admins in scope see the full ID number and phone, and
    that read is written to the audit log; auditors see them masked."""
    worker = await get(session, actor=actor, worker_id=worker_id)
    reveal = actor.role.value in ("caseworker", "admin")
    if reveal:
        await audit.record(
            session,
            actor=actor,
            action="worker.read_personal_data",
            resource_type="worker",
            resource_id=worker.id,
            region_code=worker.region_code,
        )
        await commit(session)
    return WorkerRead.from_record(worker, reveal=reveal)


def _filtered(stmt: Select[Any], filters: WorkerFilters, *, postgres: bool) -> Select[Any]:
    if filters.employment_status:
        stmt = stmt.where(col(Worker.employment_status) == filters.employment_status.value)
    if filters.able_to_work is not None:
        stmt = stmt.where(col(Worker.able_to_work) == filters.able_to_work)
    for column, value in (
        (Worker.skills, filters.skill),
        (Worker.training_wishes, filters.training_wish),
        (Worker.job_wishes, filters.job_wish),
    ):
        if value is not None:
            stmt = stmt.where(json_list_contains(col(column), value.value))
    if filters.poverty_status:
        stmt = stmt.where(
            col(Worker.household_id).in_(
                select(col(Household.id)).where(
                    col(Household.poverty_status) == filters.poverty_status.value
                )
            )
        )
    if filters.household_id is not None:
        stmt = stmt.where(col(Worker.household_id) == filters.household_id)
    if filters.name:
        stmt = stmt.where(_name_matches(filters.name, postgres=postgres))
    if filters.id_suffix:
        digits = filters.id_suffix.upper()
        stmt = stmt.where(
            col(Worker.id_suffix) == digits[-4:],
            col(Worker.id_number).endswith(digits, autoescape=True),
        )
    return stmt


def _name_matches(name: str, *, postgres: bool) -> Any:
    # Three characters or more: substring, served by the trigram index on PostgreSQL.
    # Fewer (most Chinese names have two or three): a prefix, served by the pattern index.
    if len(name) >= TRIGRAM_MIN:
        return col(Worker.full_name).contains(name, autoescape=True)
    return col(Worker.full_name).startswith(name, autoescape=True)


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    filters: WorkerFilters,
    params: PageParams,
    since: SyncPoint | None = None,
) -> SyncPage[WorkerSummary]:
    stmt = select(*SUMMARY_COLUMNS).where(visible(actor))
    if filters.region:
        root = await regions.get(session, code=filters.region)
        stmt = stmt.where(
            col(Worker.region_code).in_(select(col(Region.code)).where(region_subtree(root.path)))
        )
    stmt = _filtered(stmt, filters, postgres=is_postgres(session))
    if since is not None:
        return await paginate_changes(
            session,
            stmt,
            seq=col(Worker.change_seq),
            updated_at=col(Worker.updated_at),
            since=since,
            params=params,
            model=WorkerSummary,
        )
    stmt = stmt.where(col(Worker.deleted_at).is_(None))
    page = await paginate(session, stmt, keys=[col(Worker.id)], params=params, model=WorkerSummary)
    return page.to(SyncPage[WorkerSummary])


def duplicate(actor: Actor, existing: Worker, region_path: str) -> DuplicateIdNumber:
    """409 naming the existing record when the caller may see it, and only then."""
    if existing.deleted_at is None and path_in_scope(actor, region_path):
        return DuplicateIdNumber(
            f"{mask_id_number(existing.id_number)} is already registered as worker {existing.id}.",
            existing_worker_id=existing.id,
        )
    return DuplicateIdNumber(
        f"{mask_id_number(existing.id_number)} is already registered outside your scope; "
        "ask the district office."
    )


async def _check_references(
    session: AsyncSession, *, actor: Actor, household_id: int | None, region_code: str | None
) -> None:
    if region_code is not None:
        await households.place_in_scope(session, actor=actor, code=region_code)
    if household_id is not None:
        try:
            await households.get(session, actor=actor, household_id=household_id)
        except households.HouseholdNotFound as exc:
            raise UnknownReference(
                "The household does not exist in your scope.",
                errors=[
                    FieldError(field="body.household_id", message="unknown household", type="ref")
                ],
            ) from exc


def with_identity(values: dict[str, Any]) -> dict[str, Any]:
    """The values with the ID number normalised and the birth date, sex and suffix it holds."""
    if "id_number" in values and values["id_number"] is not None:
        parsed = parse_resident_id(values["id_number"])
        values = {
            **values,
            "id_number": parsed.number,
            "id_suffix": parsed.number[-4:],
            "birth_date": parsed.birth_date,
            "sex": parsed.sex,
        }
    return values


async def insert(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> Worker:
    """Register a worker inside the caller's transaction (audited, not committed)."""
    await _check_references(
        session, actor=actor, household_id=data["household_id"], region_code=data["region_code"]
    )
    await ensure_unique_id(session, actor=actor, id_number=data["id_number"])
    worker = Worker.model_validate(with_identity(data))
    session.add(worker)
    await _flush_unique(session)
    await audit.record_many(session, actor=actor, changes=[created(worker)])
    return worker


def created(worker: Worker) -> audit.Change:
    """The audit entry of a worker's registration."""
    return audit.Change(
        action="worker.create",
        resource_type="worker",
        resource_id=worker.id,
        region_code=worker.region_code,
        after=snapshot(worker),
        stamp=worker,
    )


async def create(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> Worker:
    worker = await insert(session, actor=actor, data=data)
    await commit(session, result=worker)
    return worker


async def ensure_unique_id(
    session: AsyncSession, *, actor: Actor, id_number: str, exclude: int | None = None
) -> None:
    found = (
        await session.execute(
            select(Worker, col(Region.path))
            .join(Region, col(Region.code) == col(Worker.region_code))
            .where(col(Worker.id_number) == id_number, col(Worker.id) != (exclude or 0))
        )
    ).one_or_none()
    if found is not None:
        existing, path = found
        raise duplicate(actor, existing, path)


async def _flush_unique(session: AsyncSession) -> None:
    """Flush; a concurrent registration of the same ID number loses with 409, not 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise DuplicateIdNumber(
            "This resident ID number was registered by someone else a moment ago."
        ) from exc


async def update(
    session: AsyncSession,
    *,
    actor: Actor,
    worker_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> Worker:
    # Locked: a second phone saving from the same version waits, then gets the conflict with
    # the record as the first one left it and the fields that differ.
    worker = await get(session, actor=actor, worker_id=worker_id, for_update=True)
    ensure_version(
        expected=expected_version,
        current_version=worker.version,
        # Compared with the stored values here: the record the conflict shows is masked, and a
        # phone number the app sends unchanged must not be reported as differing.
        changes={k: v for k, v in changes.items() if getattr(worker, k) != v},
        current=WorkerRead.from_record(worker).model_dump(mode="json"),
    )
    await apply_changes(session, actor=actor, worker=worker, changes=changes)
    await commit(session, result=worker)
    return worker


async def apply_changes(
    session: AsyncSession, *, actor: Actor, worker: Worker, changes: dict[str, Any]
) -> bool:
    """Apply and audit the fields that really change (not committed); False when none do."""
    changes = {k: v for k, v in changes.items() if getattr(worker, k) != v}
    if not changes:
        return False
    await _check_references(
        session,
        actor=actor,
        household_id=changes.get("household_id"),
        region_code=changes.get("region_code"),
    )
    if changes.get("id_number"):
        await ensure_unique_id(
            session, actor=actor, id_number=changes["id_number"], exclude=worker.id
        )
    before = snapshot(worker)
    for key, value in with_identity(changes).items():
        setattr(worker, key, value)
    await _flush_unique(session)
    await audit.record(
        session,
        actor=actor,
        action="worker.update",
        resource_type="worker",
        resource_id=worker.id,
        region_code=worker.region_code,
        before=before,
        after=snapshot(worker),
        stamp=worker,
    )
    return True


async def delete(session: AsyncSession, *, actor: Actor, worker_id: int) -> None:
    """Soft delete (admin): the record leaves every list and becomes a sync tombstone."""
    worker = await get(session, actor=actor, worker_id=worker_id)
    worker.deleted_at = utcnow()
    await audit.record(
        session,
        actor=actor,
        action="worker.delete",
        resource_type="worker",
        resource_id=worker.id,
        region_code=worker.region_code,
        stamp=worker,
    )
    await commit(session)
