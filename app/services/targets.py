"""Targets (admin) and employment service stations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, NotFound
from app.models import ServiceStation, Target, TargetMetric
from app.pagination import Page, PageParams, paginate
from app.scope import Actor, scope_filter
from app.services import audit, regions
from app.versioning import ensure_version


class TargetNotFound(NotFound):
    code = "target_not_found"
    title = "No such target"


class DuplicateTarget(Conflict):
    code = "duplicate_target"
    title = "A target for this region, year and metric exists"


async def get(session: AsyncSession, *, actor: Actor, target_id: int) -> Target:
    target = await session.scalar(
        select(Target).where(col(Target.id) == target_id,
                             scope_filter(actor, region=col(Target.region_code)))
    )  # fmt: skip
    if target is None:
        raise TargetNotFound(f"There is no target {target_id}.")
    return target


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    params: PageParams,
    year: int | None,
    metric: TargetMetric | None,
) -> Page[Target]:
    stmt = select(Target).where(scope_filter(actor, region=col(Target.region_code)))
    if year is not None:
        stmt = stmt.where(col(Target.year) == year)
    if metric is not None:
        stmt = stmt.where(col(Target.metric) == metric.value)
    return await paginate(session, stmt, keys=[col(Target.id)], params=params)


async def create(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> Target:
    await regions.require_in_scope(session, actor=actor, code=data["region_code"])
    target = Target.model_validate(data)
    session.add(target)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise DuplicateTarget(
            f"A {data['metric']} target for {data['region_code']} in {data['year']} exists; "
            "change it instead."
        ) from exc
    await audit.record(
        session,
        actor=actor,
        action="target.create",
        resource_type="target",
        resource_id=target.id,
        region_code=target.region_code,
        after=data,
    )
    await commit(session, result=target)
    return target


async def update(
    session: AsyncSession, *, actor: Actor, target_id: int, expected_version: int, value: int
) -> Target:
    target = await get(session, actor=actor, target_id=target_id)
    ensure_version(expected=expected_version, current_version=target.version,
                   changes={"value": value}, current={"value": target.value})  # fmt: skip
    before = {"value": target.value}
    target.value = value
    await audit.record(
        session,
        actor=actor,
        action="target.update",
        resource_type="target",
        resource_id=target.id,
        region_code=target.region_code,
        before=before,
        after={"value": value},
    )
    await commit(session, result=target)
    return target


async def create_station(
    session: AsyncSession, *, actor: Actor, data: dict[str, Any]
) -> ServiceStation:
    await regions.require_in_scope(session, actor=actor, code=data["region_code"])
    station = ServiceStation.model_validate(data)
    session.add(station)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="service_station.create",
        resource_type="service_station",
        resource_id=station.id,
        region_code=station.region_code,
        after=data,
    )
    await commit(session, result=station)
    return station


async def stations(
    session: AsyncSession, *, actor: Actor, params: PageParams
) -> Page[ServiceStation]:
    stmt = select(ServiceStation).where(scope_filter(actor, region=col(ServiceStation.region_code)))
    return await paginate(session, stmt, keys=[col(ServiceStation.id)], params=params)
