"""The programme's indicators, computed from the records by SQL aggregates — no hand-kept
counter. Definitions (also in the README), for a region subtree R and a year Y:

* registered_workers — workers of R registered by the end of Y and not removed by then;
* willing_and_able — of those, able to work and not marked unable to work;
* assisted — distinct workers of R who started a job (any employment) in Y, not removed from
  the register by the end of Y;
* assistance_rate — willing-and-able workers assisted in Y ÷ willing_and_able;
* stable_employment_rate — assisted workers with a job started in Y that lasted the
  stable-employment period (180 days) ÷ assisted;
* trained — enrolments of workers of R completed (with a certificate) in Y;
* training_target / employment_target — trained or assisted ÷ the target set for R and Y
  (no target set: no denominator, no value);
* claims — by policy and status: count, claimed, approved and paid fen, for claims whose
  period starts in Y;
* organisations — workshops and bases (employers of R by kind) and service stations of R.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.core.sql import date_add_days
from app.models import (
    Employment,
    EmploymentStatus,
    Enrolment,
    EnrolmentStatus,
    Region,
    Worker,
)
from app.scope import Actor, path_in_scope, region_subtree
from app.services import regions


@dataclass(frozen=True)
class Frame:
    """What the figures are about: a region subtree and a year."""

    region: Region
    year: int

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year + 1, 1, 1)

    @property
    def end_moment(self) -> datetime:
        return datetime(self.year + 1, 1, 1, tzinfo=UTC)

    def within(self, column: Any) -> ColumnElement[bool]:
        return col(column).in_(select(col(Region.code)).where(region_subtree(self.region.path)))


async def frame(session: AsyncSession, *, actor: Actor, region: str | None, year: int) -> Frame:
    """The frame asked for, inside the actor's scope (a region outside it does not exist)."""
    code = region or actor.region_code
    if code is None:
        root = await session.scalar(
            select(Region).where(col(Region.parent_code).is_(None)).order_by(col(Region.code))
        )
        if root is None:
            raise regions.RegionNotFound("There are no regions yet.")
        return Frame(root, year)
    found = await regions.get(session, code=code)
    if not path_in_scope(actor, found.path):
        raise regions.RegionNotFound(f"There is no region with code {code} in your scope.")
    return Frame(found, year)


def is_registered(f: Frame) -> list[ColumnElement[bool]]:
    return [
        f.within(Worker.region_code),
        col(Worker.created_at) < f.end_moment,
        or_(col(Worker.deleted_at).is_(None), col(Worker.deleted_at) >= f.end_moment),
    ]


def is_able() -> list[ColumnElement[bool]]:
    return [
        col(Worker.able_to_work).is_(True),
        col(Worker.employment_status) != EmploymentStatus.unable_to_work.value,
    ]


def job_started_in(f: Frame) -> list[ColumnElement[bool]]:
    removed = (
        select(col(Worker.id))
        .where(col(Worker.id) == col(Employment.worker_id), col(Worker.deleted_at) < f.end_moment)
        .exists()
    )
    return [
        f.within(Employment.region_code),
        col(Employment.start_date) >= f.start,
        col(Employment.start_date) < f.end,
        col(Employment.deleted_at).is_(None),
        ~removed,  # a worker removed from the register by then is not counted as assisted
    ]


def is_stable(on: date) -> ColumnElement[bool]:
    reached = date_add_days(col(Employment.start_date), get_settings().stable_employment_days)
    return and_(
        reached <= on, or_(col(Employment.end_date).is_(None), reached <= col(Employment.end_date))
    )


def completed_in(f: Frame) -> list[ColumnElement[bool]]:
    return [
        f.within(Enrolment.region_code),
        col(Enrolment.status) == EnrolmentStatus.completed.value,
        col(Enrolment.completed_on) >= f.start,
        col(Enrolment.completed_on) < f.end,
    ]


async def count_of(session: AsyncSession, stmt: Any) -> int:
    return int(await session.scalar(stmt) or 0)


def township_of(column: Any) -> Any:
    return func.substr(col(column), 1, 9)


async def grouped(session: AsyncSession, stmt: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (await session.execute(stmt)).all()}
