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

from sqlalchemy import ColumnElement, and_, case, distinct, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.core.sql import date_add_days
from app.models import (
    Claim,
    Employer,
    EmployerKind,
    Employment,
    EmploymentStatus,
    Enrolment,
    EnrolmentStatus,
    Region,
    RegionLevel,
    ServiceStation,
    Target,
    TargetMetric,
    Worker,
)
from app.schemas.stats import Breakdown, BreakdownRow, ClaimFigures, Indicator, Overview
from app.scope import Actor, path_in_scope, region_subtree
from app.services import regions
from app.services.employments import today

BREAKDOWNS = ("township", "month", "policy", "employer_kind")


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


def _registered(f: Frame) -> list[ColumnElement[bool]]:
    return [
        f.within(Worker.region_code),
        col(Worker.created_at) < f.end_moment,
        or_(col(Worker.deleted_at).is_(None), col(Worker.deleted_at) >= f.end_moment),
    ]


def _able() -> list[ColumnElement[bool]]:
    return [
        col(Worker.able_to_work).is_(True),
        col(Worker.employment_status) != EmploymentStatus.unable_to_work.value,
    ]


def _started_in(f: Frame) -> list[ColumnElement[bool]]:
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


def _stable(on: date) -> ColumnElement[bool]:
    reached = date_add_days(col(Employment.start_date), get_settings().stable_employment_days)
    return and_(
        reached <= on, or_(col(Employment.end_date).is_(None), reached <= col(Employment.end_date))
    )


def _completed_in(f: Frame) -> list[ColumnElement[bool]]:
    return [
        f.within(Enrolment.region_code),
        col(Enrolment.status) == EnrolmentStatus.completed.value,
        col(Enrolment.completed_on) >= f.start,
        col(Enrolment.completed_on) < f.end,
    ]


async def _count(session: AsyncSession, stmt: Any) -> int:
    return int(await session.scalar(stmt) or 0)


def _rate(key: str, label: str, numerator: int, denominator: int | None) -> Indicator:
    value = numerator / denominator if denominator else None
    return Indicator(key=key, label=label, numerator=numerator, denominator=denominator,
                     value=None if value is None else round(value, 4))  # fmt: skip


def _count_indicator(key: str, label: str, value: int) -> Indicator:
    return Indicator(key=key, label=label, numerator=value, denominator=None, value=value)


async def _target(session: AsyncSession, f: Frame, metric: TargetMetric) -> int | None:
    return await session.scalar(
        select(col(Target.value)).where(col(Target.region_code) == f.region.code,
                                        col(Target.year) == f.year,
                                        col(Target.metric) == metric.value)
    )  # fmt: skip


async def overview(
    session: AsyncSession, *, actor: Actor, region: str | None, year: int
) -> Overview:
    f = await frame(session, actor=actor, region=region, year=year)
    now = today()
    # One pass over the workers, one over the year's jobs (grouped per worker).
    able_flag = case((and_(*_able()), 1), else_=0)
    registered, able = (await session.execute(
        select(func.count(), func.coalesce(func.sum(able_flag), 0)).where(*_registered(f))
    )).one()  # fmt: skip
    per_worker = (
        select(col(Employment.worker_id).label("worker_id"),
               func.max(case((_stable(now), 1), else_=0)).label("stable"))
        .where(*_started_in(f)).group_by(col(Employment.worker_id)).subquery()
    )  # fmt: skip
    counted = and_(*_registered(f), *_able())
    assisted, stable, assisted_able = (await session.execute(
        select(func.count(), func.coalesce(func.sum(per_worker.c.stable), 0),
               func.coalesce(func.sum(case((counted, 1), else_=0)), 0))
        .select_from(per_worker.outerjoin(Worker, col(Worker.id) == per_worker.c.worker_id))
    )).one()  # fmt: skip
    trained = await _count(session, select(func.count()).select_from(Enrolment)
                           .where(*_completed_in(f)))  # fmt: skip
    training_target = await _target(session, f, TargetMetric.training)
    employment_target = await _target(session, f, TargetMetric.employment_assistance)
    indicators = [
        _count_indicator("registered_workers", "Registered poor labourers", int(registered)),
        _count_indicator("willing_and_able", "Willing and able to work", int(able)),
        _count_indicator("assisted", "Assisted into work this year", int(assisted)),
        _rate("assistance_rate", "Assistance rate", int(assisted_able), int(able)),
        _rate("stable_employment_rate", "Stable employment rate", int(stable), int(assisted)),
        _count_indicator("trained", "Trained (completed enrolments)", trained),
        _rate("training_target", "Trained against the training target", trained,
              training_target),
        _rate("employment_target", "Assisted against the employment target", int(assisted),
              employment_target),
    ]  # fmt: skip
    return Overview(
        region_code=f.region.code,
        region_name=f.region.name,
        year=year,
        as_of=now,
        indicators=indicators,
        claims=await _claims(session, f),
        organisations=await _organisations(session, f),
    )


