"""Registered poor households: create, find, read with members, update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, FieldError, NotFound
from app.models import Household, PovertyStatus, Region, RegionLevel, Worker
from app.pagination import PageParams, SyncPage, SyncPoint, paginate, paginate_changes
from app.schemas.households import HouseholdRead, HouseholdSummary
from app.schemas.workers import WorkerSummary
from app.scope import Actor, path_in_scope, region_subtree, scope_filter
from app.services import audit, regions
from app.versioning import ensure_version

_FIELDS = (
    "household_number",
    "region_code",
    "poverty_status",
    "poverty_causes",
    "address",
    "notes",
)
# Where people are registered: a village or a township.
PLACES = (RegionLevel.village.value, RegionLevel.township.value)


class HouseholdNotFound(NotFound):
    code = "household_not_found"
    title = "No such household"


class DuplicateHouseholdNumber(Conflict):
    code = "duplicate_household_number"
    title = "The household number is already registered"


@dataclass(frozen=True)
class HouseholdFilters:
    region: str | None = None
    poverty_status: PovertyStatus | None = None
    number: str | None = None


def snapshot(household: Household) -> dict[str, Any]:
    return {k: getattr(household, k) for k in _FIELDS}


def summary(row: Any) -> HouseholdSummary:
    return HouseholdSummary.model_validate(row)


async def place_in_scope(
    session: AsyncSession, *, actor: Actor, code: str, field: str = "region_code"
) -> Region:
    """A village or township the actor may register people in (422 otherwise)."""
    region = await regions.require(session, code=code, field=field)
    if region.level not in PLACES or not path_in_scope(actor, region.path):
        raise regions.RegionNotAllowed(
            "Records are registered in a village or township of your own region.",
            errors=[
                FieldError(
                    field=f"body.{field}",
                    message="not a village or township in your scope",
                    type="region_scope",
                )
            ],
        )
    return region


def _visible(actor: Actor) -> Any:
    return scope_filter(actor, region=col(Household.region_code))


async def get(
    session: AsyncSession, *, actor: Actor, household_id: int, for_update: bool = False
) -> Household:
    stmt = select(Household).where(
        col(Household.id) == household_id,
        col(Household.deleted_at).is_(None),
        _visible(actor),
    )
    household = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if household is None:
        raise HouseholdNotFound(f"There is no household {household_id} in your scope.")
    return household


async def detail(session: AsyncSession, *, household: Household) -> HouseholdRead:
    """The household with its members (personal data masked)."""
    members = await session.scalars(
        select(Worker)
        .where(col(Worker.household_id) == household.id, col(Worker.deleted_at).is_(None))
        .order_by(col(Worker.id))
    )
    return HouseholdRead.model_validate(
        {
            **summary(household).model_dump(),
            "address": household.address,
            "notes": household.notes,
            "identified_year": household.identified_year,
            "lifted_year": household.lifted_year,
            "created_at": household.created_at,
            "members": [WorkerSummary.from_record(m) for m in members],
        }
    )


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    filters: HouseholdFilters,
    params: PageParams,
    since: SyncPoint | None = None,
) -> SyncPage[HouseholdSummary]:
    stmt = select(Household).where(_visible(actor))
    if filters.region:
        root = await regions.get(session, code=filters.region)
        stmt = stmt.where(
            col(Household.region_code).in_(
                select(col(Region.code)).where(region_subtree(root.path))
            )
        )
    if filters.poverty_status:
        stmt = stmt.where(col(Household.poverty_status) == filters.poverty_status.value)
    if filters.number:
        stmt = stmt.where(
            col(Household.household_number).startswith(filters.number, autoescape=True)
        )
    if since is not None:
        return await paginate_changes(
            session,
            stmt,
            seq=col(Household.change_seq),
            updated_at=col(Household.updated_at),
            since=since,
            params=params,
            row=summary,
        )
    stmt = stmt.where(col(Household.deleted_at).is_(None))
    page = await paginate(session, stmt, keys=[col(Household.id)], params=params, row=summary)
    return SyncPage[HouseholdSummary](items=page.items, next_cursor=page.next_cursor)


async def create(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> HouseholdRead:
    """Register a household; the answer (stored with an Idempotency-Key) is its detail view."""
    household = await insert(session, actor=actor, data=data)
    created = await detail(session, household=household)
    await commit(session, result=created)
    return created


async def insert(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> Household:
    """Register a household inside the caller's transaction (audited, not committed)."""
    await place_in_scope(session, actor=actor, code=data["region_code"])
    household = Household.model_validate(data)
    session.add(household)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise DuplicateHouseholdNumber(
            f"Household number {data['household_number']} is already registered."
        ) from exc
    await audit.record_many(session, actor=actor, changes=[created(household)])
    return household


def created(household: Household) -> audit.Change:
    """The audit entry of a household's registration."""
    return audit.Change(
        action="household.create",
        resource_type="household",
        resource_id=household.id,
        region_code=household.region_code,
        after=snapshot(household),
        stamp=household,
    )


async def update(
    session: AsyncSession,
    *,
    actor: Actor,
    household_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> Household:
    household = await get(session, actor=actor, household_id=household_id, for_update=True)
    ensure_version(
        expected=expected_version,
        current_version=household.version,
        changes=changes,
        current=summary(household).model_dump(mode="json"),
    )
    if "region_code" in changes:
        await place_in_scope(session, actor=actor, code=changes["region_code"])
    before = snapshot(household)
    for key, value in changes.items():
        setattr(household, key, value)
    await audit.record(
        session,
        actor=actor,
        action="household.update",
        resource_type="household",
        resource_id=household.id,
        region_code=household.region_code,
        before=before,
        after=snapshot(household),
        stamp=household,
    )
    await commit(session, result=household)
    return household
