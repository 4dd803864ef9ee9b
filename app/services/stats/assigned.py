"""The assigned list (市下达任务) in the indicators. For a region subtree R and a year Y, with
the list L of Y (every district's list of Y) and "assisted" the very test of the ``assisted``
indicator (:func:`~app.services.stats.measures.job_started_in`):

* assigned — workers of R registered (as ``registered_workers`` counts them) and on L;
* assigned_and_assisted — of those, assisted in Y;
* assisted_beyond_list — workers assisted in Y who are not on L;
* assigned_assistance_rate — assigned_and_assisted ÷ assigned.

So assisted = assigned_and_assisted + assisted_beyond_list (a worker's jobs are counted in
their home region, which is the region they are registered in). The breakdowns by poverty
status and by list split the same counts, so their rows add up to the overview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Assignment, Employment, Household, PovertyStatus, Worker
from app.schemas.stats import Breakdown, BreakdownRow
from app.services.stats.measures import (
    Frame,
    count_of,
    is_able,
    is_registered,
    job_started_in,
    poverty_status_of,
)

COLUMNS = ["registered_workers", "willing_and_able", "assisted", "assigned",
           "assigned_and_assisted"]  # fmt: skip
POVERTY_LABELS = {
    PovertyStatus.in_poverty: "In poverty",
    PovertyStatus.lifted: "Lifted out of poverty",
    PovertyStatus.monitored: "Monitored (at risk of returning to poverty)",
}
LIST_LABELS = {"on_list": "On the assigned list", "not_on_list": "Not on the assigned list"}


@dataclass(frozen=True)
class ListFigures:
    assigned: int
    assigned_and_assisted: int
    assisted_beyond_list: int


def on_list(f: Frame, worker_id: Any) -> ColumnElement[bool]:
    """Is the worker whose id is in ``worker_id`` on a list of the frame's year? (An IN over
    the year's list: hashed once, probed per row — cheaper than a lookup per worker.)"""
    return col(worker_id).in_(
        select(col(Assignment.worker_id)).where(col(Assignment.year) == f.year)
    )


def _assisted_workers(f: Frame) -> Select[Any]:
    return select(col(Employment.worker_id)).where(*job_started_in(f))


def _flag(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def figures(session: AsyncSession, f: Frame) -> ListFigures:
    """The overview's figures of the list: the assigned counted from the year's list (a few
    hundred rows a district), not by a pass over every worker."""
    assisted = col(Worker.id).in_(_assisted_workers(f))
    assigned, both = (await session.execute(
        select(func.count(), _flag(assisted))
        .select_from(Assignment).join(Worker, col(Worker.id) == col(Assignment.worker_id))
        .where(col(Assignment.year) == f.year, *is_registered(f))
    )).one()  # fmt: skip
    worker = col(Employment.worker_id)
    beyond = await count_of(session, select(func.count(distinct(worker)))
                            .where(*job_started_in(f), ~on_list(f, worker)))  # fmt: skip
    return ListFigures(int(assigned), int(both), beyond)


async def _split(
    session: AsyncSession, f: Frame, key: Any, *, by_household: bool = False
) -> dict[str, dict[str, int]]:
    """The breakdown's counts by ``key`` (an expression over a worker, or over their
    household when ``by_household``)."""
    listed = on_list(f, col(Worker.id))
    assisted = col(Worker.id).in_(_assisted_workers(f))

    def over_workers(stmt: Select[Any]) -> Select[Any]:
        if by_household:
            stmt = stmt.join(Household, col(Household.id) == col(Worker.household_id))
        return stmt.group_by(key)

    out: dict[str, dict[str, int]] = {}
    for k, registered, able, assigned, both in await session.execute(over_workers(
        select(key, func.count(), _flag(and_(*is_able(f))), _flag(listed),
               _flag(and_(listed, assisted))).select_from(Worker).where(*is_registered(f))
    )):  # fmt: skip
        out[str(k)] = {"registered_workers": int(registered), "willing_and_able": int(able),
                       "assigned": int(assigned), "assigned_and_assisted": int(both)}  # fmt: skip
    # Assisted as the overview counts it: every worker with a job of the year, registered or not.
    for k, n in await session.execute(
        over_workers(select(key, func.count()).select_from(Worker).where(assisted))
    ):
        out.setdefault(str(k), {})["assisted"] = int(n)
    return out


def _rows(counts: dict[str, dict[str, int]], labels: dict[Any, str]) -> list[BreakdownRow]:
    return [
        BreakdownRow(key=str(key), label=label,
                     values={c: counts.get(str(key), {}).get(c, 0) for c in COLUMNS})
        for key, label in labels.items()
    ]  # fmt: skip


async def by_poverty_status(session: AsyncSession, f: Frame) -> Breakdown:
    counts = await _split(session, f, poverty_status_of(f), by_household=True)
    return Breakdown(region_code=f.region.code, year=f.year, by="poverty_status",
                     columns=COLUMNS, rows=_rows(counts, POVERTY_LABELS))  # fmt: skip


async def by_list(session: AsyncSession, f: Frame) -> Breakdown:
    key = case((on_list(f, col(Worker.id)), literal("on_list")), else_=literal("not_on_list"))
    counts = await _split(session, f, key)
    return Breakdown(region_code=f.region.code, year=f.year, by="assigned",
                     columns=COLUMNS, rows=_rows(counts, LIST_LABELS))  # fmt: skip
