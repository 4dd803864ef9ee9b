"""Public notice (公示): what the public sees of approved claims, and objections that put a
claim back under review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Forbidden
from app.models import Claim, ClaimStatus, Region, Role, SubsidyPolicy, Worker
from app.pagination import Page, PageParams, paginate
from app.schemas.claims import ClaimRead, PublicNoticeItem
from app.scope import Actor, region_subtree
from app.services import subsidy_policies
from app.services.claims.core import InvalidClaimTransition, _transition, load, read, snapshot
from app.services.claims.review import _supersede_reviews
from app.services.employments import today


async def object_to(
    session: AsyncSession, *, actor: Actor, claim_id: int, reason: str
) -> ClaimRead:
    """An objection raised during the public notice puts the claim back under review."""
    if actor.role not in (Role.admin, Role.auditor):
        raise Forbidden("Objections are recorded by admins or auditors.")
    claim = await load(session, actor, claim_id, for_update=True)
    if claim.status != ClaimStatus.approved.value or (
        claim.notice_ends_on is not None and today() >= claim.notice_ends_on
    ):
        raise InvalidClaimTransition("Objections are taken while a claim is in public notice.")
    policy = await subsidy_policies.get(session, policy_id=claim.policy_id)
    before = snapshot(claim)
    await _supersede_reviews(session, claim)
    claim.status, claim.stage = ClaimStatus.submitted.value, 0
    claim.approved_at = claim.approved_amount_fen = claim.notice_ends_on = None
    claim.decision_reason = reason
    await _transition(session, actor, claim, "objection", _before=before, reason=reason)
    return read(claim, policy.review_stages)


def _public_name(name: str) -> str:
    """张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明."""
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _public_id(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


async def public_notice(
    session: AsyncSession, *, actor: Actor, params: PageParams, region: str | None
) -> Page[PublicNoticeItem]:
    """Claims in their notice period, as the public notice shows them."""
    stmt: Any = (
        select(Claim, col(SubsidyPolicy.name).label("policy_name"),
               col(Worker.full_name).label("worker_name"),
               col(Worker.id_number).label("worker_id_number"))
        .join(SubsidyPolicy, col(SubsidyPolicy.id) == col(Claim.policy_id))
        .join(Worker, col(Worker.id) == col(Claim.worker_id))
        .where(col(Claim.status) == ClaimStatus.approved.value,
               col(Claim.notice_ends_on) > today())
    )  # fmt: skip
    if region:
        from app.services import regions

        root = await regions.get(session, code=region)
        stmt = stmt.where(col(Claim.region_code).in_(
            select(col(Region.code)).where(region_subtree(root.path))))  # fmt: skip

    def item(row: Any) -> PublicNoticeItem:
        claim = row[0]
        assert claim.approved_at is not None
        assert claim.notice_ends_on is not None
        return PublicNoticeItem(
            claim_id=claim.id, policy_code=claim.policy_code, policy_name=row.policy_name,
            worker_name=_public_name(row.worker_name),
            id_number=_public_id(row.worker_id_number), region_code=claim.region_code,
            amount_fen=claim.approved_amount_fen or claim.amount_fen,
            approved_at=claim.approved_at, notice_ends_on=claim.notice_ends_on,
        )  # fmt: skip

    return await paginate(session, stmt, keys=[col(Claim.id)], params=params, row=item)
