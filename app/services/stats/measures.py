"""The programme's indicators, computed from the records by SQL aggregates — no hand-kept
counter. Definitions (also in the README), for a region subtree R and a year Y:

Every figure is judged on a day J — ``?as_of=`` or today — and counts the facts of Y up to
its last day L = min(31 December Y, J), by the dates the facts carry (a registration,
a job's start and end, a completion: history brought in by an admin counts like any other):

* registered_workers — workers of R registered (建档立卡 ``registered_on``) by L and not
  removed by then;
* willing_and_able — of those, willing and able to work as judged on L (the worker's
  judgement then: ``worker_ability_changes`` for a worker whose judgement changed after L);
* assisted — distinct workers of R who started a job (any employment) in Y by L, not removed
  from the register by then;
* assistance_rate — willing-and-able workers assisted in Y ÷ willing_and_able;
* stable_employment_rate — assisted workers with a job started in Y that had lasted the
  stable-employment period (180 days) by J ÷ assisted. A year's figure is final once that
  period has passed after its last possible start (31 December + 180 days); judged earlier it
  is provisional, and the answer says so and when it becomes final;
* trained — enrolments of workers of R completed (with a certificate) in Y by L;
* training_target / employment_target — trained or assisted ÷ the target set for R and Y
  (no target set: no denominator, no value);
* claims — by policy and status: count, claimed, approved and paid fen, for claims whose
  period starts in Y;
* organisations — workshops and bases (employers of R by kind) and service stations of R.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.core.sql import date_add_days
from app.models import (
    Employment,
    EmploymentStatus,
    Enrolment,
    EnrolmentStatus,
    Household,
    PovertyStatus,
    Region,
    Worker,
    WorkerAbilityChange,
)
from app.models.base import programme_today
from app.scope import Actor, path_in_scope, region_subtree
from app.services import date_bounds, regions


@dataclass(frozen=True)
class Frame:
    """What the figures are about: a region subtree and a year, judged on a day."""

    region: Region
    year: int
    judged_on: date = field(default_factory=programme_today)

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        """The last day whose facts count: the year's end, or the judgement day within it."""
        return min(date(self.year, 12, 31), self.judged_on)

    @property
    def end(self) -> date:
        """The day after :attr:`last_day` (exclusive bound)."""
        return self.last_day + timedelta(days=1)

    @property
    def end_moment(self) -> datetime:
        return datetime.combine(self.end, time(), tzinfo=UTC)

    @property
    def judged_moment(self) -> datetime:
        """The end of the judgement day: what was recorded by then counts."""
        return datetime.combine(self.judged_on + timedelta(days=1), time(), tzinfo=UTC)

    @property
    def final_on(self) -> date:
        """The day the year's stable-employment figure becomes final."""
        days = get_settings().stable_employment_days
        return date(self.year, 12, 31) + timedelta(days=days)

    @property
    def provisional(self) -> bool:
        return self.judged_on < self.final_on

    def within(self, column: Any) -> ColumnElement[bool]:
        return col(column).in_(select(col(Region.code)).where(region_subtree(self.region.path)))


async def frame(
    session: AsyncSession,
    *,
    actor: Actor,
    region: str | None,
    year: int,
    as_of: date | None = None,
) -> Frame:
    """The frame asked for, inside the actor's scope (a region outside it does not exist),
    judged on ``as_of`` (not after today) or today."""
    judged_on = programme_today()
    if as_of is not None:
        date_bounds.not_after("query.as_of", as_of, latest=judged_on)
        judged_on = as_of
    found = await _region(session, actor, region)
    return Frame(found, year, judged_on)


async def _region(session: AsyncSession, actor: Actor, region: str | None) -> Region:
    code = region or actor.region_code
    if code is None:
        root = await session.scalar(
            select(Region).where(col(Region.parent_code).is_(None)).order_by(col(Region.code))
        )
        if root is None:
            raise regions.RegionNotFound("There are no regions yet.")
        return root
    found = await regions.get(session, code=code)
    if not path_in_scope(actor, found.path):
        raise regions.RegionNotFound(f"There is no region with code {code} in your scope.")
    return found


def is_registered(f: Frame) -> list[ColumnElement[bool]]:
    return [
        f.within(Worker.region_code),
        col(Worker.registered_on) <= f.last_day,
        or_(col(Worker.deleted_at).is_(None), col(Worker.deleted_at) >= f.end_moment),
    ]


def is_able(f: Frame) -> list[ColumnElement[bool]]:
    """Willing and able as judged on the frame's last day: today's judgement, unless it
    changed after that day — then the change in force on it (the lookup runs only for those
    few workers)."""
    today = and_(
        col(Worker.able_to_work).is_(True),
        col(Worker.employment_status) != EmploymentStatus.unable_to_work.value,
    )
    then = (
        select(col(WorkerAbilityChange.willing_and_able))
        .where(
            col(WorkerAbilityChange.worker_id) == col(Worker.id),
            col(WorkerAbilityChange.effective_on) <= f.last_day,
        )
        .order_by(col(WorkerAbilityChange.effective_on).desc(), col(WorkerAbilityChange.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    unchanged = or_(
        col(Worker.able_changed_on).is_(None), col(Worker.able_changed_on) <= f.last_day
    )
    return [case((unchanged, today), else_=func.coalesce(then, today)).is_(True)]


def poverty_status_of(f: Frame) -> Any:
    """The poverty status (in_poverty / lifted / monitored) of a worker's household in the
    frame's year, as an SQL expression over ``Household`` (the query joins the worker's
    household): its present status, unless it was lifted out after that year (its
    ``lifted_year``) — then it was still in poverty then. A join, not a subquery per worker:
    at 100,000 workers the subquery's cost estimate alone switched PostgreSQL's JIT on."""
    lifted_later = col(Household.lifted_year) > f.year
    return case(
        (lifted_later, literal(PovertyStatus.in_poverty.value)),
        else_=col(Household.poverty_status),
    )


def job_started_in(f: Frame) -> list[ColumnElement[bool]]:
    removed = (
        select(col(Worker.id))
        .where(col(Worker.id) == col(Employment.worker_id), col(Worker.deleted_at) < f.end_moment)
        .exists()
    )
    return [
        f.within(Employment.region_code),
        col(Employment.start_date) >= f.start,
        col(Employment.start_date) <= f.last_day,
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
        col(Enrolment.completed_on) <= f.last_day,
    ]


async def count_of(session: AsyncSession, stmt: Any) -> int:
    return int(await session.scalar(stmt) or 0)


def township_of(column: Any) -> Any:
    return func.substr(col(column), 1, 9)


async def grouped(session: AsyncSession, stmt: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (await session.execute(stmt)).all()}
