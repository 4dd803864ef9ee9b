"""The checks that catch ghost workers and double pay, run in the database over the claims an
auditor may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.models import (
    AuditEntry,
    Claim,
    ClaimStatus,
    Employment,
    Enrolment,
    EnrolmentStatus,
    Worker,
)
from app.schemas.claims import Alert
from app.scope import Actor
from app.services import claims
from app.services.employments import today

_LIVE = (ClaimStatus.submitted.value, ClaimStatus.approved.value, ClaimStatus.paid.value)


async def _ended_before_paid_months(session: AsyncSession, actor: Actor) -> list[Alert]:
    rows = (await session.execute(
        select(col(Claim.id), col(Claim.worker_id), col(Employment.end_date), col(Claim.period_end))
        .join(Employment, col(Employment.id) == col(Claim.employment_id))
        .where(claims.visible(actor), col(Claim.status) == ClaimStatus.paid.value,
               col(Employment.end_date).is_not(None),
               col(Employment.end_date) < col(Claim.period_end))
    )).all()  # fmt: skip
    return [
        Alert(kind="paid_after_employment_ended", severity="high",
              description=f"Claim {cid} was paid up to {end}, but the job ended on {ended}.",
              claim_ids=[cid], worker_ids=[wid])
        for cid, wid, ended, end in rows
    ]  # fmt: skip


async def _no_evidence(session: AsyncSession, actor: Actor) -> list[Alert]:
    confirmed_job = select(col(Employment.id)).where(
        col(Employment.id) == col(Claim.employment_id),
        col(Employment.confirmed_by_employer).is_(True),
    ).exists()  # fmt: skip
    any_job = (
        select(col(Employment.id)).where(col(Employment.id) == col(Claim.employment_id)).exists()
    )
    completed = select(col(Enrolment.id)).where(
        col(Enrolment.id) == col(Claim.enrolment_id),
        col(Enrolment.status) == EnrolmentStatus.completed.value,
    ).exists()  # fmt: skip
    employer_paid = col(Claim.payee) == "employer"
    rows = (await session.execute(
        select(col(Claim.id), col(Claim.worker_id)).where(
            claims.visible(actor), col(Claim.status).in_(_LIVE),
            ~((employer_paid & confirmed_job) | (~employer_paid & (any_job | completed))),
        )
    )).all()  # fmt: skip
    return [
        Alert(kind="no_evidence", severity="high",
              description=f"Claim {cid} has no confirmed employment or completed enrolment "
                          "behind it.", claim_ids=[cid], worker_ids=[wid])
        for cid, wid in rows
    ]  # fmt: skip


async def _shared(session: AsyncSession, actor: Actor) -> list[Alert]:
    """One phone number or bank account shared by many workers."""
    threshold = get_settings().shared_contact_alert_workers
    alerts = []
    # Workers of the auditor's scope with claims: the alert names no one else.
    claimants = (
        col(Worker.deleted_at).is_(None),
        col(Worker.id).in_(select(col(Claim.worker_id)).where(claims.visible(actor))),
    )
    phones = (await session.execute(
        select(col(Worker.phone), func.count())
        .where(col(Worker.phone).is_not(None), *claimants)
        .group_by(col(Worker.phone)).having(func.count() >= threshold)
    )).all()  # fmt: skip
    for phone, count in phones:
        ids = (
            await session.scalars(
                select(col(Worker.id)).where(col(Worker.phone) == phone, *claimants)
            )
        ).all()
        alerts.append(Alert(kind="shared_phone", severity="medium",
                            description=f"{count} workers with claims share one phone number "
                                        f"(ending {str(phone)[-4:]}).",
                            claim_ids=[], worker_ids=sorted(ids)))  # fmt: skip
    accounts = (await session.execute(
        select(col(Claim.bank_account), func.count(func.distinct(col(Claim.worker_id))))
        .where(claims.visible(actor), col(Claim.bank_account).is_not(None))
        .group_by(col(Claim.bank_account))
        .having(func.count(func.distinct(col(Claim.worker_id))) >= threshold)
    )).all()  # fmt: skip
    for account, count in accounts:
        found = (await session.execute(
            select(col(Claim.id), col(Claim.worker_id)).where(col(Claim.bank_account) == account,
                                                    claims.visible(actor))
        )).all()  # fmt: skip
        alerts.append(Alert(kind="shared_bank_account", severity="high",
                            description=f"{count} workers are paid into one bank account "
                                        f"(ending {str(account)[-4:]}).",
                            claim_ids=sorted({c for c, _ in found}),
                            worker_ids=sorted({w for _, w in found})))  # fmt: skip
    return alerts


async def _paid_twice(session: AsyncSession, actor: Actor) -> list[Alert]:
    """The same worker paid the same subsidy type twice (across policies or regions)."""
    once = col(Claim.rule).in_(("job_seeking_once", "workshop_absorption"))
    rows = (await session.execute(
        select(col(Claim.worker_id), col(Claim.rule), func.count())
        .where(claims.visible(actor), col(Claim.status) == ClaimStatus.paid.value, once)
        .group_by(col(Claim.worker_id), col(Claim.rule)).having(func.count() > 1)
    )).all()  # fmt: skip
    alerts = []
    for worker_id, rule, count in rows:
        ids = (await session.scalars(select(col(Claim.id)).where(
            col(Claim.worker_id) == worker_id, col(Claim.rule) == rule,
            col(Claim.status) == ClaimStatus.paid.value))).all()  # fmt: skip
        alerts.append(Alert(kind="paid_twice", severity="high",
                            description=f"Worker {worker_id} was paid the one-off {rule} "
                                        f"subsidy {count} times.",
                            claim_ids=sorted(ids), worker_ids=[worker_id]))  # fmt: skip
    other = Claim.__table__.alias("other")  # type: ignore[attr-defined]
    overlaps = (await session.execute(
        select(col(Claim.id), other.c.id, col(Claim.worker_id)).join(other, and_(
            other.c.worker_id == col(Claim.worker_id), other.c.rule == col(Claim.rule),
            other.c.id > col(Claim.id), other.c.status == ClaimStatus.paid.value,
            other.c.period_start <= col(Claim.period_end),
            other.c.period_end >= col(Claim.period_start),
        )).where(claims.visible(actor), col(Claim.status) == ClaimStatus.paid.value, ~once)
    )).all()  # fmt: skip
    alerts += [
        Alert(kind="paid_twice", severity="high",
              description=f"Worker {wid} was paid twice for overlapping months "
                          f"(claims {a} and {b}).", claim_ids=[a, b], worker_ids=[wid])
        for a, b, wid in overlaps
    ]  # fmt: skip
    return alerts


async def _on_backfilled_history(session: AsyncSession, actor: Actor) -> list[Alert]:
    """A live claim whose employment or completion an admin brought in by backfill: older
    history no caseworker or employer recorded when it happened, worth checking against the
    source its audit entry names before the money goes."""

    def backfilled(kind: str, record_id: Any) -> Any:
        return (
            select(col(AuditEntry.id)).where(
                col(AuditEntry.resource_type) == kind,
                col(AuditEntry.resource_id) == cast(record_id, String),
                col(AuditEntry.action) == f"{kind}.backfill",
            ).exists()
        )  # fmt: skip

    rows = (await session.execute(
        select(col(Claim.id), col(Claim.worker_id)).where(
            claims.visible(actor), col(Claim.status).in_(_LIVE),
            backfilled("employment", col(Claim.employment_id))
            | backfilled("enrolment", col(Claim.enrolment_id)),
        ).order_by(col(Claim.id))
    )).all()  # fmt: skip
    return [
        Alert(kind="claim_on_backfilled_history", severity="medium",
              description=f"Claim {cid} pays on an employment or completion an admin brought "
                          "in by backfill; check it against the source in its audit entry.",
              claim_ids=[cid], worker_ids=[wid])
        for cid, wid in rows
    ]  # fmt: skip


async def _approved_unpaid(session: AsyncSession, actor: Actor) -> list[Alert]:
    days = get_settings().unpaid_alert_days
    cutoff = today() - timedelta(days=days)
    rows = (await session.execute(
        select(col(Claim.id), col(Claim.worker_id), col(Claim.notice_ends_on)).where(
            claims.visible(actor), col(Claim.status) == ClaimStatus.approved.value,
            col(Claim.notice_ends_on) < cutoff)
    )).all()  # fmt: skip
    return [
        Alert(kind="approved_not_paid", severity="low",
              description=f"Claim {cid} has waited for payment since {ended} "
                          f"(over {days} days).", claim_ids=[cid], worker_ids=[wid])
        for cid, wid, ended in rows
    ]  # fmt: skip


CHECKS: tuple[Any, ...] = (
    _ended_before_paid_months,
    _no_evidence,
    _shared,
    _paid_twice,
    _on_backfilled_history,
    _approved_unpaid,
)


async def run(session: AsyncSession, *, actor: Actor) -> list[Alert]:
    alerts: list[Alert] = []
    for check in CHECKS:
        alerts.extend(await check(session, actor))
    return alerts
