"""Recruitment events: job fairs and campaigns, the employers and vacancies taking part, the
workers who came, and the referrals that came of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit, insert_ignore
from app.errors import FieldError, NotFound, UnknownReference
from app.models import (
    Campaign,
    Employer,
    EventAttendee,
    EventEmployer,
    EventVacancy,
    RecruitmentEvent,
    Referral,
    ReferralStatus,
    Vacancy,
)
from app.models.base import utcnow
from app.pagination import PageParams, SyncPage, SyncPoint, synced_list
from app.schemas.recruitment_events import EventDetail, EventOutcomes, EventRead
from app.scope import EVERYWHERE, Actor, scope_filter
from app.services import audit, date_bounds, regions, workers


class EventNotFound(NotFound):
    code = "event_not_found"
    title = "No such recruitment event"


@dataclass(frozen=True)
class EventFilters:
    campaign: Campaign | None = None
    from_date: date | None = None
    to_date: date | None = None


def visible(actor: Actor) -> Any:
    # Everyone in the programme may know about a job fair; employers see the events they
    # take part in.
    taking_part = select(col(EventEmployer.event_id)).where(
        col(EventEmployer.employer_id) == (actor.employer_id or 0)
    )
    if actor.employer_id is not None:
        return col(RecruitmentEvent.id).in_(taking_part)
    return scope_filter(actor, region=col(RecruitmentEvent.region_code), open_to=EVERYWHERE)


async def get(session: AsyncSession, *, actor: Actor, event_id: int) -> RecruitmentEvent:
    event = await session.scalar(
        select(RecruitmentEvent).where(col(RecruitmentEvent.id) == event_id, visible(actor))
    )
    if event is None:
        raise EventNotFound(f"There is no recruitment event {event_id}.")
    return event


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    filters: EventFilters,
    params: PageParams,
    since: SyncPoint | None = None,
) -> SyncPage[EventRead]:
    stmt = select(RecruitmentEvent).where(visible(actor))
    if filters.campaign:
        stmt = stmt.where(col(RecruitmentEvent.campaign) == filters.campaign.value)
    if filters.from_date:
        stmt = stmt.where(col(RecruitmentEvent.date) >= filters.from_date)
    if filters.to_date:
        stmt = stmt.where(col(RecruitmentEvent.date) <= filters.to_date)
    return await synced_list(
        session,
        stmt,
        record=RecruitmentEvent,
        since=since,
        params=params,
        keys=[col(RecruitmentEvent.id)],
        descending=True,
        row=EventRead.model_validate,
    )


async def _check_ids(session: AsyncSession, model: Any, ids: list[int], field: str) -> None:
    if not ids:
        return
    found = set((await session.scalars(select(model.id).where(model.id.in_(ids)))).all())
    missing = sorted(set(ids) - found)
    if missing:
        raise UnknownReference(
            f"Unknown {field}: {missing}",
            errors=[FieldError(field=f"body.{field}", message=f"unknown: {missing}", type="ref")],
        )


async def _take_part(
    session: AsyncSession, event_id: int, employer_ids: list[int], vacancy_ids: list[int]
) -> None:
    await _check_ids(session, Employer, employer_ids, "employer_ids")
    await _check_ids(session, Vacancy, vacancy_ids, "vacancy_ids")
    vacancy_employers = (
        await session.scalars(
            select(col(Vacancy.employer_id)).where(col(Vacancy.id).in_(vacancy_ids))
        )
    ).all() if vacancy_ids else []  # fmt: skip
    for employer_id in {*employer_ids, *vacancy_employers}:
        await insert_ignore(
            session, EventEmployer, {"event_id": event_id, "employer_id": employer_id}
        )
    for vacancy_id in set(vacancy_ids):
        await insert_ignore(session, EventVacancy, {"event_id": event_id, "vacancy_id": vacancy_id})


async def create(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> EventDetail:
    date_bounds.event_date(data["date"])
    await regions.require_in_scope(session, actor=actor, code=data["region_code"])
    event = RecruitmentEvent(
        name=data["name"], campaign=data["campaign"], date=data["date"], place=data["place"],
        region_code=data["region_code"], created_by=actor.id,
    )  # fmt: skip
    session.add(event)
    await session.flush()
    assert event.id is not None
    await _take_part(session, event.id, data["employer_ids"], data["vacancy_ids"])
    await audit.record(
        session, actor=actor, action="recruitment_event.create",
        resource_type="recruitment_event", resource_id=event.id,
        region_code=event.region_code,
        after={k: data[k] for k in ("name", "campaign", "date", "place", "employer_ids",
                                    "vacancy_ids")},
        stamp=event,
    )  # fmt: skip
    created = await detail(session, actor=actor, event_id=event.id)
    await commit(session, result=created)
    return created


async def add_participants(
    session: AsyncSession,
    *,
    actor: Actor,
    event_id: int,
    employer_ids: list[int],
    vacancy_ids: list[int],
) -> EventDetail:
    # Every caseworker reads every event, but only those of the event's region (and admins)
    # change who takes part: another township's caseworker gets the 404 of any other scope.
    event = await session.scalar(
        select(RecruitmentEvent).where(
            col(RecruitmentEvent.id) == event_id,
            scope_filter(actor, region=col(RecruitmentEvent.region_code)),
        )
    )
    if event is None:
        raise EventNotFound(f"There is no recruitment event {event_id}.")
    assert event.id is not None
    await _take_part(session, event.id, employer_ids, vacancy_ids)
    event.updated_at = utcnow()  # the event changed: a new version, so a new ETag
    await audit.record(
        session,
        actor=actor,
        action="recruitment_event.participants",
        resource_type="recruitment_event",
        resource_id=event.id,
        region_code=event.region_code,
        after={"employer_ids": employer_ids, "vacancy_ids": vacancy_ids},
        stamp=event,
    )
    await commit(session)
    return await detail(session, actor=actor, event_id=event.id)


async def attend(
    session: AsyncSession, *, actor: Actor, event_id: int, worker_id: int
) -> EventDetail:
    """Record that a worker of your scope attended (once the event has been held)."""
    event = await get(session, actor=actor, event_id=event_id)
    worker = await workers.get(session, actor=actor, worker_id=worker_id)
    date_bounds.event_held("path.event_id", event.date)
    await insert_ignore(
        session,
        EventAttendee,
        {"event_id": event.id, "worker_id": worker.id, "region_code": worker.region_code},
    )
    await audit.record(
        session,
        actor=actor,
        action="recruitment_event.attendee",
        resource_type="recruitment_event",
        resource_id=event.id,
        region_code=worker.region_code,
        after={"worker_id": worker.id},
    )
    await commit(session)
    assert event.id is not None
    return await detail(session, actor=actor, event_id=event.id)


async def _funnel(session: AsyncSession, actor: Actor, event_id: int) -> dict[str, int]:
    """How far the event's referrals (those the actor may see) got, cumulatively: every
    referral was referred; one interviewed — also if later declined or withdrawn — or hired
    was interviewed; declined and withdrawn are where they stopped."""
    status = col(Referral.status)

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (await session.execute(
        select(
            func.count().label("referred"),
            count(col(Referral.interviewed_at).is_not(None)
                  | (status == ReferralStatus.hired.value)).label("interviewed"),
            count(status == ReferralStatus.hired.value).label("hired"),
            count(status == ReferralStatus.declined.value).label("declined"),
            count(status == ReferralStatus.withdrawn.value).label("withdrawn"),
        ).where(
            col(Referral.event_id) == event_id,
            col(Referral.deleted_at).is_(None),
            scope_filter(actor, region=col(Referral.region_code),
                         employer=col(Referral.employer_id)),
        )
    )).one()  # fmt: skip
    return {name: int(value) for name, value in row._mapping.items()}


async def detail(session: AsyncSession, *, actor: Actor, event_id: int) -> EventDetail:
    event = await get(session, actor=actor, event_id=event_id)
    employer_ids = (await session.scalars(
        select(col(EventEmployer.employer_id)).where(col(EventEmployer.event_id) == event_id)
        .order_by(col(EventEmployer.employer_id))
    )).all()  # fmt: skip
    vacancy_ids = (await session.scalars(
        select(col(EventVacancy.vacancy_id)).where(col(EventVacancy.event_id) == event_id)
        .order_by(col(EventVacancy.vacancy_id))
    )).all()  # fmt: skip
    attendees = await session.scalar(
        select(func.count())
        .select_from(EventAttendee)
        .where(
            col(EventAttendee.event_id) == event_id,
            scope_filter(actor, region=col(EventAttendee.region_code)),
        )
    )
    outcomes = EventOutcomes(attendees=attendees or 0, **await _funnel(session, actor, event_id))
    return EventDetail(
        **EventRead.model_validate(event).model_dump(),
        employer_ids=list(employer_ids),
        vacancy_ids=list(vacancy_ids),
        outcomes=outcomes,
    )
