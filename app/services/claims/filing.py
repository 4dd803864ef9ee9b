"""Filing: a draft checked against its evidence, the amount computed here, the periods
reserved; corrections of a draft; submission for review."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import FieldError, Forbidden, RangeReversed, RecordsDoNotMatch
from app.models import (
    Claim,
    ClaimPeriod,
    ClaimStatus,
    Employer,
    Enrolment,
    Payee,
    Region,
    Role,
    SubsidyPolicy,
    Worker,
)
from app.models.base import utcnow
from app.schemas.claims import ClaimRead
from app.scope import Actor
from app.services import audit, claim_rules, employments, subsidy_policies, workers
from app.services.claims.core import (
    DuplicateClaim,
    EmploymentRequired,
    InvalidClaimTransition,
    _transition,
    load,
    read,
    snapshot,
)
from app.services.employments import today
from app.versioning import ensure_version


async def _region_path(session: AsyncSession, code: str) -> str:
    path = await session.scalar(select(col(Region.path)).where(col(Region.code) == code))
    return path or ""


async def _evidence(
    session: AsyncSession,
    actor: Actor,
    policy: SubsidyPolicy,
    *,
    worker_id: int,
    employment_id: int | None,
    enrolment_id: int | None,
    period_start: date | None,
    period_end: date | None,
    exclude_claim: int | None = None,
) -> claim_rules.Evidence:
    employer_side = policy.payee == Payee.employer.value
    if employer_side and actor.role is not Role.employer:
        raise Forbidden(f"The {policy.code} subsidy is claimed by the employer.")
    if not employer_side and actor.role not in (Role.caseworker, Role.admin):
        raise Forbidden(f"The {policy.code} subsidy is claimed by a caseworker for the worker.")
    employment = (
        await employments.get(session, actor=actor, employment_id=employment_id)
        if employment_id is not None else None
    )  # fmt: skip
    if employer_side:
        if employment is None:
            raise EmploymentRequired(
                "An employer's claim names the employment it is for.",
                errors=[FieldError(field="body.employment_id", message="required", type="ref")],
            )
        worker = await session.get(Worker, employment.worker_id)
    else:
        worker = await workers.get(session, actor=actor, worker_id=worker_id)
    if worker is None or worker.id != worker_id:
        raise RecordsDoNotMatch(
            "The employment is not the worker's.",
            errors=[FieldError(field="body.worker_id", message="does not match", type="ref")],
        )
    enrolment = await session.get(Enrolment, enrolment_id) if enrolment_id else None
    if enrolment_id and (enrolment is None or enrolment.worker_id != worker_id):
        raise RecordsDoNotMatch(
            "The enrolment is not the worker's.",
            errors=[FieldError(field="body.enrolment_id", message="not found", type="ref")],
        )
    employer = (
        await session.get(Employer, employment.employer_id)
        if employment is not None and employment.employer_id else None
    )  # fmt: skip
    taken = await session.scalars(
        select(col(ClaimPeriod.period_key)).where(
            col(ClaimPeriod.worker_id) == worker_id, col(ClaimPeriod.policy_id) == policy.id,
            col(ClaimPeriod.claim_id) != (exclude_claim or 0),
        )
    )  # fmt: skip
    return claim_rules.Evidence(
        worker=worker, worker_region_path=await _region_path(session, worker.region_code),
        policy_region_path=await _region_path(session, policy.region_code),
        employment=employment, employer=employer, enrolment=enrolment,
        period_start=period_start, period_end=period_end, taken=frozenset(taken.all()),
    )  # fmt: skip


async def _reserve(session: AsyncSession, claim: Claim, keys: list[str]) -> None:
    """Take the claim's periods: a second claim of the same worker, policy and period fails
    here, in the database, whichever arrives first."""
    await session.execute(delete(ClaimPeriod).where(col(ClaimPeriod.claim_id) == claim.id))
    assert claim.id is not None
    for key in keys:
        session.add(ClaimPeriod(claim_id=claim.id, worker_id=claim.worker_id,
                                policy_id=claim.policy_id, period_key=key))  # fmt: skip
    try:
        await session.flush()
    except IntegrityError as exc:
        raise DuplicateClaim(
            f"Worker {claim.worker_id} already has a claim under {claim.policy_code} for "
            f"{', '.join(keys)}."
        ) from exc


def _apply(claim: Claim, assessment: claim_rules.Assessment) -> None:
    claim.period_start, claim.period_end = assessment.period_start, assessment.period_end
    claim.units, claim.unit_amount_fen = assessment.units, assessment.unit_amount_fen
    claim.amount_fen = assessment.amount_fen


async def create(session: AsyncSession, *, actor: Actor, data: dict[str, Any]) -> ClaimRead:
    """File a claim (a draft): eligibility checked, the amount computed here, the periods
    reserved."""
    policy = await subsidy_policies.by_code(session, code=data["policy_code"])
    evidence = await _evidence(
        session, actor, policy, worker_id=data["worker_id"],
        employment_id=data.get("employment_id"), enrolment_id=data.get("enrolment_id"),
        period_start=data.get("period_start"), period_end=data.get("period_end"),
    )  # fmt: skip
    assessment = claim_rules.assess(policy, evidence, today=today())
    assert policy.id is not None
    assert evidence.worker.id is not None
    claim = Claim(
        policy_id=policy.id, policy_code=policy.code, rule=policy.rule, payee=policy.payee,
        worker_id=evidence.worker.id, region_code=evidence.worker.region_code,
        employer_id=evidence.employer.id if evidence.employer else None,
        employment_id=data.get("employment_id"), enrolment_id=data.get("enrolment_id"),
        bank_account=data.get("bank_account"), notes=data.get("notes"), filed_by=actor.id,
        period_start=assessment.period_start, period_end=assessment.period_end, units=1,
        unit_amount_fen=0, amount_fen=0,
    )  # fmt: skip
    _apply(claim, assessment)
    session.add(claim)
    await session.flush()
    await _reserve(session, claim, assessment.period_keys)
    await audit.record(
        session,
        actor=actor,
        action="claim.create",
        resource_type="claim",
        resource_id=claim.id,
        region_code=claim.region_code,
        after=snapshot(claim),
        stamp=claim,
    )
    # The answer (not the row) is what an idempotent retry replays.
    answer = read(claim, policy.review_stages)
    await commit(session, result=answer)
    return answer


def ensure_filer_side(actor: Actor, claim: Claim) -> None:
    if claim.payee == Payee.employer.value:
        if actor.role is not Role.employer:
            raise Forbidden("Only the claiming employer corrects or submits this claim.")
    elif actor.role not in (Role.caseworker, Role.admin):
        raise Forbidden("Only a caseworker corrects or submits this claim.")


def _ensure_period_order(claim: Claim, changes: dict[str, Any]) -> None:
    """A correction of one end of the period must keep it in order (the table refuses it)."""
    start = changes.get("period_start", claim.period_start)
    end = changes.get("period_end", claim.period_end)
    if start is not None and end is not None and end < start:
        raise RangeReversed(
            "period_end must not be before period_start.",
            errors=[FieldError(field="body.period_end", message="before period_start",
                               type="range_reversed")],
        )  # fmt: skip


async def update_draft(
    session: AsyncSession,
    *,
    actor: Actor,
    claim_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> ClaimRead:
    """Correct a draft (or a returned claim): the amount is recomputed; an approved claim is
    frozen."""
    claim = await load(session, actor, claim_id, for_update=True)
    ensure_filer_side(actor, claim)
    if claim.status != ClaimStatus.draft.value:
        raise InvalidClaimTransition(
            f"Only a draft can be corrected; this claim is {claim.status}."
        )
    ensure_version(expected=expected_version, current_version=claim.version, changes=changes,
                   current=read(claim).model_dump(mode="json"))  # fmt: skip
    _ensure_period_order(claim, changes)
    before = snapshot(claim)
    for key, value in changes.items():
        setattr(claim, key, value)
    policy = await _reassess(session, actor, claim)
    await audit.record(
        session,
        actor=actor,
        action="claim.update",
        resource_type="claim",
        resource_id=claim.id,
        region_code=claim.region_code,
        before=before,
        after=snapshot(claim),
        stamp=claim,
    )
    await commit(session, result=claim)
    return read(claim, policy.review_stages)


async def _reassess(session: AsyncSession, actor: Actor, claim: Claim) -> SubsidyPolicy:
    policy = await subsidy_policies.get(session, policy_id=claim.policy_id)
    evidence = await _evidence(
        session, actor, policy, worker_id=claim.worker_id, employment_id=claim.employment_id,
        enrolment_id=claim.enrolment_id, period_start=claim.period_start,
        period_end=claim.period_end, exclude_claim=claim.id,
    )  # fmt: skip
    assessment = claim_rules.assess(policy, evidence, today=today())
    _apply(claim, assessment)
    await _reserve(session, claim, assessment.period_keys)
    return policy


async def submit(session: AsyncSession, *, actor: Actor, claim_id: int) -> ClaimRead:
    """Submit a draft for review; eligibility and amount are checked again with the policy
    as it is now."""
    claim = await load(session, actor, claim_id, for_update=True)
    ensure_filer_side(actor, claim)
    if claim.status != ClaimStatus.draft.value:
        raise InvalidClaimTransition(f"Only a draft is submitted; this claim is {claim.status}.")
    before = snapshot(claim)
    policy = await _reassess(session, actor, claim)
    claim.status, claim.stage, claim.submitted_at = ClaimStatus.submitted.value, 0, utcnow()
    await _transition(session, actor, claim, "submit", _before=before)
    return read(claim, policy.review_stages)
