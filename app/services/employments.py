"""Employments: placements, jobs found without a referral, confirmation, ends, follow-ups.

A placement sets the worker's status, schedules the follow-up checks (1, 3, 6 and 12 months
by default) and is audited, all in the caller's transaction. An employment is *stable* once it
has lasted the stable-employment period (180 days by default).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.core.db import commit
from app.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from app.models import (
    Employer,
    Employment,
    EmploymentKind,
    EmploymentStatus,
    EndReason,
    FollowUp,
    FollowUpStatus,
    Role,
    Worker,
)
from app.models.base import utcnow
from app.pagination import PageParams, SyncPage, SyncPoint, paginate, paginate_changes
from app.schemas.employments import EmploymentRead, FollowUpRead
from app.scope import Actor, scope_filter
from app.services import audit, regions, workers

_FIELDS = (
    "worker_id", "employer_id", "vacancy_id", "kind", "title", "start_date", "end_date",
    "end_reason", "monthly_wage_fen", "work_region_code", "organised_export",
    "confirmed_by_employer",
)  # fmt: skip
_STATUS_FOR_KIND = {
    EmploymentKind.job: EmploymentStatus.employed,
    EmploymentKind.workshop: EmploymentStatus.employed,
    EmploymentKind.migrant: EmploymentStatus.employed,
    EmploymentKind.assistance_post: EmploymentStatus.assistance_post,
    EmploymentKind.self_employed: EmploymentStatus.self_employed,
}


class EmploymentNotFound(NotFound):
    code = "employment_not_found"
    title = "No such employment"


class FollowUpNotFound(NotFound):
    code = "follow_up_not_found"
    title = "No such follow-up"


class FollowUpNotDue(Conflict):
    code = "follow_up_not_due"
    title = "The follow-up was already recorded or cancelled"


class AlreadyEnded(Conflict):
    code = "employment_ended"
    title = "The employment has already ended"


@dataclass(frozen=True)
class EmploymentFilters:
    worker_id: int | None = None
    employer_id: int | None = None
    kind: EmploymentKind | None = None
    active: bool | None = None


def today() -> date:
    return datetime.now(UTC).date()


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def stable_since(start: date, end: date | None, *, on: date | None = None) -> date | None:
    """The day the employment became stable, if it has (by ``on``, default today)."""
    reached = start + timedelta(days=get_settings().stable_employment_days)
    last_day = min(end, on or today()) if end else (on or today())
    return reached if last_day >= reached else None


def read(row: Any) -> EmploymentRead:
    data = {k: getattr(row, k) for k in EmploymentRead.model_fields if hasattr(row, k)}
    since = stable_since(row.start_date, row.end_date)
    data.update(
        stable=since is not None,
        stable_since=since,
        deleted=getattr(row, "deleted_at", None) is not None,
    )
    return EmploymentRead.model_validate(data)


def snapshot(employment: Employment) -> dict[str, Any]:
    return {k: getattr(employment, k) for k in _FIELDS}


def visible(actor: Actor) -> Any:
    return scope_filter(
        actor, region=col(Employment.region_code), employer=col(Employment.employer_id)
    )


async def get(
    session: AsyncSession, *, actor: Actor, employment_id: int, for_update: bool = False
) -> Employment:
    stmt = select(Employment).where(
        col(Employment.id) == employment_id, col(Employment.deleted_at).is_(None), visible(actor)
    )
    employment = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if employment is None:
        raise EmploymentNotFound(f"There is no employment {employment_id} you may see.")
    return employment


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    filters: EmploymentFilters,
    params: PageParams,
    since: SyncPoint | None = None,
) -> SyncPage[EmploymentRead]:
    stmt = select(Employment).where(visible(actor))
    if filters.worker_id is not None:
        stmt = stmt.where(col(Employment.worker_id) == filters.worker_id)
    if filters.employer_id is not None:
        stmt = stmt.where(col(Employment.employer_id) == filters.employer_id)
    if filters.kind:
        stmt = stmt.where(col(Employment.kind) == filters.kind.value)
    if filters.active is True:
        stmt = stmt.where(col(Employment.end_date).is_(None))
    if filters.active is False:
        stmt = stmt.where(col(Employment.end_date).is_not(None))
    if since is not None:
        return await paginate_changes(
            session,
            stmt,
            seq=col(Employment.change_seq),
            updated_at=col(Employment.updated_at),
            since=since,
            params=params,
            row=read,
        )
    stmt = stmt.where(col(Employment.deleted_at).is_(None))
    page = await paginate(session, stmt, keys=[col(Employment.id)], params=params, row=read)
    return SyncPage[EmploymentRead](items=page.items, next_cursor=page.next_cursor)


async def place(
    session: AsyncSession,
    *,
    actor: Actor,
    worker: Worker,
    kind: EmploymentKind,
    start_date: date,
    confirmed: bool,
    **fields: Any,
) -> Employment:
    """Create the employment, move the worker's status, schedule the follow-ups, audit it
    (in the caller's transaction, not committed)."""
    assert worker.id is not None
    employment = Employment(
        worker_id=worker.id, region_code=worker.region_code, kind=kind.value,
        start_date=start_date, recorded_by=actor.id, confirmed_by_employer=confirmed,
        confirmed_at=utcnow() if confirmed else None, **fields,
    )  # fmt: skip
    session.add(employment)
    await session.flush()
    assert employment.id is not None
    before = workers.snapshot(worker)
    worker.employment_status = _STATUS_FOR_KIND[kind].value
    for months in get_settings().follow_up_months:
        session.add(
            FollowUp(
                employment_id=employment.id,
                worker_id=worker.id,
                region_code=worker.region_code,
                months=months,
                due_date=add_months(start_date, months),
            )
        )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="employment.create",
        resource_type="employment",
        resource_id=employment.id,
        region_code=employment.region_code,
        after=snapshot(employment),
        stamp=employment,
    )
    if before["employment_status"] != worker.employment_status:
        await audit.record(
            session,
            actor=actor,
            action="worker.status_changed_by_employment",
            resource_type="worker",
            resource_id=worker.id,
            region_code=worker.region_code,
            before={"employment_status": before["employment_status"]},
            after={"employment_status": worker.employment_status},
            stamp=worker,
            note={"employment_id": employment.id},
        )
    return employment


