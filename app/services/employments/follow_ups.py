"""Follow-up checks (1, 3, 6 and 12 months by default): the caseworker's to-do list and the
checks that turn "stable employment" into a measured fact."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, NotFound
from app.models import Employment, EndReason, FollowUp, FollowUpStatus
from app.models.base import utcnow
from app.pagination import PageParams, SyncPage, SyncPoint, synced_list
from app.schemas.employments import FollowUpRead
from app.scope import Actor, scope_filter
from app.services import audit, date_bounds
from app.services.date_bounds import today
from app.services.employments.lifecycle import finish


class FollowUpNotFound(NotFound):
    code = "follow_up_not_found"
    title = "No such follow-up"


class FollowUpNotDue(Conflict):
    code = "follow_up_not_due"
    title = "The follow-up was already recorded or cancelled"


def follow_up_read(row: Any) -> FollowUpRead:
    return FollowUpRead.model_validate(row)


async def due_follow_ups(
    session: AsyncSession,
    *,
    actor: Actor,
    params: PageParams,
    due_before: date | None,
    status: FollowUpStatus | None,
    since: SyncPoint | None = None,
) -> SyncPage[FollowUpRead]:
    """The caseworker's to-do list: follow-ups in scope, by due date (those still due unless
    another status is asked for); with ``since``, every change since, whatever its status."""
    stmt = select(FollowUp).where(scope_filter(actor, region=col(FollowUp.region_code)))
    if status is None and since is None:
        status = FollowUpStatus.due
    if status is not None:
        stmt = stmt.where(col(FollowUp.status) == status.value)
    if due_before is not None:
        stmt = stmt.where(col(FollowUp.due_date) < due_before)
    return await synced_list(
        session,
        stmt,
        record=FollowUp,
        since=since,
        params=params,
        keys=[col(FollowUp.due_date), col(FollowUp.id)],
        row=follow_up_read,
    )


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
    employment = await session.get(Employment, follow_up.employment_id, with_for_update=True)
    assert employment is not None
    checked_on = checked_on or today()
    date_bounds.follow_up_check(checked_on, start=employment.start_date)
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
            end_date=checked_on,
            end_reason=end_reason or EndReason.other,
        )
    await commit(session, result=follow_up)
    return follow_up
