"""A worker's timeline: everything that happened to them, newest first.

Each part of the programme registers a source (visits here; enrolments, referrals,
employments and claims in their own services); the timeline merges what they return.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Claim, Employment, Enrolment, Referral, Visit, Worker
from app.schemas.workers import Timeline, TimelineEvent
from app.scope import Actor
from app.services import workers

Source = Callable[[AsyncSession, Worker], Awaitable[list[TimelineEvent]]]
_SOURCES: list[Source] = []
MAX_EVENTS = 500


def source(fn: Source) -> Source:
    """Register a timeline source."""
    _SOURCES.append(fn)
    return fn


async def for_worker(session: AsyncSession, *, actor: Actor, worker_id: int) -> Timeline:
    worker = await workers.get(session, actor=actor, worker_id=worker_id)
    assert worker.id is not None
    events: list[TimelineEvent] = []
    for fn in _SOURCES:
        events.extend(await fn(session, worker))
    events.sort(key=lambda e: (e.at, e.kind, e.resource_id), reverse=True)
    return Timeline(worker_id=worker.id, events=events[:MAX_EVENTS])


@source
async def _registered(_session: AsyncSession, worker: Worker) -> list[TimelineEvent]:
    assert worker.id is not None
    return [
        TimelineEvent(
            at=worker.created_at,
            kind="registered",
            resource_type="worker",
            resource_id=worker.id,
            title="Registered",
        )
    ]


@source
async def _visits(session: AsyncSession, worker: Worker) -> list[TimelineEvent]:
    rows = await session.scalars(
        select(Visit)
        .where(col(Visit.worker_id) == worker.id, col(Visit.deleted_at).is_(None))
        .order_by(col(Visit.visited_at).desc())
        .limit(MAX_EVENTS)
    )
    events = []
    for visit in rows:
        assert visit.id is not None
        events.append(
            TimelineEvent(
                at=visit.visited_at,
                kind="visit",
                resource_type="visit",
                resource_id=visit.id,
                title=f"Visit ({visit.kind})",
                details={
                    "caseworker_id": visit.caseworker_id,
                    "status_changes": visit.status_changes or {},
                },
            )
        )
    return events


@source
async def _referrals(session: AsyncSession, worker: Worker) -> list[TimelineEvent]:
    rows = await session.scalars(
        select(Referral).where(col(Referral.worker_id) == worker.id).limit(MAX_EVENTS)
    )
    events = []
    for referral in rows:
        assert referral.id is not None
        events.append(
            TimelineEvent(
                at=referral.created_at, kind="referral", resource_type="referral",
                resource_id=referral.id, title=f"Referred to vacancy {referral.vacancy_id}",
                details={"vacancy_id": referral.vacancy_id, "status": referral.status,
                         "decided_at": referral.decided_at},
            )
        )  # fmt: skip
    return events


@source
async def _employments(session: AsyncSession, worker: Worker) -> list[TimelineEvent]:
    rows = await session.scalars(
        select(Employment)
        .where(col(Employment.worker_id) == worker.id, col(Employment.deleted_at).is_(None))
        .limit(MAX_EVENTS)
    )
    events = []
    for job in rows:
        assert job.id is not None
        started = datetime.combine(job.start_date, time(), tzinfo=UTC)
        details = {
            "kind": job.kind,
            "employer_id": job.employer_id,
            "start_date": job.start_date,
            "monthly_wage_fen": job.monthly_wage_fen,
        }
        events.append(TimelineEvent(at=started, kind="employment", resource_type="employment",
                                    resource_id=job.id, title=f"Started work ({job.kind})",
                                    details=details))  # fmt: skip
        if job.end_date is not None:
            ended = datetime.combine(job.end_date, time(), tzinfo=UTC)
            events.append(TimelineEvent(at=ended, kind="employment_ended",
                                        resource_type="employment", resource_id=job.id,
                                        title=f"Left work ({job.end_reason})",
                                        details={"end_reason": job.end_reason}))  # fmt: skip
    return events


@source
async def _enrolments(session: AsyncSession, worker: Worker) -> list[TimelineEvent]:
    rows = await session.scalars(
        select(Enrolment).where(col(Enrolment.worker_id) == worker.id).limit(MAX_EVENTS)
    )
    events = []
    for enrolment in rows:
        assert enrolment.id is not None
        details = {
            "session_id": enrolment.session_id,
            "course_type": enrolment.course_type,
            "status": enrolment.status,
        }
        events.append(TimelineEvent(at=enrolment.created_at, kind="enrolment",
                                    resource_type="enrolment", resource_id=enrolment.id,
                                    title=f"Enrolled in {enrolment.course_type} training",
                                    details=details))  # fmt: skip
        finished = enrolment.completed_on or enrolment.dropped_on
        if finished is not None:
            events.append(
                TimelineEvent(
                    at=datetime.combine(finished, time(), tzinfo=UTC),
                    kind=f"training_{enrolment.status}",
                    resource_type="enrolment",
                    resource_id=enrolment.id,
                    title=f"Training {enrolment.status}",
                    details={
                        "certificate_number": enrolment.certificate_number,
                        "drop_reason": enrolment.drop_reason,
                    },
                )
            )
    return events


@source
async def _claims(session: AsyncSession, worker: Worker) -> list[TimelineEvent]:
    rows = await session.scalars(
        select(Claim).where(col(Claim.worker_id) == worker.id).limit(MAX_EVENTS)
    )
    events = []
    for claim in rows:
        assert claim.id is not None
        details = {"policy_code": claim.policy_code, "status": claim.status,
                   "amount_fen": claim.amount_fen}  # fmt: skip
        events.append(TimelineEvent(at=claim.created_at, kind="claim", resource_type="claim",
                                    resource_id=claim.id, title=f"Claim ({claim.policy_code})",
                                    details=details))  # fmt: skip
        if claim.paid_at is not None:
            events.append(TimelineEvent(
                at=claim.paid_at, kind="payment", resource_type="claim", resource_id=claim.id,
                title=f"Paid ({claim.policy_code})",
                details={"paid_amount_fen": claim.paid_amount_fen,
                         "payment_reference": claim.payment_reference},
            ))  # fmt: skip
    return events
