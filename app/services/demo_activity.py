"""The demo's work in progress, so that every role finds something on first sign-in: a
training session of 祁集镇 that ends today with three certificates, a skills-training claim
for each in a different state of review (for the auditor and the admin), two referrals to the
workshop's vacancy, one of them hired (for the employer), and that hire's follow-up checks
(for the caseworker); and one labourer's history brought in by the admin (registered last
year, a past job) with a job he took 40 days ago, whose one-month check is overdue. Done
through the services as the demo users, so it is audited and synced like real use; only a
fresh database gets it (see :func:`app.services.demo.seed`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import commit
from app.models import EmploymentKind, EndReason, User
from app.schemas.backfill import EmploymentEntry, RegistrationEntry
from app.services import backfill, claims, employments, referrals, training
from app.services.date_bounds import today
from app.services.demo_people import DemoPeople, actor_of

COURSE = {"type": "housekeeping", "name": "家政服务员（初级）", "hours": 80}
PROVIDER = "潘集区职业技能培训中心"
# Who completes the course, and where their claim stands: (name, certificate, what review did).
TRAINED = (
    ("王秀兰", "JZ-2026-0001", "approve"),  # approved: in public notice, then payable
    ("祁小燕", "JZ-2026-0002", "submit"),  # submitted: waiting for the district's review
    ("许桂英", "JZ-2026-0003", "return"),  # returned to the caseworker for correction
)
RETURN_REASON = "请补充结业证书复印件后重新提交。"
REFERRED, HIRED = "许桂英", "郑伟"
WITH_HISTORY = "许大明"
HISTORY_SOURCE = "演示：区就业局台账"


async def seed(
    session: AsyncSession,
    *,
    people: DemoPeople,
    admin: User,
    caseworker: User,
    employer: User,
    qiji: str,
) -> None:
    """The session, claims, referrals and hire described above (each service call commits)."""
    district_admin = await actor_of(session, admin)
    field = await actor_of(session, caseworker)
    workshop = await actor_of(session, employer)
    course = await training.create_course(session, actor=district_admin, data=COURSE)
    assert course.id is not None
    run = await training.create_session(
        session,
        actor=district_admin,
        data={"course_id": course.id, "provider": PROVIDER, "township_code": qiji,
              "start_date": today() - timedelta(days=13), "end_date": today(), "capacity": 20},
    )  # fmt: skip
    for name, certificate, review in TRAINED:
        worker_id = people.workers[name]
        enrolment = await training.enrol(
            session, actor=field, session_id=run.id, worker_id=worker_id
        )
        await training.complete(
            session, actor=field, enrolment_id=enrolment.id,
            certificate_number=certificate, completed_on=None,
        )  # fmt: skip
        claim = await claims.create(
            session,
            actor=field,
            data={"policy_code": "skills_training", "worker_id": worker_id,
                  "enrolment_id": enrolment.id},
        )  # fmt: skip
        await claims.submit(session, actor=field, claim_id=claim.id)
        if review == "approve":
            await claims.approve(session, actor=district_admin, claim_id=claim.id)
        elif review == "return":
            await claims.return_to_draft(
                session, actor=district_admin, claim_id=claim.id, reason=RETURN_REASON
            )
    await referrals.create(
        session, actor=field, worker_id=people.workers[REFERRED],
        vacancy_id=people.vacancy_id, event_id=None, notes="有缝纫基础，愿意在本村就业。",
    )  # fmt: skip
    hire = await referrals.create(
        session, actor=field, worker_id=people.workers[HIRED],
        vacancy_id=people.vacancy_id, event_id=None, notes="手工基础好，车间可照顾残疾人。",
    )  # fmt: skip
    await referrals.interview(session, actor=workshop, referral_id=hire.id)
    await referrals.hire(
        session, actor=workshop, referral_id=hire.id, start_date=today(),
        monthly_wage_fen=280_000, title=None,
    )  # fmt: skip
    await _history(session, people=people, district_admin=district_admin, field=field)


async def _history(session: AsyncSession, *, people: DemoPeople, district_admin: Any,
                   field: Any) -> None:  # fmt: skip
    """许大明: registered on 1 March last year, on a building site April–October last year
    (brought in by the admin), back at work since 40 days ago (recorded by the caseworker)."""
    worker_id = people.workers[WITH_HISTORY]
    last_year = today().year - 1
    await backfill.apply(session, actor=district_admin, source=HISTORY_SOURCE, entries=[
        RegistrationEntry(kind="registration", worker_id=worker_id,
                          registered_on=date(last_year, 3, 1)),
        EmploymentEntry(kind="employment", worker_id=worker_id,
                        employment_kind=EmploymentKind.job, title="建筑工",
                        start_date=date(last_year, 4, 1), end_date=date(last_year, 10, 31),
                        end_reason=EndReason.contract_ended, monthly_wage_fen=420_000),
    ])  # fmt: skip
    await commit(session)
    await employments.record(session, actor=field, data={
        "worker_id": worker_id, "kind": EmploymentKind.job, "title": "建筑工",
        "start_date": today() - timedelta(days=40), "monthly_wage_fen": 450_000,
    })  # fmt: skip
