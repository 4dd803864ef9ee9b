"""Claims as the caller sees them: scope, loading with a lock, the read model, lists, and
the audited transition every workflow step ends with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.masking import mask_id_number
from app.models import Claim, ClaimStatus, Region, SubsidyPolicy
from app.pagination import PageParams, SyncPage, SyncPoint, synced_list
from app.schemas.claims import ClaimRead
from app.scope import Actor, region_subtree, scope_filter
from app.services import audit, claim_rules, subsidy_policies

_AUDITED = (
    "status", "stage", "amount_fen", "units", "unit_amount_fen", "period_start", "period_end",
    "employment_id", "enrolment_id", "approved_amount_fen", "paid_amount_fen",
    "payment_reference", "decision_reason", "notice_ends_on", "bank_account", "flagged",
)  # fmt: skip


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    title = "No such claim"


DuplicateClaim = claim_rules.AlreadyClaimed


class EmploymentRequired(Unprocessable):
    code = "employment_required"
    title = "An employer's claim names its employment"


class InvalidClaimTransition(Conflict):
    code = "invalid_claim_transition"
    title = "The claim is not in a state that allows this"


class NoticePeriodRunning(Conflict):
    code = "notice_period_running"
    title = "The claim is still in public notice"


class OwnClaim(Forbidden):
    code = "maker_checker"
    title = "Nobody reviews or pays a claim they filed"


class SameReviewer(Forbidden):
    code = "same_reviewer"
    title = "Each review stage needs a different person"


@dataclass(frozen=True)
class ClaimFilters:
    policy_code: str | None = None
    status: ClaimStatus | None = None
    region: str | None = None
    employer_id: int | None = None
    worker_id: int | None = None
    period_from: date | None = None
    period_to: date | None = None
    min_amount_fen: int | None = None
    max_amount_fen: int | None = None
    flagged: bool | None = None


def visible(actor: Actor) -> Any:
    return scope_filter(actor, region=col(Claim.region_code), employer=col(Claim.employer_id))


def snapshot(claim: Claim) -> dict[str, Any]:
    return {k: getattr(claim, k) for k in _AUDITED}


def read(claim: Claim, stages: list[str] | None = None) -> ClaimRead:
    data = {k: getattr(claim, k) for k in ClaimRead.model_fields if hasattr(claim, k)}
    data["bank_account"] = mask_id_number(claim.bank_account)
    names = stages or []
    data["stage_name"] = (
        names[claim.stage] if claim.status == ClaimStatus.submitted and claim.stage < len(names)
        else None
    )  # fmt: skip
    return ClaimRead.model_validate(data)


async def load(
    session: AsyncSession, actor: Actor, claim_id: int, *, for_update: bool = False
) -> Claim:
    stmt = select(Claim).where(col(Claim.id) == claim_id, visible(actor))
    claim = await session.scalar(stmt.with_for_update() if for_update else stmt)
    if claim is None:
        raise ClaimNotFound(f"There is no claim {claim_id} you may see.")
    return claim


async def get(session: AsyncSession, *, actor: Actor, claim_id: int) -> ClaimRead:
    claim = await load(session, actor, claim_id)
    policy = await subsidy_policies.get(session, policy_id=claim.policy_id)
    return read(claim, policy.review_stages)


def _filtered(stmt: Any, filters: ClaimFilters) -> Any:
    if filters.policy_code:
        stmt = stmt.where(col(Claim.policy_code) == filters.policy_code)
    if filters.status:
        stmt = stmt.where(col(Claim.status) == filters.status.value)
    for column, value in ((Claim.employer_id, filters.employer_id),
                          (Claim.worker_id, filters.worker_id),
                          (Claim.flagged, filters.flagged)):  # fmt: skip
        if value is not None:
            stmt = stmt.where(col(column) == value)
    if filters.period_from:
        stmt = stmt.where(col(Claim.period_end) >= filters.period_from)
    if filters.period_to:
        stmt = stmt.where(col(Claim.period_start) <= filters.period_to)
    if filters.min_amount_fen is not None:
        stmt = stmt.where(col(Claim.amount_fen) >= filters.min_amount_fen)
    if filters.max_amount_fen is not None:
        stmt = stmt.where(col(Claim.amount_fen) <= filters.max_amount_fen)
    return stmt


async def scoped_query(
    session: AsyncSession, *, actor: Actor, filters: ClaimFilters, base: Any = None
) -> Any:
    """The claims ``actor`` may see that pass ``filters`` (lists and exports share it);
    ``base`` is the select to narrow (default: the claims themselves)."""
    stmt = (select(Claim) if base is None else base).where(visible(actor))
    if filters.region:
        from app.services import regions

        root = await regions.get(session, code=filters.region)
        stmt = stmt.where(col(Claim.region_code).in_(
            select(col(Region.code)).where(region_subtree(root.path))))  # fmt: skip
    return _filtered(stmt, filters)


async def get_all(
    session: AsyncSession,
    *,
    actor: Actor,
    filters: ClaimFilters,
    params: PageParams,
    since: SyncPoint | None = None,
) -> SyncPage[ClaimRead]:
    stmt = await scoped_query(session, actor=actor, filters=filters)
    stages = {p.id: p.review_stages for p in (await session.scalars(select(SubsidyPolicy)))}

    def row(claim: Claim) -> ClaimRead:
        return read(claim, stages.get(claim.policy_id))

    return await synced_list(
        session, stmt, record=Claim, since=since, params=params, keys=[col(Claim.id)], row=row
    )


async def _transition(
    session: AsyncSession, actor: Actor, claim: Claim, action: str, **note: Any
) -> None:
    await audit.record(
        session,
        actor=actor,
        action=f"claim.{action}",
        resource_type="claim",
        resource_id=claim.id,
        region_code=claim.region_code,
        before=note.pop("_before", None),
        after=snapshot(claim),
        note=note or None,
        stamp=claim,
    )
    await commit(session, result=claim)
