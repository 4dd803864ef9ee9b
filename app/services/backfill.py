"""The admin's backfill: history older than the everyday routes accept, brought in from the
provincial registry or the old spreadsheets (SPEC §1, last scope rule; §5 "History").

A request names where its history comes from and carries up to 500 entries — registration
days, poverty years, willing-and-able judgements, past jobs, completions and follow-ups. It
is all or nothing: the first entry that cannot go in (outside the admin's scope, a date after
today or before the labourer was born, an unknown employer) refuses the whole request with a
problem naming ``entries.N.field``, and nothing is written. Every entry that changes something
is audited as ``<resource>.backfill`` with the source in its note; an entry that repeats what
is already recorded is ``unchanged`` and writes nothing, so bringing the same history in twice
changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import FieldError, UnknownReference
from app.models import (
    Employer,
    Employment,
    Enrolment,
    EnrolmentStatus,
    FollowUp,
    FollowUpStatus,
    Household,
    Region,
    TrainingCourse,
    TrainingSession,
    Worker,
    WorkerAbilityChange,
)
from app.models.base import programme_today
from app.schemas.backfill import (
    AbilityEntry,
    BackfillEntry,
    BackfillOutcome,
    BackfillReport,
    CompletionEntry,
    EmploymentEntry,
    FollowUpEntry,
    PovertyYearsEntry,
    RegistrationEntry,
)
from app.scope import Actor, scope_filter, writable
from app.services import audit, date_bounds, employments, workers
from app.services.employments.core import add_months
from app.services.training import SessionNotFound
from app.services.training.enrolments import SessionFull
from app.services.training.sessions import take_seats


@dataclass
class _Done:
    """What an entry did to its record; its audit entry is made once the batch is flushed
    (a new record has its id only then)."""

    outcome: str
    resource_type: str
    record: Any
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    # What else the entry changed (a session's seats, a worker's skills), audited with it.
    also: list[audit.Change] = field(default_factory=list)

    @property
    def resource_id(self) -> int:
        return int(self.record.id)

    def change(self, source: str) -> audit.Change | None:
        if self.outcome == "unchanged":
            return None
        return audit.Change(
            action=f"{self.resource_type}.backfill", resource_type=self.resource_type,
            resource_id=self.record.id, region_code=getattr(self.record, "region_code", None),
            before=self.before, after=self.after, note={"backfill": True, "source": source},
            stamp=self.record if hasattr(self.record, "change_seq") else None,
        )  # fmt: skip


JobKey = tuple[int, date, str, int | None]  # worker, start, kind, employer: the same job


@dataclass
class _Loaded:
    """The records a request's entries name, read once (and locked) for the whole request."""

    workers: dict[int, Worker]
    households: dict[int, Household]
    jobs: dict[JobKey, Employment]


async def _load(session: AsyncSession, actor: Actor, entries: Sequence[BackfillEntry]) -> _Loaded:
    worker_ids = {e.worker_id for e in entries if not isinstance(e, (PovertyYearsEntry,
                                                                     FollowUpEntry))}  # fmt: skip
    household_ids = {e.household_id for e in entries if isinstance(e, PovertyYearsEntry)}
    found = await session.scalars(
        select(Worker).where(col(Worker.id).in_(worker_ids), col(Worker.deleted_at).is_(None),
                             workers.visible(actor)).order_by(col(Worker.id)).with_for_update()
    )  # fmt: skip
    people = {w.id: w for w in found if w.id is not None}
    homes = await session.scalars(
        select(Household).where(col(Household.id).in_(household_ids),
                                col(Household.deleted_at).is_(None),
                                scope_filter(actor, region=col(Household.region_code)))
        .order_by(col(Household.id)).with_for_update()
    )  # fmt: skip
    jobs = await session.scalars(
        select(Employment).where(col(Employment.worker_id).in_(people),
                                 col(Employment.deleted_at).is_(None))
        .order_by(col(Employment.id))
    )  # fmt: skip
    held: dict[JobKey, Employment] = {}
    for job in jobs:
        held.setdefault((job.worker_id, job.start_date, job.kind, job.employer_id), job)
    return _Loaded(people, {h.id: h for h in homes if h.id is not None}, held)