async def record(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> EmploymentRead:
    """A job a caseworker records that came without a referral (self-employment, migrant
    work, assistance posts …)."""
    worker = await workers.get(session, actor=actor, worker_id=data["worker_id"], for_update=True)
    if data["start_date"] > today():
        raise _bad("start_date", "a job cannot start in the future")
    if (
        data.get("employer_id") is not None
        and await session.get(Employer, data["employer_id"]) is None
    ):
        raise _bad("employer_id", "unknown employer")
    if data.get("work_region_code"):
        await regions.require(session, code=data["work_region_code"], field="work_region_code")
    fields = {k: v for k, v in data.items() if k not in ("worker_id", "kind", "start_date")}
    employment = await place(
        session,
        actor=actor,
        worker=worker,
        kind=data["kind"],
        start_date=data["start_date"],
        confirmed=False,
        **fields,
    )
    created = read(employment)
    await commit(session, result=created)
    return created


def _bad(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        f"{field}: {message}.",
        errors=[FieldError(field=f"body.{field}", message=message, type="value_error")],
    )


async def _employers_own(session: AsyncSession, actor: Actor, employment_id: int) -> Employment:
    employment = await get(session, actor=actor, employment_id=employment_id, for_update=True)
    if actor.role is Role.employer and employment.employer_id != actor.employer_id:
        raise EmploymentNotFound(f"There is no employment {employment_id} at your employer.")
    return employment


async def confirm(session: AsyncSession, *, actor: Actor, employment_id: int) -> Employment:
    """The employer confirms that the worker works for it (employer users only)."""
    if actor.role is not Role.employer:
        raise Forbidden("Only the employer confirms an employment at its firm.")
    employment = await _employers_own(session, actor, employment_id)
    if not employment.confirmed_by_employer:
        employment.confirmed_by_employer, employment.confirmed_at = True, utcnow()
        await audit.record(
            session,
            actor=actor,
            action="employment.confirm",
            resource_type="employment",
            resource_id=employment.id,
            region_code=employment.region_code,
            before={"confirmed_by_employer": False},
            after={"confirmed_by_employer": True},
            stamp=employment,
        )
    await commit(session, result=employment)
    return employment


async def end(
    session: AsyncSession,
    *,
    actor: Actor,
    employment_id: int,
    end_date: date,
    end_reason: EndReason,
) -> Employment:
    """Report the end of a job (the employer, or a caseworker in scope); the worker's status
    follows and the follow-ups after the end are cancelled."""
    if actor.role is Role.auditor:
        raise Forbidden("Auditors read employments; they do not end them.")
    employment = await _employers_own(session, actor, employment_id)
    await finish(
        session, actor=actor, employment=employment, end_date=end_date, end_reason=end_reason
    )
    await commit(session, result=employment)
    return employment


async def finish(
    session: AsyncSession,
    *,
    actor: Actor,
    employment: Employment,
    end_date: date,
    end_reason: EndReason,
) -> None:
    if employment.end_date is not None:
        raise AlreadyEnded(f"This employment ended on {employment.end_date}.")
    if end_date < employment.start_date or end_date > today():
        raise _bad("end_date", "must lie between the start date and today")
    before = snapshot(employment)
    employment.end_date, employment.end_reason = end_date, end_reason.value
    await session.execute(
        update(FollowUp)
        .where(col(FollowUp.employment_id) == employment.id,
               col(FollowUp.status) == FollowUpStatus.due.value,
               col(FollowUp.due_date) > end_date)
        .values(status=FollowUpStatus.cancelled.value, updated_at=utcnow())
    )  # fmt: skip
    await audit.record(
        session,
        actor=actor,
        action="employment.end",
        resource_type="employment",
        resource_id=employment.id,
        region_code=employment.region_code,
        before=before,
        after=snapshot(employment),
        stamp=employment,
    )
    await _settle_worker(session, actor=actor, worker_id=employment.worker_id)


async def _settle_worker(session: AsyncSession, *, actor: Actor, worker_id: int) -> None:
    """After a job ends: the worker's status follows their remaining jobs."""
    worker = await session.get(Worker, worker_id, with_for_update=True)
    assert worker is not None
    remaining = (
        await session.scalars(
            select(col(Employment.kind)).where(
                col(Employment.worker_id) == worker_id,
                col(Employment.end_date).is_(None),
                col(Employment.deleted_at).is_(None),
            )
        )
    ).all()
    status = (
        _STATUS_FOR_KIND[EmploymentKind(remaining[0])] if remaining else EmploymentStatus.unemployed
    )
    if worker.employment_status != status.value and worker.employment_status in {
        s.value for s in _STATUS_FOR_KIND.values()
    }:
        before = worker.employment_status
        worker.employment_status = status.value
        await audit.record(
            session,
            actor=actor,
            action="worker.status_changed_by_employment",
            resource_type="worker",
            resource_id=worker.id,
            region_code=worker.region_code,
            before={"employment_status": before},
            after={"employment_status": status.value},
            stamp=worker,
        )


def follow_up_read(row: Any) -> FollowUpRead:
    return FollowUpRead.model_validate(row)


async def due_follow_ups(
    session: AsyncSession,
    *,
    actor: Actor,
    params: PageParams,
    due_before: date | None,
    status: FollowUpStatus | None,
) -> SyncPage[FollowUpRead]:
    """The caseworker's to-do list: follow-ups in scope, by due date."""
    stmt = select(FollowUp).where(scope_filter(actor, region=col(FollowUp.region_code)))
    if status is not None:
        stmt = stmt.where(col(FollowUp.status) == status.value)
    if due_before is not None:
        stmt = stmt.where(col(FollowUp.due_date) < due_before)
    page = await paginate(
        session,
        stmt,
        keys=[col(FollowUp.due_date), col(FollowUp.id)],
        params=params,
        row=follow_up_read,
    )
    return SyncPage[FollowUpRead](items=page.items, next_cursor=page.next_cursor)


async def record_follow_up(
    session: AsyncSession,
    *,
    actor: Actor,
    follow_up_id: int,
    still_employed: bool,
    monthly_wage_fen: int | None,
    end_reason: EndReason | None,
    checked_on: date | None,
    notes: str | None,
) -> FollowUp:
    """Record a check: still employed (with the wage) or left — which ends the employment."""
    follow_up = await session.scalar(
        select(FollowUp)
        .where(col(FollowUp.id) == follow_up_id,
               scope_filter(actor, region=col(FollowUp.region_code)))
        .with_for_update()
    )  # fmt: skip
    if follow_up is None:
        raise FollowUpNotFound(f"There is no follow-up {follow_up_id} in your scope.")
    if follow_up.status != FollowUpStatus.due.value:
        raise FollowUpNotDue(f"This follow-up is {follow_up.status}, not due.")
    checked_on = checked_on or today()
    if checked_on > today():
        raise _bad("checked_on", "cannot be in the future")
    employment = await session.get(Employment, follow_up.employment_id, with_for_update=True)
    assert employment is not None
    before = {"status": follow_up.status}
    follow_up.status, follow_up.still_employed = FollowUpStatus.done.value, still_employed
    follow_up.monthly_wage_fen, follow_up.notes = monthly_wage_fen, notes
    follow_up.checked_at, follow_up.checked_by = utcnow(), actor.id
    if still_employed and monthly_wage_fen is not None:
        employment.monthly_wage_fen = monthly_wage_fen
    await audit.record(
        session, actor=actor, action="follow_up.record", resource_type="follow_up",
        resource_id=follow_up.id, region_code=follow_up.region_code, before=before,
        after={"status": follow_up.status, "still_employed": still_employed,
               "monthly_wage_fen": monthly_wage_fen},
        stamp=follow_up,
    )  # fmt: skip
    if not still_employed and employment.end_date is None:
        await finish(
            session,
            actor=actor,
            employment=employment,
            end_date=max(checked_on, employment.start_date),
            end_reason=end_reason or EndReason.other,
        )
    await commit(session, result=follow_up)
    return follow_up
