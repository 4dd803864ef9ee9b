"""Employers: admins register and verify them; their users keep their own profile current."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, Forbidden, NotFound
from app.models import Employer, EmployerKind, Region, Role
from app.models.base import utcnow
from app.pagination import Page, PageParams, paginate
from app.schemas.employers import EmployerRead
from app.scope import EVERYWHERE, Actor, region_subtree, scope_filter, writable
from app.services import audit, regions
from app.versioning import ensure_version

_FIELDS = (
    "name", "credit_code", "kind", "region_code", "contact_name", "contact_phone", "address",
    "verified",
)  # fmt: skip
# What an employer's own users may change; the rest is the bureau's to decide.
SELF_SERVICE = frozenset({"name", "contact_name", "contact_phone", "address"})


class EmployerNotFound(NotFound):
    code = "employer_not_found"
    title = "No such employer"


class FieldNotEditable(Forbidden):
    code = "field_not_editable"
    title = "You may not change these fields"


class DuplicateCreditCode(Conflict):
    code = "duplicate_credit_code"
    title = "This unified social credit code is already registered"


@dataclass(frozen=True)
class EmployerFilters:
    kind: EmployerKind | None = None
    region: str | None = None
    verified: bool | None = None
    name: str | None = None


def snapshot(employer: Employer) -> dict[str, Any]:
    return {k: getattr(employer, k) for k in _FIELDS}


def visible(actor: Actor) -> Any:
    return scope_filter(
        actor, region=col(Employer.region_code), employer=col(Employer.id), open_to=EVERYWHERE
    )


async def get(
    session: AsyncSession, *, actor: Actor, employer_id: int, for_write: bool = False
) -> Employer:
    """The employer, if the actor may see it (or, ``for_write``, change it: an admin changes
    only the employers of their own subtree)."""
    condition = (
        writable(actor, region=col(Employer.region_code), employer=col(Employer.id))
        if for_write
        else visible(actor)
    )
    employer = await session.scalar(
        select(Employer).where(col(Employer.id) == employer_id, condition)
    )
    if employer is None:
        verb = "change" if for_write else "see"
        raise EmployerNotFound(f"There is no employer {employer_id} you may {verb}.")
    return employer


async def get_all(
    session: AsyncSession, *, actor: Actor, filters: EmployerFilters, params: PageParams
) -> Page[Employer]:
    stmt = select(Employer).where(visible(actor))
    if filters.kind:
        stmt = stmt.where(col(Employer.kind) == filters.kind.value)
    if filters.verified is not None:
        stmt = stmt.where(col(Employer.verified) == filters.verified)
    if filters.region:
        root = await regions.get(session, code=filters.region)
        stmt = stmt.where(
            col(Employer.region_code).in_(select(col(Region.code)).where(region_subtree(root.path)))
        )
    if filters.name:
        stmt = stmt.where(col(Employer.name).contains(filters.name, autoescape=True))
    return await paginate(session, stmt, keys=[col(Employer.id)], params=params)


async def create(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> Employer:
    await regions.require_in_scope(session, actor=actor, code=data["region_code"])
    employer = Employer.model_validate(data)
    session.add(employer)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise DuplicateCreditCode(
            f"Credit code {data['credit_code']} is already registered."
        ) from exc
    await audit.record(
        session,
        actor=actor,
        action="employer.create",
        resource_type="employer",
        resource_id=employer.id,
        region_code=employer.region_code,
        after=snapshot(employer),
    )
    await commit(session, result=employer)
    return employer


async def update(
    session: AsyncSession,
    *,
    actor: Actor,
    employer_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> Employer:
    employer = await get(session, actor=actor, employer_id=employer_id, for_write=True)
    if actor.role is Role.employer and not changes.keys() <= SELF_SERVICE:
        raise FieldNotEditable(
            "Employer users may change the name, contact and address only: "
            + ", ".join(sorted(changes.keys() - SELF_SERVICE))
        )
    if actor.role not in (Role.employer, Role.admin):
        raise Forbidden("Only the employer's users and admins edit an employer.")
    ensure_version(
        expected=expected_version,
        current_version=employer.version,
        changes=changes,
        current=EmployerRead.model_validate(employer).model_dump(mode="json"),
    )
    if "region_code" in changes:
        await regions.require_in_scope(session, actor=actor, code=changes["region_code"])
    before = snapshot(employer)
    for key, value in changes.items():
        setattr(employer, key, value)
    await audit.record(
        session,
        actor=actor,
        action="employer.update",
        resource_type="employer",
        resource_id=employer.id,
        region_code=employer.region_code,
        before=before,
        after=snapshot(employer),
    )
    await commit(session, result=employer)
    return employer


async def verify(session: AsyncSession, *, actor: Actor, employer_id: int) -> Employer:
    """Mark the employer verified (admin): only verified employers post vacancies."""
    employer = await get(session, actor=actor, employer_id=employer_id, for_write=True)
    if not employer.verified:
        employer.verified, employer.verified_at = True, utcnow()
        await audit.record(
            session,
            actor=actor,
            action="employer.verify",
            resource_type="employer",
            resource_id=employer.id,
            region_code=employer.region_code,
            before={"verified": False},
            after={"verified": True},
        )
    await commit(session, result=employer)
    return employer
