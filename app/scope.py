"""Who is asking, and the one filter that says which records they may see.

Every read of a scoped table goes through :func:`scope_filter`; a record outside it does not
exist for the caller (404), whatever its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import col

from app.models import Region, RegionLevel, Role

_LEVELS = list(RegionLevel)  # widest first


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    role: Role
    region_code: str | None
    region_path: str | None
    employer_id: int | None
    session_id: str
    region_level: str | None = None  # the level of region_code (None: no region scope)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def scoped_at_or_above(self, level: RegionLevel) -> bool:
        """Is the actor's scope ``level`` or wider (no region scope is the widest)? A township
        admin is not district-level; a district or city admin is."""
        if self.region_code is None:
            return True
        if self.region_level is None:
            return False
        return _LEVELS.index(RegionLevel(self.region_level)) <= _LEVELS.index(level)


def region_subtree(path: str) -> ColumnElement[bool]:
    """Regions at or below the one whose materialised path is ``path``."""
    return col(Region.path).startswith(path, autoescape=True)


def scope_filter(
    actor: Actor,
    *,
    region: SQLCoreOperations[Any] | None = None,
    employer: SQLCoreOperations[Any] | None = None,
    open_to: frozenset[Role] = frozenset(),
) -> ColumnElement[bool]:
    """The condition a row must meet for ``actor`` to see it.

    ``region`` is the row's region code column, ``employer`` its employer id column; a table
    without one of them passes ``None``. Employer users see their own employer's rows only;
    the roles in ``open_to`` see every row (caseworkers read vacancies everywhere); everyone
    else sees rows in their region subtree (all rows when they have no region scope).
    """
    if actor.role in open_to:
        return true()
    if actor.role is Role.employer:
        if employer is None or actor.employer_id is None:
            return false()
        return employer == actor.employer_id
    if actor.region_path is None:
        return true()
    if region is None:
        return false()
    return region.in_(select(col(Region.code)).where(region_subtree(actor.region_path)))


# Caseworkers and admins read vacancies, employers and training everywhere (SPEC section 1).
EVERYWHERE = frozenset({Role.caseworker, Role.admin})


def writable(
    actor: Actor,
    *,
    region: SQLCoreOperations[Any] | None = None,
    employer: SQLCoreOperations[Any] | None = None,
) -> ColumnElement[bool]:
    """The condition a row must meet for ``actor`` to change it: its scope, never the
    read-everywhere exception. An admin of 祁集镇 reads every employer and training session
    but changes only 祁集镇's; any other is the 404 of another scope's record."""
    return scope_filter(actor, region=region, employer=employer)


def path_in_scope(actor: Actor, region_path: str | None) -> bool:
    """For a record already loaded: is its region inside the actor's subtree?"""
    if actor.region_path is None:
        return True
    return region_path is not None and region_path.startswith(actor.region_path)
