"""The region tree: districts, townships and villages by division code."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from app.models import Region, RegionLevel
from app.pagination import Page, PageParams, paginate
from app.scope import Actor, path_in_scope, region_subtree
from app.services import audit

LEVEL_ORDER = list(RegionLevel)


class RegionNotFound(NotFound):
    code = "region_not_found"
    title = "No such region"


class RegionOutOfScope(Forbidden):
    code = "region_out_of_scope"
    title = "The region lies outside your scope"


class UnknownRegion(Unprocessable):
    code = "unknown_region"
    title = "The region does not exist"


class RegionNotAllowed(Unprocessable):
    code = "region_not_allowed"
    title = "The region named is not one you may register records in"


class WrongRegionLevel(Unprocessable):
    code = "wrong_region_level"
    title = "The region is not of the level this needs"


class WiderScopeRequired(Forbidden):
    code = "wider_scope_required"
    title = "This needs an admin of a wider region"


@dataclass(frozen=True)
class RegionFilters:
    parent_code: str | None = None
    level: RegionLevel | None = None
    within: str | None = None
    name: str | None = None


async def get(session: AsyncSession, *, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None:
        raise RegionNotFound(f"There is no region with code {code}.")
    return region


async def require(session: AsyncSession, *, code: str, field: str = "region_code") -> Region:
    """The region a request names, or 422 naming the field."""
    region = await session.get(Region, code)
    if region is None:
        raise UnknownRegion(
            f"There is no region with code {code}.",
            errors=[FieldError(field=f"body.{field}", message="unknown region", type="region")],
        )
    return region


async def require_in_scope(
    session: AsyncSession, *, actor: Actor | None, code: str, field: str = "region_code"
) -> Region:
    """The region a write names, which must lie in the actor's subtree (422 naming the field
    otherwise): a township admin registers employers, targets, stations and sessions of their
    own township only."""
    region = await require(session, code=code, field=field)
    if actor is not None and not path_in_scope(actor, region.path):
        raise RegionNotAllowed(
            f"Region {code} lies outside your region scope.",
            errors=[
                FieldError(field=f"body.{field}", message="not in your scope", type="region_scope")
            ],
        )
    return region


def ensure_level(
    actor: Actor | None, *, what: str, level: RegionLevel = RegionLevel.district
) -> None:
    """District-wide records (policies, courses, district review stages, payments) are changed
    only by an admin scoped at ``level`` or above: 403 for one of a township."""
    if actor is not None and not actor.scoped_at_or_above(level):
        raise WiderScopeRequired(
            f"{what} needs an admin scoped at {level.value} level or above; your scope is the "
            f"{actor.region_level or 'unknown'} {actor.region_code}."
        )


async def get_all(
    session: AsyncSession, *, filters: RegionFilters, params: PageParams
) -> Page[Region]:
    stmt = select(Region)
    if filters.parent_code:
        stmt = stmt.where(col(Region.parent_code) == filters.parent_code)
    if filters.level:
        stmt = stmt.where(col(Region.level) == filters.level.value)
    if filters.within:
        root = await get(session, code=filters.within)
        stmt = stmt.where(region_subtree(root.path))
    if filters.name:
        stmt = stmt.where(col(Region.name).contains(filters.name, autoescape=True))
    return await paginate(session, stmt, keys=[col(Region.code)], params=params)


async def lineage(session: AsyncSession, *, region: Region) -> tuple[list[Region], list[Region]]:
    """(ancestors from the root down, direct children)."""
    codes = [c for c in region.path.split("/") if c and c != region.code]
    ancestors = (await session.scalars(select(Region).where(col(Region.code).in_(codes)))).all()
    by_code = {a.code: a for a in ancestors}
    children = (
        await session.scalars(
            select(Region).where(col(Region.parent_code) == region.code).order_by(col(Region.code))
        )
    ).all()
    return [by_code[c] for c in codes if c in by_code], list(children)


def _taken(code: str) -> Conflict:
    return Conflict(f"Region {code} already exists.", code_taken=code)


def _ensure_in_scope(actor: Actor | None, region: Region) -> None:
    """Everyone reads the whole tree, but a region-scoped admin changes only their subtree."""
    if actor is not None and not path_in_scope(actor, region.path):
        raise RegionOutOfScope(f"Region {region.code} lies outside your region scope.")


async def create(
    session: AsyncSession,
    *,
    actor: Actor | None,
    code: str,
    name: str,
    level: RegionLevel,
    parent_code: str | None,
) -> Region:
    if await session.get(Region, code) is not None:
        raise _taken(code)
    path = f"{code}/"
    if parent_code is None and actor is not None and actor.region_path is not None:
        raise RegionOutOfScope("Only an admin without a region scope adds a root region.")
    if parent_code is not None:
        parent = await require(session, code=parent_code, field="parent_code")
        _ensure_in_scope(actor, parent)
        if LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(RegionLevel(parent.level)):
            raise WrongRegionLevel(
                f"A {level.value} cannot sit under a {parent.level}.",
                errors=[FieldError(field="body.level", message="level", type="region_level")],
            )
        path = parent.path + path
    region = Region(code=code, name=name, level=level.value, parent_code=parent_code, path=path)
    session.add(region)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Another admin added the same code between our look and our insert.
        if "unique" not in str(exc.orig).lower():
            raise
        raise _taken(code) from exc
    await audit.record(
        session,
        actor=actor,
        action="region.create",
        resource_type="region",
        resource_id=code,
        region_code=code,
        after={"name": name, "level": level.value},
    )
    await commit(session, result=region)
    return region


async def rename(session: AsyncSession, *, actor: Actor, code: str, name: str) -> Region:
    region = await get(session, code=code)
    _ensure_in_scope(actor, region)
    if region.code == actor.region_code:
        # The region that bounds an admin's scope is the wider region's record.
        raise WiderScopeRequired(
            f"Region {code} is your own scope; an admin of the region above renames it."
        )
    before = {"name": region.name}
    region.name = name
    await audit.record(
        session,
        actor=actor,
        action="region.update",
        resource_type="region",
        resource_id=code,
        region_code=code,
        before=before,
        after={"name": name},
    )
    await commit(session, result=region)
    return region
