"""The overview: every indicator of a region subtree and a year, its claims and organisations."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import (
    Claim,
    Employer,
    EmployerKind,
    Employment,
    Enrolment,
    ServiceStation,
    Target,
    TargetMetric,
    Worker,
)
from app.schemas.stats import ClaimFigures, Indicator, Overview
from app.scope import Actor
from app.services.stats import assigned
from app.services.stats.measures import (
    Frame,
    completed_in,
    count_of,
    frame,
    is_able,
    is_registered,
    is_stable,
    job_started_in,
)


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
    session: AsyncSession, *, actor: Actor, region: str | None, year: int, as_of: date | None = None
) -> Overview:
    f = await frame(session, actor=actor, region=region, year=year, as_of=as_of)
    # One pass over the workers, one over the year's jobs (grouped per worker).
    able_flag = case((and_(*is_able(f)), 1), else_=0)
    registered, able = (await session.execute(
        select(func.count(), func.coalesce(func.sum(able_flag), 0)).where(*is_registered(f))
    )).one()  # fmt: skip
    per_worker = (
        select(col(Employment.worker_id).label("worker_id"),
               func.max(case((is_stable(f.judged_on), 1), else_=0)).label("stable"))
        .where(*job_started_in(f)).group_by(col(Employment.worker_id)).subquery()
    )  # fmt: skip
    counted = and_(*is_registered(f), *is_able(f))
    assisted, stable, assisted_able = (await session.execute(
        select(func.count(), func.coalesce(func.sum(per_worker.c.stable), 0),
               func.coalesce(func.sum(case((counted, 1), else_=0)), 0))
        .select_from(per_worker.outerjoin(Worker, col(Worker.id) == per_worker.c.worker_id))
    )).one()  # fmt: skip
    trained = await count_of(session, select(func.count()).select_from(Enrolment)
                           .where(*completed_in(f)))  # fmt: skip
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
    indicators += await _assigned_list(session, f)
    return Overview(
        region_code=f.region.code,
        region_name=f.region.name,
        year=year,
        as_of=f.judged_on,
        provisional=f.provisional,
        final_on=f.final_on,
        indicators=indicators,
        claims=await claim_figures(session, f),
        organisations=await _organisations(session, f),
    )


async def _assigned_list(session: AsyncSession, f: Frame) -> list[Indicator]:
    """The assigned list's indicators (definitions in :mod:`app.services.stats.assigned`)."""
    listed = await assigned.figures(session, f)
    return [
        _count_indicator("assigned", "Assigned by the city (on the year's list)",
                         listed.assigned),
        _count_indicator("assigned_and_assisted", "Assigned and assisted",
                         listed.assigned_and_assisted),
        _count_indicator("assisted_beyond_list", "Assisted beyond the assigned list",
                         listed.assisted_beyond_list),
        _rate("assigned_assistance_rate", "Assistance rate of the assigned",
              listed.assigned_and_assisted, listed.assigned),
    ]  # fmt: skip


async def claim_figures(session: AsyncSession, f: Frame) -> list[ClaimFigures]:
    rows = (await session.execute(
        select(col(Claim.policy_code), col(Claim.status), func.count(),
               func.coalesce(func.sum(col(Claim.amount_fen)), 0),
               func.coalesce(func.sum(col(Claim.approved_amount_fen)), 0),
               func.coalesce(func.sum(col(Claim.paid_amount_fen)), 0))
        .where(f.within(Claim.region_code), col(Claim.period_start) >= f.start,
               col(Claim.period_start) < f.end, col(Claim.created_at) < f.judged_moment)
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
    stations = await count_of(session, select(func.count()).select_from(ServiceStation).where(
        f.within(ServiceStation.region_code)))  # fmt: skip
    return {
        "workshops": int(kinds.get(EmployerKind.workshop.value, 0)),
        "bases": int(kinds.get(EmployerKind.base.value, 0)),
        "service_stations": stations,
    }
