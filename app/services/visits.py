"""Caseworkers' visits to workers and households, and the status changes decided at them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.models import Household, Visit, Worker
from app.pagination import PageParams, SyncPage, SyncPoint, paginate, paginate_changes
from app.schemas.workers import VisitRead
from app.scope import Actor, scope_filter
from app.services import audit, date_bounds, households, workers


def _read(row: Any) -> VisitRead:
    data = {k: getattr(row, k) for k in VisitRead.model_fields if hasattr(row, k)}
    data["deleted"] = row.deleted_at is not None
    return VisitRead.model_validate(data)


def _new_visit(actor: Actor, fields: dict[str, Any], **subject: Any) -> Visit:
    return Visit(
        caseworker_id=actor.id,
        kind=fields["kind"],
        visited_at=fields["visited_at"],
        latitude=fields.get("latitude"),
        longitude=fields.get("longitude"),
        notes=fields.get("notes"),
        **subject,
    )


def _apply(record: Worker | Household, changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    applied: dict[str, dict[str, Any]] = {}
    for key, value in changes.items():
        if value is None or getattr(record, key) == value:
            continue
        applied[key] = {"before": getattr(record, key), "after": value}
        setattr(record, key, value)
    return applied


async def record_worker_visit(
    session: AsyncSession, *, actor: Actor, worker_id: int, fields: dict[str, Any]
) -> Visit:
    """Record a visit; status changes made at it update the worker in the same transaction,
    and both are audited."""
    date_bounds.visit_time(fields["visited_at"])
    worker = await workers.get(session, actor=actor, worker_id=worker_id, for_update=True)
    before = workers.snapshot(worker)
    applied = _apply(worker, fields.get("status_changes") or {})
    visit = _new_visit(
        actor,
        fields,
        worker_id=worker.id,
        household_id=worker.household_id,
        region_code=worker.region_code,
        status_changes=applied or None,
    )
    session.add(visit)
    await session.flush()
    if applied:
        await audit.record(
            session,
            actor=actor,
            action="worker.status_changed_at_visit",
            resource_type="worker",
            resource_id=worker.id,
            region_code=worker.region_code,
            before=before,
            after=workers.snapshot(worker),
            stamp=worker,
            note={"visit_id": visit.id},
        )
    await _mark_visited(session, visit)
    await _audit_visit(session, actor, visit)
    await commit(session, result=visit)
    return visit


async def record_household_visit(
    session: AsyncSession, *, actor: Actor, household_id: int, fields: dict[str, Any]
) -> Visit:
    date_bounds.visit_time(fields["visited_at"])
    household = await households.get(session, actor=actor, household_id=household_id)
    before = households.snapshot(household)
    applied = _apply(household, fields.get("status_changes") or {})
    visit = _new_visit(
        actor,
        fields,
        household_id=household.id,
        region_code=household.region_code,
        status_changes=applied or None,
    )
    session.add(visit)
    await session.flush()
    if applied:
        await audit.record(
            session,
            actor=actor,
            action="household.status_changed_at_visit",
            resource_type="household",
            resource_id=household.id,
            region_code=household.region_code,
            before=before,
            after=households.snapshot(household),
            stamp=household,
            note={"visit_id": visit.id},
        )
    await _mark_visited(session, visit)
    await _audit_visit(session, actor, visit)
    await commit(session, result=visit)
    return visit


async def _mark_visited(session: AsyncSession, visit: Visit) -> None:
    """Keep ``workers.last_visited_at`` (what the agenda's "not visited for N days" reads):
    the visited labourer, or every labourer of a visited household. A visit uploaded late
    from a phone never moves it back; the worker's version and sync stamp stay as they are
    (the visit is a change of its own)."""
    subject = (
        col(Worker.id) == visit.worker_id
        if visit.worker_id is not None
        else col(Worker.household_id) == visit.household_id
    )
    last = col(Worker.last_visited_at)
    await session.execute(
        update(Worker)
        .where(subject, or_(last.is_(None), last < visit.visited_at))
        .values(last_visited_at=visit.visited_at, updated_at=col(Worker.updated_at))
        .execution_options(synchronize_session=False)
    )


async def _audit_visit(session: AsyncSession, actor: Actor, visit: Visit) -> None:
    await audit.record(
        session,
        actor=actor,
        action="visit.create",
        resource_type="visit",
        resource_id=visit.id,
        region_code=visit.region_code,
        after={
            "kind": visit.kind,
            "visited_at": visit.visited_at,
            "worker_id": visit.worker_id,
            "household_id": visit.household_id,
        },
        stamp=visit,
    )


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    params: PageParams,
    worker_id: int | None = None,
    household_id: int | None = None,
    since: SyncPoint | None = None,
) -> SyncPage[VisitRead]:
    """Visits in scope, of one worker or household if given, the most recent visit first
    (by when it took place: a phone that was offline uploads older visits late)."""
    if worker_id is not None:
        await workers.get(session, actor=actor, worker_id=worker_id)
    if household_id is not None:
        await households.get(session, actor=actor, household_id=household_id)
    stmt = select(Visit).where(scope_filter(actor, region=col(Visit.region_code)))
    if worker_id is not None:
        stmt = stmt.where(col(Visit.worker_id) == worker_id)
    if household_id is not None:
        stmt = stmt.where(col(Visit.household_id) == household_id)
    if since is not None:
        return await paginate_changes(
            session,
            stmt,
            seq=col(Visit.change_seq),
            updated_at=col(Visit.updated_at),
            since=since,
            params=params,
            row=_read,
        )
    stmt = stmt.where(col(Visit.deleted_at).is_(None))
    page = await paginate(
        session,
        stmt,
        keys=[col(Visit.visited_at), col(Visit.id)],
        params=params,
        descending=True,
        row=_read,
    )
    return SyncPage[VisitRead](items=page.items, next_cursor=page.next_cursor)
