"""The indicators split by township, month, policy or employer kind."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import distinct, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import (
    Employer,
    Employment,
    Enrolment,
    Region,
    RegionLevel,
    Worker,
)
from app.schemas.stats import Breakdown, BreakdownRow
from app.scope import Actor, region_subtree
from app.services.stats import assigned
from app.services.stats.measures import (
    Frame,
    completed_in,
    frame,
    grouped,
    is_able,
    is_registered,
    is_stable,
    job_started_in,
    township_of,
)
from app.services.stats.overview import claim_figures

BREAKDOWNS = ("township", "month", "policy", "employer_kind", "poverty_status", "assigned")


async def _by_township(session: AsyncSession, f: Frame) -> Breakdown:
    towns = (await session.execute(
        select(col(Region.code), col(Region.name)).where(
            region_subtree(f.region.path), col(Region.level) == RegionLevel.township.value)
        .order_by(col(Region.code))
    )).all()  # fmt: skip
    if f.region.level == RegionLevel.township.value or not towns:
        town_region = await session.get(Region, f.region.code[:9]) or f.region
        towns = [(town_region.code, town_region.name)]  # type: ignore[list-item]
    town = township_of(Worker.region_code)
    registered = await grouped(session, select(town, func.count())
                                .where(*is_registered(f)).group_by(town))  # fmt: skip
    able = await grouped(session, select(town, func.count())
                          .where(*is_registered(f), *is_able(f)).group_by(town))  # fmt: skip
    job_town = township_of(Employment.region_code)
    assisted = await grouped(session, select(job_town, func.count(distinct(
        col(Employment.worker_id)))).where(*job_started_in(f)).group_by(job_town))  # fmt: skip
    stable = await grouped(
        session,
        select(job_town, func.count(distinct(col(Employment.worker_id))))
        .where(*job_started_in(f), is_stable(f.judged_on))
        .group_by(job_town),
    )
    course_town = township_of(Enrolment.region_code)
    trained = await grouped(session, select(course_town, func.count())
                             .where(*completed_in(f)).group_by(course_town))  # fmt: skip
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
    assisted: dict[Any, int] = await grouped(session, select(month, func.count(distinct(
        col(Employment.worker_id)))).where(*job_started_in(f)).group_by(month))  # fmt: skip
    done = extract("month", col(Enrolment.completed_on))
    trained: dict[Any, int] = await grouped(session, select(done, func.count())
                                             .where(*completed_in(f)).group_by(done))  # fmt: skip
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
    for item in await claim_figures(session, f):
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
    assisted = await grouped(session, base.where(*job_started_in(f)).group_by(kind))
    stable = await grouped(
        session, base.where(*job_started_in(f), is_stable(f.judged_on)).group_by(kind)
    )
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
    session: AsyncSession,
    *,
    actor: Actor,
    region: str | None,
    year: int,
    by: str,
    as_of: date | None = None,
) -> Breakdown:
    f = await frame(session, actor=actor, region=region, year=year, as_of=as_of)
    split = {"township": _by_township, "month": _by_month, "policy": _by_policy,
             "employer_kind": _by_employer_kind, "poverty_status": assigned.by_poverty_status,
             "assigned": assigned.by_list}[by]  # fmt: skip
    return await split(session, f)
