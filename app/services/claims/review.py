"""Review: one approval per stage, each by a different admin (never the filer), or a
rejection (final) or a return to draft."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Forbidden
from app.models import Claim, ClaimPeriod, ClaimReview, ClaimStatus, RegionLevel, Role
from app.models.base import utcnow
from app.schemas.claims import ClaimRead
from app.scope import Actor
from app.services import regions, subsidy_policies
from app.services.claims.core import (
    InvalidClaimTransition,
    OwnClaim,
    SameReviewer,
    _transition,
    load,
    read,
    snapshot,
)
from app.services.employments import today


async def _for_review(session: AsyncSession, actor: Actor, claim_id: int) -> Claim:
    if actor.role is not Role.admin:
        raise Forbidden("Claims are reviewed by admins.")
    claim = await load(session, actor, claim_id, for_update=True)
    if claim.filed_by == actor.id:
        raise OwnClaim("You filed this claim; another admin must review it.")
    return claim


def _stage_name(claim: Claim, stages: list[str]) -> str:
    return stages[min(claim.stage, len(stages) - 1)] if stages else "review"


def stage_level(stage: str) -> RegionLevel:
    """The narrowest admin scope that may approve a review stage: the level its name starts
    with (`township_check` → township), else district — so a stage an admin of a district
    named freely is never left to a township."""
    head = stage.split("_", 1)[0]
    return RegionLevel(head) if head in RegionLevel.__members__ else RegionLevel.district


async def _review(
    session: AsyncSession,
    actor: Actor,
    claim: Claim,
    stages: list[str],
    decision: str,
    reason: str | None = None,
) -> None:
    assert claim.id is not None
    stage_name = _stage_name(claim, stages)
    session.add(ClaimReview(claim_id=claim.id, stage=claim.stage, stage_name=stage_name,
                            reviewer_id=actor.id, decision=decision, reason=reason))  # fmt: skip


async def approve(session: AsyncSession, *, actor: Actor, claim_id: int) -> ClaimRead:
    """Approve the current review stage; after the last one the claim is approved, its
    amount frozen, and its public notice begins."""
    claim = await _for_review(session, actor, claim_id)
    if claim.status != ClaimStatus.submitted.value:
        raise InvalidClaimTransition(f"Only a submitted claim is approved; it is {claim.status}.")
    policy = await subsidy_policies.get(session, policy_id=claim.policy_id)
    earlier = await session.scalar(
        select(func.count()).select_from(ClaimReview).where(
            col(ClaimReview.claim_id) == claim.id, col(ClaimReview.reviewer_id) == actor.id,
            col(ClaimReview.decision) == "approved", col(ClaimReview.superseded).is_(False),
        )
    )  # fmt: skip
    if earlier:
        raise SameReviewer("You approved an earlier stage; another admin approves this one.")
    stage = _stage_name(claim, policy.review_stages)
    regions.ensure_level(actor, what=f"The {stage} stage", level=stage_level(stage))
    before = snapshot(claim)
    await _review(session, actor, claim, policy.review_stages, "approved")
    claim.stage += 1
    if claim.stage >= len(policy.review_stages):
        claim.status, claim.approved_at = ClaimStatus.approved.value, utcnow()
        claim.approved_amount_fen = claim.amount_fen
        claim.notice_ends_on = today() + timedelta(days=policy.notice_days)
    await _transition(session, actor, claim, "approve", _before=before)
    return read(claim, policy.review_stages)


async def reject(session: AsyncSession, *, actor: Actor, claim_id: int, reason: str) -> ClaimRead:
    """Reject (final): the periods are freed for a correct claim."""
    claim = await _for_review(session, actor, claim_id)
    if claim.status != ClaimStatus.submitted.value:
        raise InvalidClaimTransition(f"Only a submitted claim is rejected; it is {claim.status}.")
    policy = await subsidy_policies.get(session, policy_id=claim.policy_id)
    before = snapshot(claim)
    await _review(session, actor, claim, policy.review_stages, "rejected", reason)
    claim.status, claim.decision_reason = ClaimStatus.rejected.value, reason
    await session.execute(delete(ClaimPeriod).where(col(ClaimPeriod.claim_id) == claim.id))
    await _transition(session, actor, claim, "reject", _before=before)
    return read(claim, policy.review_stages)


async def _supersede_reviews(session: AsyncSession, claim: Claim) -> None:
    await session.execute(
        update(ClaimReview).where(col(ClaimReview.claim_id) == claim.id).values(superseded=True)
    )


async def return_to_draft(
    session: AsyncSession, *, actor: Actor, claim_id: int, reason: str
) -> ClaimRead:
    """Send the claim back to the filer for correction."""
    claim = await _for_review(session, actor, claim_id)
    if claim.status != ClaimStatus.submitted.value:
        raise InvalidClaimTransition(f"Only a submitted claim is returned; it is {claim.status}.")
    policy = await subsidy_policies.get(session, policy_id=claim.policy_id)
    before = snapshot(claim)
    await _review(session, actor, claim, policy.review_stages, "returned", reason)
    await _supersede_reviews(session, claim)
    claim.status, claim.stage, claim.decision_reason = ClaimStatus.draft.value, 0, reason
    await _transition(session, actor, claim, "return", _before=before)
    return read(claim, policy.review_stages)
