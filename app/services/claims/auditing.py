"""What auditors read and record: a claim's evidence and history, and their findings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Forbidden
from app.models import (
    AuditEntry,
    ClaimAttachment,
    ClaimFinding,
    ClaimReview,
    Employment,
    Enrolment,
    Role,
)
from app.schemas.claims import AttachmentRead, ClaimDetail, FindingRead, ReviewRead
from app.scope import Actor
from app.services import audit, employments, subsidy_policies
from app.services.claims.core import load, read


async def add_finding(
    session: AsyncSession, *, actor: Actor, claim_id: int, severity: str, note: str
) -> FindingRead:
    """An auditor flags a claim with what they found."""
    if actor.role is not Role.auditor:
        raise Forbidden("Findings are recorded by auditors.")
    claim = await load(session, actor, claim_id, for_update=True)
    assert claim.id is not None
    finding = ClaimFinding(claim_id=claim.id, auditor_id=actor.id, severity=severity, note=note)
    session.add(finding)
    claim.flagged = True
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="claim.flag",
        resource_type="claim",
        resource_id=claim.id,
        region_code=claim.region_code,
        after={"flagged": True},
        note={"severity": severity, "finding_id": finding.id},
        stamp=claim,
    )
    await commit(session, result=finding)
    return FindingRead.model_validate(finding)


async def detail(session: AsyncSession, *, actor: Actor, claim_id: int) -> ClaimDetail:
    """The claim with its evidence, attachments, reviews and findings."""
    claim = await load(session, actor, claim_id)
    policy = await subsidy_policies.get(session, policy_id=claim.policy_id)
    evidence: dict[str, Any] = {}
    if claim.employment_id:
        job = await session.get(Employment, claim.employment_id)
        if job is not None:
            evidence["employment"] = employments.read(job).model_dump(mode="json")
    if claim.enrolment_id:
        enrolment = await session.get(Enrolment, claim.enrolment_id)
        if enrolment is not None:
            evidence["enrolment"] = {
                "id": enrolment.id, "status": enrolment.status,
                "course_type": enrolment.course_type,
                "certificate_number": enrolment.certificate_number,
                "completed_on": enrolment.completed_on,
            }  # fmt: skip

    async def rows(model: Any, order: Any) -> list[Any]:
        found = await session.scalars(
            select(model).where(model.claim_id == claim.id).order_by(order)
        )
        return list(found)

    return ClaimDetail(
        **read(claim, policy.review_stages).model_dump(), evidence=evidence,
        attachments=[AttachmentRead.model_validate(a)
                     for a in await rows(ClaimAttachment, col(ClaimAttachment.id))],
        reviews=[ReviewRead.model_validate(r)
                 for r in await rows(ClaimReview, col(ClaimReview.id))],
        findings=[FindingRead.model_validate(f)
                  for f in await rows(ClaimFinding, col(ClaimFinding.id))],
    )  # fmt: skip


async def history(session: AsyncSession, *, actor: Actor, claim_id: int) -> list[AuditEntry]:
    """Every audited change of the claim, oldest first."""
    claim = await load(session, actor, claim_id)
    found = await session.scalars(
        select(AuditEntry)
        .where(col(AuditEntry.resource_type) == "claim",
               col(AuditEntry.resource_id) == str(claim.id))
        .order_by(col(AuditEntry.id))
    )  # fmt: skip
    return list(found)
