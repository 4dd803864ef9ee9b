"""Placements: an employment created by a hire or recorded by a caseworker moves the worker's
status, schedules the follow-up checks and is audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.core.db import commit
from app.errors import FieldError, UnknownReference
from app.models import Employer, Employment, EmploymentKind, FollowUp, Worker
from app.models.base import utcnow
from app.schemas.employments import EmploymentRead
from app.scope import Actor
from app.services import audit, date_bounds, regions, workers
from app.services.employments.core import _STATUS_FOR_KIND, add_months, read, snapshot


async def place(
    session: AsyncSession,
    *,
    actor: Actor,
    worker: Worker,
    kind: EmploymentKind,
    start_date: date,
    confirmed: bool,
    **fields: Any,
) -> Employment:
    """Create the employment, move the worker's status, schedule the follow-ups, audit it
    (in the caller's transaction, not committed)."""
    assert worker.id is not None
    employment = Employment(
        worker_id=worker.id, region_code=worker.region_code, kind=kind.value,
        start_date=start_date, recorded_by=actor.id, confirmed_by_employer=confirmed,
        confirmed_at=utcnow() if confirmed else None, **fields,
    )  # fmt: skip
    session.add(employment)
    await session.flush()
    assert employment.id is not None
    before = workers.snapshot(worker)
    worker.employment_status = _STATUS_FOR_KIND[kind].value
    follow_ups = [
        FollowUp(
            employment_id=employment.id,
            worker_id=worker.id,
            region_code=worker.region_code,
            months=months,
            due_date=add_months(start_date, months),
        )
        for months in get_settings().follow_up_months
    ]
    session.add_all(follow_ups)
    await session.flush()
    # Each follow-up is a record phones sync: its own entry, which stamps it.
    await audit.record_many(
        session,
        actor=actor,
        changes=[
            audit.Change(
                "follow_up.schedule", "follow_up", f.id, f.region_code,
                after={"employment_id": employment.id, "months": f.months,
                       "due_date": f.due_date},
                stamp=f,
            )
            for f in follow_ups
        ],
    )  # fmt: skip
    await audit.record(
        session,
        actor=actor,
        action="employment.create",
        resource_type="employment",
        resource_id=employment.id,
        region_code=employment.region_code,
        after=snapshot(employment),
        stamp=employment,
    )
    if before["employment_status"] != worker.employment_status:
        await audit.record(
            session,
            actor=actor,
            action="worker.status_changed_by_employment",
            resource_type="worker",
            resource_id=worker.id,
            region_code=worker.region_code,
            before={"employment_status": before["employment_status"]},
            after={"employment_status": worker.employment_status},
            stamp=worker,
            note={"employment_id": employment.id},
        )
    return employment


async def record(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> EmploymentRead:
    """A job a caseworker records that came without a referral (self-employment, migrant
    work, assistance posts …)."""
    worker = await workers.get(session, actor=actor, worker_id=data["worker_id"], for_update=True)
    date_bounds.employment_start(data["start_date"], registered_on=worker.registered_on)
    if (
        data.get("employer_id") is not None
        and await session.get(Employer, data["employer_id"]) is None
    ):
        raise _bad("employer_id", "unknown employer")
    if data.get("work_region_code"):
        await regions.require(session, code=data["work_region_code"], field="work_region_code")
    fields = {k: v for k, v in data.items() if k not in ("worker_id", "kind", "start_date")}
    employment = await place(
        session,
        actor=actor,
        worker=worker,
        kind=data["kind"],
        start_date=data["start_date"],
        confirmed=False,
        **fields,
    )
    created = read(employment)
    await commit(session, result=created)
    return created


def _bad(field: str, message: str) -> UnknownReference:
    return UnknownReference(
        f"{field}: {message}.",
        errors=[FieldError(field=f"body.{field}", message=message, type="ref")],
    )
