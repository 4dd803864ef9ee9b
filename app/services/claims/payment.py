"""Payment: an approved claim is paid once its public notice has ended."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ClaimStatus
from app.models.base import utcnow
from app.schemas.claims import ClaimRead
from app.scope import Actor
from app.services import regions, subsidy_policies
from app.services.claims.core import (
    InvalidClaimTransition,
    NoticePeriodRunning,
    _transition,
    read,
    snapshot,
)
from app.services.claims.review import _for_review
from app.services.employments import today


async def pay(
    session: AsyncSession, *, actor: Actor, claim_id: int, payment_reference: str
) -> ClaimRead:
    """Mark an approved claim paid, once its public notice has ended (the district pays)."""
    regions.ensure_level(actor, what="Paying a claim")
    claim = await _for_review(session, actor, claim_id)
    if claim.status != ClaimStatus.approved.value:
        raise InvalidClaimTransition(f"Only an approved claim is paid; it is {claim.status}.")
    if claim.notice_ends_on is not None and today() < claim.notice_ends_on:
        raise NoticePeriodRunning(
            f"The public notice ends on {claim.notice_ends_on}; the claim can be paid from then."
        )
    policy = await subsidy_policies.get(session, policy_id=claim.policy_id)
    before = snapshot(claim)
    claim.status, claim.paid_at = ClaimStatus.paid.value, utcnow()
    claim.paid_amount_fen, claim.payment_reference = claim.approved_amount_fen, payment_reference
    await _transition(session, actor, claim, "pay", _before=before)
    return read(claim, policy.review_stages)
