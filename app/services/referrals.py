"""Referrals: a caseworker sends a worker to an open vacancy; the employer interviews, hires
or declines. Hiring takes an opening, creates the employment and moves the worker to
``employed`` in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, FieldError, Forbidden, NotFound, UnknownReference
from app.models import (
    Employer,
    EmployerKind,
    EmploymentKind,
    RecruitmentEvent,
    Referral,
    ReferralStatus,
    Role,
    Vacancy,
    VacancyStatus,
    Worker,
)
from app.models.base import utcnow
from app.pagination import PageParams, SyncPage, SyncPoint, synced_list
from app.schemas.referrals import ReferralRead
from app.scope import Actor, scope_filter
from app.services import audit, date_bounds, employments, vacancies, workers

_OPEN = (ReferralStatus.referred.value, ReferralStatus.interviewed.value)
_WORKER_COLUMNS: tuple[Any, ...] = (
    col(Worker.full_name).label("worker_full_name"),
    col(Worker.sex).label("worker_sex"),
    col(Worker.birth_date).label("worker_birth_date"),
    col(Worker.id_number).label("worker_id_number"),
    col(Worker.phone).label("worker_phone"),
    col(Worker.skills).label("worker_skills"),
)


class ReferralNotFound(NotFound):
    code = "referral_not_found"
    title = "No such referral"


class DuplicateReferral(Conflict):
    code = "duplicate_referral"
    title = "This worker was already referred to this vacancy"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The referral cannot move to that status"


@dataclass(frozen=True)
class ReferralFilters:
    status: ReferralStatus | None = None
    vacancy_id: int | None = None
    worker_id: int | None = None
    event_id: int | None = None


def visible(actor: Actor) -> Any:
    return scope_filter(actor, region=col(Referral.region_code), employer=col(Referral.employer_id))


def _select() -> Select[Any]:
    return select(Referral, *_WORKER_COLUMNS).join(Worker, col(Worker.id) == Referral.worker_id)


def read(row: Any) -> ReferralRead:
    """A referral with its worker, personal data masked (this is what employers see)."""
    return ReferralRead.from_row(row)


async def _load(session: AsyncSession, actor: Actor, referral_id: int) -> Any:
    row = (
        await session.execute(_select().where(col(Referral.id) == referral_id, visible(actor)))
    ).one_or_none()
    if row is None:
        raise ReferralNotFound(f"There is no referral {referral_id} you may see.")
    return row


async def get(session: AsyncSession, *, actor: Actor, referral_id: int) -> ReferralRead:
    return read(await _load(session, actor, referral_id))


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    filters: ReferralFilters,
    params: PageParams,
    since: SyncPoint | None = None,
) -> SyncPage[ReferralRead]:
    stmt = _select().where(visible(actor))
    for column, value in (
        (Referral.vacancy_id, filters.vacancy_id),
        (Referral.worker_id, filters.worker_id),
        (Referral.event_id, filters.event_id),
    ):
        if value is not None:
            stmt = stmt.where(col(column) == value)
    if filters.status:
        stmt = stmt.where(col(Referral.status) == filters.status.value)
    return await synced_list(
        session,
        stmt,
        record=Referral,
        since=since,
        params=params,
        keys=[col(Referral.id)],
        row=read,
    )


async def create(
    session: AsyncSession,
    *,
    actor: Actor,
    worker_id: int,
    vacancy_id: int,
    event_id: int | None,
    notes: str | None,
) -> ReferralRead:
    """Refer a worker of your scope to an open vacancy (once per worker and vacancy)."""
    worker = await workers.get(session, actor=actor, worker_id=worker_id)
    vacancy = await vacancies.get(session, actor=actor, vacancy_id=vacancy_id)
    if vacancy.status != VacancyStatus.open.value:
        raise vacancies.VacancyNotOpen(f"Vacancy {vacancy_id} is {vacancy.status}.")
    if event_id is not None:
        event = await session.get(RecruitmentEvent, event_id)
        if event is None:
            raise UnknownReference(
                "Unknown recruitment event.",
                errors=[FieldError(field="body.event_id", message="unknown event", type="ref")],
            )
        date_bounds.event_held("body.event_id", event.date)
    assert worker.id is not None
    assert vacancy.id is not None
    referral = Referral(
        worker_id=worker.id, vacancy_id=vacancy.id, region_code=worker.region_code,
        employer_id=vacancy.employer_id, caseworker_id=actor.id, event_id=event_id, notes=notes,
    )  # fmt: skip
    session.add(referral)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise DuplicateReferral(
            f"Worker {worker_id} was already referred to vacancy {vacancy_id}."
        ) from exc
    await audit.record(
        session,
        actor=actor,
        action="referral.create",
        resource_type="referral",
        resource_id=referral.id,
        region_code=referral.region_code,
        after={"worker_id": worker_id, "vacancy_id": vacancy_id, "event_id": event_id},
        stamp=referral,
    )
    assert referral.id is not None
    created = await get(session, actor=actor, referral_id=referral.id)
    await commit(session, result=created)
    return created


async def _for_transition(
    session: AsyncSession, actor: Actor, referral_id: int, *, employer_side: bool
) -> Referral:
    if employer_side and actor.role is not Role.employer:
        raise Forbidden("Only the vacancy's employer moves a referral to this status.")
    if not employer_side and actor.role is not Role.caseworker:
        raise Forbidden("Only a caseworker withdraws a referral.")
    referral = await session.scalar(
        select(Referral).where(col(Referral.id) == referral_id, visible(actor)).with_for_update()
    )
    if referral is None:
        raise ReferralNotFound(f"There is no referral {referral_id} you may see.")
    if referral.status not in _OPEN:
        raise InvalidTransition(f"The referral is already {referral.status}.")
    return referral


async def _move(
    session: AsyncSession,
    actor: Actor,
    referral: Referral,
    status: ReferralStatus,
    reason: str | None = None,
    **note: Any,
) -> ReferralRead:
    before = {"status": referral.status}
    referral.status = status.value
    referral.decision_reason = reason
    if status is ReferralStatus.interviewed:
        referral.interviewed_at = utcnow()
    else:
        referral.decided_at = utcnow()
    await audit.record(
        session,
        actor=actor,
        action=f"referral.{status.value}",
        resource_type="referral",
        resource_id=referral.id,
        region_code=referral.region_code,
        before=before,
        after={"status": status.value, "reason": reason},
        stamp=referral,
        note=note or None,
    )
    await commit(session, result=referral)
    assert referral.id is not None
    return await get(session, actor=actor, referral_id=referral.id)


async def interview(session: AsyncSession, *, actor: Actor, referral_id: int) -> ReferralRead:
    referral = await _for_transition(session, actor, referral_id, employer_side=True)
    if referral.status == ReferralStatus.interviewed.value:
        raise InvalidTransition("The referral is already interviewed.")
    return await _move(session, actor, referral, ReferralStatus.interviewed)


async def decline(
    session: AsyncSession, *, actor: Actor, referral_id: int, reason: str
) -> ReferralRead:
    referral = await _for_transition(session, actor, referral_id, employer_side=True)
    return await _move(session, actor, referral, ReferralStatus.declined, reason)


async def withdraw(
    session: AsyncSession, *, actor: Actor, referral_id: int, reason: str
) -> ReferralRead:
    referral = await _for_transition(session, actor, referral_id, employer_side=False)
    return await _move(session, actor, referral, ReferralStatus.withdrawn, reason)


async def hire(
    session: AsyncSession,
    *,
    actor: Actor,
    referral_id: int,
    start_date: date,
    monthly_wage_fen: int | None,
    title: str | None,
) -> ReferralRead:
    """In one transaction: take an opening (409 when none is left, also when two employers'
    hires race for the last one), create the confirmed employment, move the worker to
    ``employed``, schedule the follow-ups, and audit it all."""
    referral = await _for_transition(session, actor, referral_id, employer_side=True)
    date_bounds.hire_start(start_date, referred_at=referral.created_at)
    vacancy = await session.get(Vacancy, referral.vacancy_id, with_for_update=True)
    employer = await session.get(Employer, referral.employer_id)
    worker = await session.get(Worker, referral.worker_id, with_for_update=True)
    assert vacancy is not None
    assert employer is not None
    assert worker is not None
    vacancies.take_opening(vacancy)
    kind = EmploymentKind.workshop if employer.kind == EmployerKind.workshop else EmploymentKind.job
    employment = await employments.place(
        session, actor=actor, worker=worker, kind=kind, start_date=start_date, confirmed=True,
        employer_id=employer.id, vacancy_id=vacancy.id, referral_id=referral.id,
        title=title or vacancy.title, monthly_wage_fen=monthly_wage_fen,
        work_region_code=vacancy.work_region_code,
    )  # fmt: skip
    referral.employment_id = employment.id
    await audit.record(
        session, actor=actor, action="vacancy.opening_taken", resource_type="vacancy",
        resource_id=vacancy.id, region_code=vacancy.work_region_code,
        before={"filled": vacancy.filled - 1}, after={"filled": vacancy.filled,
                                                      "status": vacancy.status},
        stamp=vacancy,
    )  # fmt: skip
    return await _move(session, actor, referral, ReferralStatus.hired, employment_id=employment.id)
