"""Subsidy claims: filing against the evidence, the review workflow, public notice, payment.

draft → submitted → (one approval per review stage, each by a different admin, never the
filer) → approved (amount frozen; public notice) → paid. A reviewer may instead reject
(final) or return the claim to draft. An objection during the notice puts it back under
review. Every transition is audited; the claim's history is its audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from app.masking import mask_id_number
from app.models import (
    AuditEntry,
    Claim,
    ClaimAttachment,
    ClaimFinding,
    ClaimPeriod,
    ClaimReview,
    ClaimStatus,
    Employer,
    Employment,
    Enrolment,
    Payee,
    Region,
    RegionLevel,
    Role,
    SubsidyPolicy,
    Worker,
)
from app.models.base import utcnow
from app.pagination import Page, PageParams, paginate
from app.schemas.claims import (
    AttachmentRead,
    ClaimDetail,
    ClaimRead,
    FindingRead,
    PublicNoticeItem,
    ReviewRead,
)
from app.scope import Actor, region_subtree, scope_filter
from app.services import audit, claim_rules, employments, regions, subsidy_policies, workers
from app.services.employments import today
from app.versioning import ensure_version

_AUDITED = (
    "status", "stage", "amount_fen", "units", "unit_amount_fen", "period_start", "period_end",
    "employment_id", "enrolment_id", "approved_amount_fen", "paid_amount_fen",
    "payment_reference", "decision_reason", "notice_ends_on", "bank_account", "flagged",
)  # fmt: skip


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    title = "No such claim"


DuplicateClaim = claim_rules.AlreadyClaimed


class InvalidClaimTransition(Conflict):
    code = "invalid_claim_transition"
    title = "The claim is not in a state that allows this"


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
    session: AsyncSession, *, actor: Actor, filters: ClaimFilters, params: PageParams
) -> Page[ClaimRead]:
    stmt = await scoped_query(session, actor=actor, filters=filters)
    stages = {p.id: p.review_stages for p in (await session.scalars(select(SubsidyPolicy)))}
    return await paginate(session, stmt, keys=[col(Claim.id)], params=params,
                          row=lambda c: read(c, stages.get(c.policy_id)))  # fmt: skip


# -- filing --------------------------------------------------------------------------------


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
            raise Unprocessable(
                "An employer's claim names the employment it is for.",
                errors=[FieldError(field="body.employment_id", message="required", type="ref")],
            )
        worker = await session.get(Worker, employment.worker_id)
    else:
        worker = await workers.get(session, actor=actor, worker_id=worker_id)
    if worker is None or worker.id != worker_id:
        raise Unprocessable(
            "The employment is not the worker's.",
            errors=[FieldError(field="body.worker_id", message="does not match", type="ref")],
        )
    enrolment = await session.get(Enrolment, enrolment_id) if enrolment_id else None
    if enrolment_id and (enrolment is None or enrolment.worker_id != worker_id):
        raise Unprocessable(
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
        raise Unprocessable(
            "period_end must not be before period_start.",
            errors=[FieldError(field="body.period_end", message="before period_start",
                               type="value_error")],
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
    )
    await commit(session, result=claim)


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


async def pay(
    session: AsyncSession, *, actor: Actor, claim_id: int, payment_reference: str
) -> ClaimRead:
    """Mark an approved claim paid, once its public notice has ended (the district pays)."""
    regions.ensure_level(actor, what="Paying a claim")
    claim = await _for_review(session, actor, claim_id)
    if claim.status != ClaimStatus.approved.value:
        raise InvalidClaimTransition(f"Only an approved claim is paid; it is {claim.status}.")
    if claim.notice_ends_on is not None and today() < claim.notice_ends_on:
        raise InvalidClaimTransition(
            f"The public notice ends on {claim.notice_ends_on}; the claim can be paid from then."
        )
    policy = await subsidy_policies.get(session, policy_id=claim.policy_id)
    before = snapshot(claim)
    claim.status, claim.paid_at = ClaimStatus.paid.value, utcnow()
    claim.paid_amount_fen, claim.payment_reference = claim.approved_amount_fen, payment_reference
    await _transition(session, actor, claim, "pay", _before=before)
    return read(claim, policy.review_stages)


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
    )
    await commit(session, result=finding)
    return FindingRead.model_validate(finding)


# -- reading for auditors ------------------------------------------------------------------


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
