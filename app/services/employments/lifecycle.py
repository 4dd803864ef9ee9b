"""An employment's life after placement: the employer's confirmation and the job's end, after
which the worker's status follows their remaining jobs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, Forbidden
from app.models import (
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
from app.scope import Actor
from app.services import audit, date_bounds
from app.services.employments.core import (
    _STATUS_FOR_KIND,
    EmploymentNotFound,
    get,
    snapshot,
)


class AlreadyEnded(Conflict):
    code = "employment_ended"
    title = "The employment has already ended"


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
    date_bounds.employment_end(end_date, start=employment.start_date)
    before = snapshot(employment)
    employment.end_date, employment.end_reason = end_date, end_reason.value
    await _cancel_follow_ups(session, actor=actor, employment=employment, end_date=end_date)
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


async def _cancel_follow_ups(
    session: AsyncSession, *, actor: Actor, employment: Employment, end_date: date
) -> None:
    """The checks due after the job's end are cancelled, each audited (which stamps it for
    the phones that carry it)."""
    cancelled = (await session.scalars(
        select(FollowUp)
        .where(col(FollowUp.employment_id) == employment.id,
               col(FollowUp.status) == FollowUpStatus.due.value,
               col(FollowUp.due_date) > end_date)
        .order_by(col(FollowUp.id))
        .with_for_update()
    )).all()  # fmt: skip
    for follow_up in cancelled:
        follow_up.status = FollowUpStatus.cancelled.value
    await audit.record_many(
        session,
        actor=actor,
        changes=[
            audit.Change(
                "follow_up.cancel", "follow_up", f.id, f.region_code,
                before={"status": FollowUpStatus.due.value},
                after={"status": f.status}, note={"employment_id": employment.id},
                stamp=f,
            )
            for f in cancelled
        ],
    )  # fmt: skip


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