async def _claims(session: AsyncSession, f: Frame) -> list[ClaimFigures]:
    rows = (await session.execute(
        select(col(Claim.policy_code), col(Claim.status), func.count(),
               func.coalesce(func.sum(col(Claim.amount_fen)), 0),
               func.coalesce(func.sum(col(Claim.approved_amount_fen)), 0),
               func.coalesce(func.sum(col(Claim.paid_amount_fen)), 0))
        .where(f.within(Claim.region_code), col(Claim.period_start) >= f.start,
               col(Claim.period_start) < f.end)
        .group_by(col(Claim.policy_code), col(Claim.status))
        .order_by(col(Claim.policy_code), col(Claim.status))
    )).all()  # fmt: skip
    return [
        ClaimFigures(policy_code=p, status=s, claims=n, claimed_fen=int(c or 0),
                     approved_fen=int(a or 0), paid_fen=int(pd or 0))
        for p, s, n, c, a, pd in rows
    ]  # fmt: skip


async def _organisations(session: AsyncSession, f: Frame) -> dict[str, int]:
    kinds: dict[str, int] = dict((await session.execute(
        select(col(Employer.kind), func.count()).where(f.within(Employer.region_code))
        .group_by(col(Employer.kind))
    )).all())  # fmt: skip
    stations = await _count(session, select(func.count()).select_from(ServiceStation).where(
        f.within(ServiceStation.region_code)))  # fmt: skip
    return {
        "workshops": int(kinds.get(EmployerKind.workshop.value, 0)),
        "bases": int(kinds.get(EmployerKind.base.value, 0)),
        "service_stations": stations,
    }


# -- breakdowns ----------------------------------------------------------------------------


def _township_of(column: Any) -> Any:
    return func.substr(col(column), 1, 9)


async def _grouped(session: AsyncSession, stmt: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (await session.execute(stmt)).all()}


async def _by_township(session: AsyncSession, f: Frame) -> Breakdown:
    towns = (await session.execute(
        select(col(Region.code), col(Region.name)).where(
            region_subtree(f.region.path), col(Region.level) == RegionLevel.township.value)
        .order_by(col(Region.code))
    )).all()  # fmt: skip
    if f.region.level == RegionLevel.township.value or not towns:
        town_region = await session.get(Region, f.region.code[:9]) or f.region
        towns = [(town_region.code, town_region.name)]  # type: ignore[list-item]
    town = _township_of(Worker.region_code)
    registered = await _grouped(session, select(town, func.count())
                                .where(*_registered(f)).group_by(town))  # fmt: skip
    able = await _grouped(session, select(town, func.count())
                          .where(*_registered(f), *_able()).group_by(town))  # fmt: skip
    job_town = _township_of(Employment.region_code)
    assisted = await _grouped(session, select(job_town, func.count(distinct(
        col(Employment.worker_id)))).where(*_started_in(f)).group_by(job_town))  # fmt: skip
    stable = await _grouped(
        session,
        select(job_town, func.count(distinct(col(Employment.worker_id))))
        .where(*_started_in(f), _stable(today()))
        .group_by(job_town),
    )
    course_town = _township_of(Enrolment.region_code)
    trained = await _grouped(session, select(course_town, func.count())
                             .where(*_completed_in(f)).group_by(course_town))  # fmt: skip
    rows = []
    for code, name in towns:
        a, n = assisted.get(code, 0), able.get(code, 0)
        rows.append(BreakdownRow(key=code, label=name, values={
            "registered_workers": registered.get(code, 0), "willing_and_able": n,
            "assisted": a, "stable": stable.get(code, 0), "trained": trained.get(code, 0),
            "stable_employment_rate": round(stable.get(code, 0) / a, 4) if a else None,
        }))  # fmt: skip
    return Breakdown(region_code=f.region.code, year=f.year, by="township",
                     columns=list(rows[0].values), rows=rows)  # fmt: skip


