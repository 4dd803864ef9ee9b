from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from app.models import ClaimStatus, Payee, PolicyRule
from app.schemas.common import MAX_ID, IsoDate, RequestModel, ResponseModel


class ClaimCreate(RequestModel):
    """What a claimant states; the service computes the amount and sets the status."""

    policy_code: str = Field(min_length=1, max_length=40)
    worker_id: int = Field(ge=1, le=MAX_ID)
    employment_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    enrolment_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    period_start: IsoDate | None = Field(
        default=None,
        description="First month claimed (per-month policies): not before the month the "
        "employment started.",
    )
    period_end: IsoDate | None = Field(
        default=None,
        description="Last month claimed (per-month policies): a month that has ended.",
    )
    bank_account: str | None = Field(
        default=None, pattern=r"^\d{12,30}$", description="Payee account (worker subsidies)."
    )
    notes: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _period(self) -> ClaimCreate:
        if (self.period_start is None) != (self.period_end is None):
            raise PydanticCustomError(
                "both_or_neither", "give both period_start and period_end, or neither"
            )
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise PydanticCustomError(
                "range_reversed", "period_end must not be before period_start"
            )
        return self


class ClaimUpdate(RequestModel):
    """Corrections to a draft (or a returned claim)."""

    employment_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    enrolment_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    period_start: IsoDate | None = None
    period_end: IsoDate | None = None
    bank_account: str | None = Field(default=None, pattern=r"^\d{12,30}$")
    notes: str | None = Field(default=None, max_length=2000)


class Reason(RequestModel):
    reason: str = Field(min_length=1, max_length=500)


class Payment(RequestModel):
    payment_reference: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$")


class FindingCreate(RequestModel):
    severity: Literal["low", "medium", "high"]
    note: str = Field(min_length=1, max_length=2000)


class ClaimRead(ResponseModel):
    id: int
    policy_id: int
    policy_code: str
    rule: PolicyRule
    payee: Payee
    worker_id: int
    region_code: str
    employer_id: int | None
    employment_id: int | None
    enrolment_id: int | None
    period_start: IsoDate
    period_end: IsoDate
    units: int
    unit_amount_fen: int
    amount_fen: int = Field(description="Claimed: computed by the service.")
    approved_amount_fen: int | None
    paid_amount_fen: int | None
    currency: Literal["CNY"] = "CNY"
    bank_account: str | None = Field(description="Masked.")
    notes: str | None
    status: ClaimStatus
    stage: int
    stage_name: str | None = Field(description="The review stage due next, while submitted.")
    filed_by: int
    submitted_at: datetime | None
    approved_at: datetime | None
    notice_ends_on: IsoDate | None = Field(
        description="The public notice ends (and payment may be made) on this day."
    )
    paid_at: datetime | None
    payment_reference: str | None
    decision_reason: str | None
    flagged: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(default=False, description="A tombstone (offline sync only).")


class ReviewRead(ResponseModel):
    stage: int
    stage_name: str
    reviewer_id: int
    decision: str
    reason: str | None
    superseded: bool
    at: datetime


class AttachmentRead(ResponseModel):
    id: int
    claim_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: int
    uploaded_at: datetime


class FindingRead(ResponseModel):
    id: int
    claim_id: int
    auditor_id: int
    severity: str
    note: str
    at: datetime


class ClaimDetail(ClaimRead):
    """A claim with its evidence and history, as an auditor pulls it."""

    evidence: dict[str, Any] = Field(description="The employment or enrolment behind it.")
    attachments: list[AttachmentRead]
    reviews: list[ReviewRead]
    findings: list[FindingRead]


class PublicNoticeItem(ResponseModel):
    """A line of the public notice (公示): names and ID numbers masked as notices show them."""

    claim_id: int
    policy_code: str
    policy_name: str
    worker_name: str = Field(description="张*明")
    id_number: str = Field(description="3404**********1234")
    region_code: str
    amount_fen: int
    currency: Literal["CNY"] = "CNY"
    approved_at: datetime
    notice_ends_on: IsoDate


class Alert(ResponseModel):
    kind: str
    severity: Literal["low", "medium", "high"]
    description: str
    claim_ids: list[int]
    worker_ids: list[int]