class _Entry:
    """One entry being applied: its position (for field names), the request's records."""

    def __init__(self, index: int, loaded: _Loaded) -> None:
        self.index, self.loaded = index, loaded

    def field(self, name: str) -> str:
        return f"body.entries.{self.index}.{name}"

    def unknown(self, name: str, message: str) -> UnknownReference:
        return UnknownReference(
            f"entries.{self.index}.{name}: {message}.",
            errors=[FieldError(field=self.field(name), message=message, type="ref")],
        )

    def past(
        self, name: str, value: date, *, earliest: date | None = None, since: str = ""
    ) -> None:
        """History lies in the past: not after today, not before ``earliest``."""
        date_bounds.not_after(self.field(name), value, latest=programme_today())
        if earliest is not None:
            date_bounds.not_before(self.field(name), value, earliest=earliest, since=since)

    def worker(self, worker_id: int) -> Worker:
        found = self.loaded.workers.get(worker_id)
        if found is None:
            raise self.unknown("worker_id", "no such worker in your scope")
        return found


def _audited(kind: str, record: Any, before: dict[str, Any] | None, after: dict[str, Any],
             *, created: bool) -> _Done:  # fmt: skip
    return _Done("created" if created else "updated", kind, record, before, after)


def _values(record: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def _unchanged(kind: str, record: Any) -> _Done:
    return _Done("unchanged", kind, record)


async def _registration(
    session: AsyncSession, actor: Actor, e: _Entry, entry: RegistrationEntry
) -> _Done:
    worker = e.worker(entry.worker_id)
    e.past("registered_on", entry.registered_on, earliest=worker.birth_date,
           since="the labourer was born")  # fmt: skip
    if worker.registered_on == entry.registered_on:
        return _unchanged("worker", worker)
    before = {"registered_on": worker.registered_on}
    worker.registered_on = entry.registered_on
    return _audited("worker", worker, before, {"registered_on": worker.registered_on},
                    created=False)  # fmt: skip


async def _poverty_years(
    session: AsyncSession, actor: Actor, e: _Entry, entry: PovertyYearsEntry
) -> _Done:
    household = e.loaded.households.get(entry.household_id)
    if household is None:
        raise e.unknown("household_id", "no such household in your scope")
    this_year = programme_today().year
    for name in ("identified_year", "lifted_year"):
        year = getattr(entry, name)
        if year is not None and year > this_year:
            date_bounds.not_after(e.field(name), date(year, 1, 1), latest=programme_today())
    names = ("identified_year", "lifted_year")
    wanted = {"identified_year": entry.identified_year, "lifted_year": entry.lifted_year}
    before = _values(household, names)
    if before == wanted:
        return _unchanged("household", household)
    for name, value in wanted.items():
        setattr(household, name, value)
    return _audited("household", household, before, wanted, created=False)


async def _ability(session: AsyncSession, actor: Actor, e: _Entry, entry: AbilityEntry) -> _Done:
    worker = e.worker(entry.worker_id)
    e.past("effective_on", entry.effective_on)
    same = await session.scalar(
        select(WorkerAbilityChange).where(
            col(WorkerAbilityChange.worker_id) == worker.id,
            col(WorkerAbilityChange.effective_on) == entry.effective_on,
        ).order_by(col(WorkerAbilityChange.id).desc())
    )  # fmt: skip
    if same is not None and same.willing_and_able == entry.willing_and_able:
        return _unchanged("worker", worker)
    assert worker.id is not None
    session.add(WorkerAbilityChange(worker_id=worker.id, effective_on=entry.effective_on,
                                    willing_and_able=entry.willing_and_able))  # fmt: skip
    # The worker's own flags stay today's judgement; they hold from the latest change on.
    before = {"able_changed_on": worker.able_changed_on}
    worker.able_changed_on = max(entry.effective_on, worker.able_changed_on or entry.effective_on)
    after = {"willing_and_able": entry.willing_and_able, "effective_on": entry.effective_on,
             "able_changed_on": worker.able_changed_on}  # fmt: skip
    return _audited("worker", worker, before, after, created=False)


_JOB_FIELDS = ("title", "end_date", "end_reason", "monthly_wage_fen", "work_region_code",
               "organised_export")  # fmt: skip


async def _employment(
    session: AsyncSession, actor: Actor, e: _Entry, entry: EmploymentEntry
) -> _Done:
    worker = e.worker(entry.worker_id)
    e.past("start_date", entry.start_date, earliest=worker.birth_date,
           since="the labourer was born")  # fmt: skip
    if entry.end_date is not None:
        e.past("end_date", entry.end_date)
    if entry.employer_id is not None and await session.get(Employer, entry.employer_id) is None:
        raise e.unknown("employer_id", "unknown employer")
    if entry.work_region_code and await session.get(Region, entry.work_region_code) is None:
        raise e.unknown("work_region_code", "unknown region")
    wanted = {name: getattr(entry, name) for name in _JOB_FIELDS}
    wanted["end_reason"] = entry.end_reason.value if entry.end_reason else None
    assert worker.id is not None
    key = (worker.id, entry.start_date, entry.employment_kind.value, entry.employer_id)
    employment = e.loaded.jobs.get(key)
    if employment is not None:
        before = _values(employment, _JOB_FIELDS)
        if before == wanted:
            return _unchanged("employment", employment)
        for name, value in wanted.items():
            setattr(employment, name, value)
        return _audited("employment", employment, before, wanted, created=False)
    assert actor.id is not None
    employment = Employment(
        worker_id=worker.id, region_code=worker.region_code, kind=entry.employment_kind.value,
        employer_id=entry.employer_id, start_date=entry.start_date, recorded_by=actor.id,
        **wanted,
    )  # fmt: skip
    session.add(employment)
    e.loaded.jobs[key] = employment
    return _Done("created", "employment", employment, None, wanted | {
        "worker_id": worker.id, "kind": entry.employment_kind.value,
        "employer_id": entry.employer_id, "start_date": entry.start_date})  # fmt: skip


async def _completion(
    session: AsyncSession, actor: Actor, e: _Entry, entry: CompletionEntry
) -> _Done:
    worker = e.worker(entry.worker_id)
    also: list[audit.Change] = []
    training = await session.scalar(
        select(TrainingSession).where(col(TrainingSession.id) == entry.session_id,
                                      writable(actor, region=col(TrainingSession.township_code)))
        .with_for_update()
    )  # fmt: skip
    if training is None:
        raise SessionNotFound(f"There is no training session {entry.session_id} in your scope.")
    e.past("completed_on", entry.completed_on, earliest=training.start_date,
           since="the session started")  # fmt: skip
    course = await session.get(TrainingCourse, training.course_id)
    assert course is not None
    assert worker.id is not None
    assert actor.id is not None
    assert training.id is not None
    enrolment = await session.scalar(
        select(Enrolment).where(col(Enrolment.session_id) == training.id,
                                col(Enrolment.worker_id) == worker.id)
    )  # fmt: skip
    wanted: dict[str, Any] = {
        "status": EnrolmentStatus.completed.value,
        "completed_on": entry.completed_on,
        "certificate_number": entry.certificate_number,
    }
    if enrolment is None:
        if training.enrolled >= training.capacity:
            raise SessionFull(f"Session {training.id} has no free seat for this completion.")
        also.append(take_seats(training, 1))
        enrolment = Enrolment(session_id=training.id, worker_id=worker.id,
                              region_code=worker.region_code, course_type=course.type,
                              previous_status=worker.employment_status, enrolled_by=actor.id,
                              **wanted)  # fmt: skip
        session.add(enrolment)
        before = None
    else:
        before = _values(enrolment, list(wanted))
        if before == wanted:
            return _unchanged("enrolment", enrolment)
        for name, value in wanted.items():
            setattr(enrolment, name, value)
    if course.type not in worker.skills:
        skills = worker.skills
        worker.skills = [*skills, course.type]
        also.append(audit.Change(
            "worker.backfill", "worker", worker.id, worker.region_code,
            before={"skills": skills}, after={"skills": worker.skills}, stamp=worker,
        ))  # fmt: skip
    done = _audited("enrolment", enrolment, before, wanted, created=before is None)
    done.also = also
    return done


async def _follow_up(session: AsyncSession, actor: Actor, e: _Entry, entry: FollowUpEntry) -> _Done:
    try:
        employment = await employments.get(session, actor=actor, employment_id=entry.employment_id)
    except employments.EmploymentNotFound as exc:
        raise e.unknown("employment_id", "no such employment in your scope") from exc
    e.past("checked_on", entry.checked_on, earliest=employment.start_date,
           since="the job started")  # fmt: skip
    assert employment.id is not None
    assert actor.id is not None
    checked_at = datetime.combine(entry.checked_on, time(), tzinfo=UTC)
    wanted: dict[str, Any] = {
        "status": FollowUpStatus.done.value,
        "still_employed": entry.still_employed,
        "monthly_wage_fen": entry.monthly_wage_fen,
        "checked_at": checked_at,
    }
    follow_up = await session.scalar(
        select(FollowUp).where(col(FollowUp.employment_id) == employment.id,
                               col(FollowUp.months) == entry.months)
    )  # fmt: skip
    if follow_up is None:
        follow_up = FollowUp(employment_id=employment.id, worker_id=employment.worker_id,
                             region_code=employment.region_code, months=entry.months,
                             due_date=add_months(employment.start_date, entry.months),
                             checked_by=actor.id, **wanted)  # fmt: skip
        session.add(follow_up)
        before = None
    else:
        before = _values(follow_up, list(wanted))
        if before == wanted:
            return _unchanged("follow_up", follow_up)
        for name, value in wanted.items():
            setattr(follow_up, name, value)
        follow_up.checked_by = actor.id
    return _audited("follow_up", follow_up, before, wanted, created=before is None)


_APPLY: dict[str, Any] = {
    "registration": _registration,
    "poverty_years": _poverty_years,
    "ability": _ability,
    "employment": _employment,
    "completion": _completion,
    "follow_up": _follow_up,
}


async def apply(
    session: AsyncSession, *, actor: Actor, source: str, entries: Sequence[BackfillEntry]
) -> list[_Done]:
    """Apply every entry in the caller's transaction (not committed), auditing each change:
    the records the entries name are read once, the new ones written in one flush, and the
    audit entries appended together."""
    loaded = await _load(session, actor, entries)
    done = [await _APPLY[entry.kind](session, actor, _Entry(index, loaded), entry)
            for index, entry in enumerate(entries)]  # fmt: skip
    await session.flush()
    changes = []
    for d in done:
        change = d.change(source)
        note = {"backfill": True, "source": source}
        changes += [change, *(replace(c, note=note) for c in d.also)] if change else []
    await audit.record_many(session, actor=actor, changes=changes)
    return done


async def backfill(
    session: AsyncSession, *, actor: Actor, source: str, entries: Sequence[BackfillEntry]
) -> BackfillReport:
    done = await apply(session, actor=actor, source=source, entries=entries)
    report = BackfillReport(
        source=source,
        created=sum(d.outcome == "created" for d in done),
        updated=sum(d.outcome == "updated" for d in done),
        unchanged=sum(d.outcome == "unchanged" for d in done),
        entries=[
            BackfillOutcome(index=i, kind=entry.kind, outcome=d.outcome,
                            resource_type=d.resource_type, resource_id=d.resource_id)
            for i, (entry, d) in enumerate(zip(entries, done, strict=True))
        ],
    )  # fmt: skip
    await commit(session, result=report)
    return report
