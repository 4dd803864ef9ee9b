"""Subsidy policies (as data), the claims against them, and everything an auditor checks."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import (
    BigId,
    Syncable,
    UTCDateTime,
    Versioned,
    created_at_field,
    enum_check,
    updated_at_field,
)


class PolicyRule(StrEnum):
    """Which eligibility check a policy runs; its numbers are the policy's data."""

    on_job_training = "on_job_training"
    job_seeking_once = "job_seeking_once"
    skills_training = "skills_training"
    assistance_post = "assistance_post"
    workshop_absorption = "workshop_absorption"


class Payee(StrEnum):
    employer = "employer"
    worker = "worker"
    provider = "provider"


class Unit(StrEnum):
    once = "once"
    per_month = "per_month"
    per_day = "per_day"


class SubsidyPolicy(Versioned, table=True):
    __tablename__ = "subsidy_policies"
    __table_args__ = (
        enum_check("rule", PolicyRule),
        enum_check("payee", Payee),
        enum_check("unit", Unit),
        sa.CheckConstraint("amount_fen >= 0", name="amount"),
        sa.CheckConstraint("max_units >= 1", name="max_units"),
        sa.CheckConstraint("notice_days >= 0", name="notice_days"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=100)
    rule: str = Field(sa_type=sa.String(24))
    payee: str = Field(sa_type=sa.String(10))
    amount_fen: int = Field(sa_type=sa.BigInteger)
    unit: str = Field(sa_type=sa.String(10))
    max_units: int
    # Rule parameters: {"min_employment_days": 180, "amounts_by_distance": {...}, ...}
    conditions: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    review_stages: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    notice_days: int = Field(default=5)
    valid_from: date
    valid_to: date | None = None
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class ClaimStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    paid = "paid"
    rejected = "rejected"


class Claim(Syncable, table=True):
    __tablename__ = "claims"
    __table_args__ = (
        enum_check("status", ClaimStatus),
        sa.CheckConstraint("amount_fen >= 0", name="amount"),
        sa.CheckConstraint("units >= 1", name="units"),
        sa.CheckConstraint("period_end >= period_start", name="period"),
        sa.Index("ix_claims_region_code_id", "region_code", "id"),
        sa.Index("ix_claims_employer_id_id", "employer_id", "id"),
        sa.Index("ix_claims_status_id", "status", "id"),
        sa.Index("ix_claims_policy_id_status", "policy_id", "status"),
        sa.Index("ix_claims_worker_id", "worker_id"),
        sa.Index("ix_claims_bank_account", "bank_account"),
        sa.Index("ix_claims_region_change_seq", "region_code", "change_seq"),
        sa.Index("ix_claims_employer_change_seq", "employer_id", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    policy_id: int = Field(foreign_key="subsidy_policies.id", sa_type=BigId)
    policy_code: str = Field(max_length=40)
    rule: str = Field(sa_type=sa.String(24))
    payee: str = Field(sa_type=sa.String(10))
    worker_id: int = Field(foreign_key="workers.id", sa_type=BigId)
    # The worker's region (what scopes caseworkers, auditors and admins).
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    employer_id: int | None = Field(default=None, foreign_key="employers.id", sa_type=BigId)
    employment_id: int | None = Field(default=None, foreign_key="employments.id", sa_type=BigId)
    enrolment_id: int | None = Field(default=None, foreign_key="enrolments.id", sa_type=BigId)
    period_start: date
    period_end: date
    units: int
    unit_amount_fen: int = Field(sa_type=sa.BigInteger)
    amount_fen: int = Field(sa_type=sa.BigInteger)
    bank_account: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=2000)
    status: str = Field(default=ClaimStatus.draft.value, sa_type=sa.String(10))
    # Index into the policy's review stages of the next approval due.
    stage: int = Field(default=0)
    filed_by: int = Field(foreign_key="users.id", sa_type=BigId)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_amount_fen: int | None = Field(default=None, sa_type=sa.BigInteger)
    notice_ends_on: date | None = None
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_amount_fen: int | None = Field(default=None, sa_type=sa.BigInteger)
    payment_reference: str | None = Field(default=None, max_length=64)
    decision_reason: str | None = Field(default=None, max_length=500)
    flagged: bool = Field(default=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class ClaimPeriod(SQLModel, table=True):
    """One row per unit claimed (a month, or ``once``): the database refuses a second claim of
    the same worker, policy and period — also when both arrive at the same instant."""

    __tablename__ = "claim_periods"
    __table_args__ = (sa.UniqueConstraint("worker_id", "policy_id", "period_key"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    claim_id: int = Field(foreign_key="claims.id", index=True, sa_type=BigId)
    worker_id: int = Field(foreign_key="workers.id", sa_type=BigId)
    policy_id: int = Field(foreign_key="subsidy_policies.id", sa_type=BigId)
    period_key: str = Field(max_length=32)


class ClaimReview(SQLModel, table=True):
    __tablename__ = "claim_reviews"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    claim_id: int = Field(foreign_key="claims.id", index=True, sa_type=BigId)
    stage: int
    stage_name: str = Field(max_length=40)
    reviewer_id: int = Field(foreign_key="users.id", sa_type=BigId)
    decision: str = Field(max_length=12)
    reason: str | None = Field(default=None, max_length=500)
    # Reviews of an earlier round stop counting when a claim goes back under review.
    superseded: bool = Field(default=False)
    at: datetime = created_at_field()


class ClaimAttachment(SQLModel, table=True):
    __tablename__ = "claim_attachments"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    claim_id: int = Field(foreign_key="claims.id", index=True, sa_type=BigId)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=50)
    size: int
    sha256: str = Field(max_length=64, index=True)
    uploaded_by: int = Field(foreign_key="users.id", sa_type=BigId)
    uploaded_at: datetime = created_at_field()


class ClaimFinding(SQLModel, table=True):
    """An auditor's flag on a claim, with what they found."""

    __tablename__ = "claim_findings"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    claim_id: int = Field(foreign_key="claims.id", index=True, sa_type=BigId)
    auditor_id: int = Field(foreign_key="users.id", sa_type=BigId)
    severity: str = Field(max_length=10)
    note: str = Field(max_length=2000)
    at: datetime = created_at_field()