async def _by_month(session: AsyncSession, f: Frame) -> Breakdown:
    month = extract("month", col(Employment.start_date))
    assisted: dict[Any, int] = await _grouped(session, select(month, func.count(distinct(
        col(Employment.worker_id)))).where(*_started_in(f)).group_by(month))  # fmt: skip
    done = extract("month", col(Enrolment.completed_on))
    trained: dict[Any, int] = await _grouped(session, select(done, func.count())
                                             .where(*_completed_in(f)).group_by(done))  # fmt: skip
    assisted = {int(float(k)): v for k, v in assisted.items()}
    trained = {int(float(k)): v for k, v in trained.items()}
    rows = [
        BreakdownRow(key=f"{f.year}-{m:02d}", label=f"{f.year}-{m:02d}",
                     values={"assisted": assisted.get(m, 0), "trained": trained.get(m, 0)})
        for m in range(1, 13)
    ]  # fmt: skip
    return Breakdown(region_code=f.region.code, year=f.year, by="month",
                     columns=["assisted", "trained"], rows=rows)  # fmt: skip


async def _by_policy(session: AsyncSession, f: Frame) -> Breakdown:
    totals: dict[str, dict[str, int | float | None]] = {}
    for item in await _claims(session, f):
        row = totals.setdefault(
            item.policy_code, {"claims": 0, "claimed_fen": 0, "approved_fen": 0, "paid_fen": 0}
        )
        for key in ("claims", "claimed_fen", "approved_fen", "paid_fen"):
            row[key] = int(row[key] or 0) + int(getattr(item, key))
    rows = [BreakdownRow(key=k, label=k, values=v) for k, v in sorted(totals.items())]
    return Breakdown(
        region_code=f.region.code,
        year=f.year,
        by="policy",
        columns=["claims", "claimed_fen", "approved_fen", "paid_fen"],
        rows=rows,
    )


async def _by_employer_kind(session: AsyncSession, f: Frame) -> Breakdown:
    kind = func.coalesce(col(Employer.kind), col(Employment.kind))
    base = (
        select(kind, func.count(distinct(col(Employment.worker_id))))
        .select_from(Employment)
        .outerjoin(Employer, col(Employer.id) == col(Employment.employer_id))
    )
    assisted = await _grouped(session, base.where(*_started_in(f)).group_by(kind))
    stable = await _grouped(session, base.where(*_started_in(f), _stable(today())).group_by(kind))
    rows = [
        BreakdownRow(key=k, label=k, values={
            "assisted": assisted[k], "stable": stable.get(k, 0),
            "stable_employment_rate": round(stable.get(k, 0) / assisted[k], 4)})
        for k in sorted(assisted)
    ]  # fmt: skip
    return Breakdown(
        region_code=f.region.code,
        year=f.year,
        by="employer_kind",
        columns=["assisted", "stable", "stable_employment_rate"],
        rows=rows,
    )


async def breakdown(
    session: AsyncSession, *, actor: Actor, region: str | None, year: int, by: str
) -> Breakdown:
    f = await frame(session, actor=actor, region=region, year=year)
    split = {"township": _by_township, "month": _by_month, "policy": _by_policy,
             "employer_kind": _by_employer_kind}[by]  # fmt: skip
    return await split(session, f)
