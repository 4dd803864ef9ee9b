"""What every employment workflow shares: the clock, the stable-employment rule, the read
model, scope and loading."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.errors import NotFound
from app.models import Employment, EmploymentKind, EmploymentStatus
from app.pagination import PageParams, SyncPage, SyncPoint, synced_list
from app.schemas.employments import EmploymentRead
from app.scope import Actor, scope_filter
from app.services.date_bounds import today

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


@dataclass(frozen=True)
class EmploymentFilters:
    worker_id: int | None = None
    employer_id: int | None = None
    kind: EmploymentKind | None = None
    active: bool | None = None


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
    return await synced_list(
        session,
        stmt,
        record=Employment,
        since=since,
        params=params,
        keys=[col(Employment.id)],
        row=read,
    )
