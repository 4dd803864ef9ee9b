"""Jobs held by workers (through a referral or found otherwise) and their follow-up checks."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import (
    BigId,
    Syncable,
    UTCDateTime,
    created_at_field,
    enum_check,
    updated_at_field,
)


class EmploymentKind(StrEnum):
    job = "job"
    workshop = "workshop"
    assistance_post = "assistance_post"
    self_employed = "self_employed"
    migrant = "migrant"


class EndReason(StrEnum):
    resigned = "resigned"
    dismissed = "dismissed"
    contract_ended = "contract_ended"
    business_closed = "business_closed"
    illness = "illness"
    moved_away = "moved_away"
    other = "other"


class Employment(Syncable, table=True):
    __tablename__ = "employments"
    __table_args__ = (
        enum_check("kind", EmploymentKind),
        enum_check("end_reason", EndReason),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        sa.CheckConstraint("monthly_wage_fen IS NULL OR monthly_wage_fen >= 0", name="wage"),
        sa.Index("ix_employments_worker_id_start_date", "worker_id", "start_date"),
        sa.Index("ix_employments_employer_id_id", "employer_id", "id"),
        sa.Index("ix_employments_region_code_id", "region_code", "id"),
        sa.Index("ix_employments_region_change_seq", "region_code", "change_seq"),
        sa.Index("ix_employments_employer_change_seq", "employer_id", "change_seq"),
        sa.Index("ix_employments_start_date", "start_date"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    worker_id: int = Field(foreign_key="workers.id", sa_type=BigId)
    employer_id: int | None = Field(default=None, foreign_key="employers.id", sa_type=BigId)
    vacancy_id: int | None = Field(default=None, foreign_key="vacancies.id", sa_type=BigId)
    referral_id: int | None = Field(default=None, foreign_key="referrals.id", sa_type=BigId)
    # The worker's home region (what scopes caseworkers); work_region_code is where the job is.
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    kind: str = Field(sa_type=sa.String(16))
    title: str | None = Field(default=None, max_length=100)
    start_date: date
    end_date: date | None = None
    end_reason: str | None = Field(default=None, sa_type=sa.String(16))
    monthly_wage_fen: int | None = Field(default=None, sa_type=sa.BigInteger)
    work_region_code: str | None = Field(default=None, foreign_key="regions.code", max_length=12)
    work_place: str | None = Field(default=None, max_length=200)
    organised_export: bool = Field(default=False)
    confirmed_by_employer: bool = Field(default=False)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recorded_by: int = Field(foreign_key="users.id", sa_type=BigId)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class FollowUpStatus(StrEnum):
    due = "due"
    done = "done"
    cancelled = "cancelled"


class FollowUp(Syncable, table=True):
    """A scheduled check, N months into a placement, that the worker still holds the job."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        enum_check("status", FollowUpStatus),
        sa.UniqueConstraint("employment_id", "months"),
        sa.Index("ix_follow_ups_region_status_due", "region_code", "status", "due_date"),
        sa.Index("ix_follow_ups_region_change_seq", "region_code", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    employment_id: int = Field(foreign_key="employments.id", sa_type=BigId)
    worker_id: int = Field(foreign_key="workers.id", index=True, sa_type=BigId)
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    months: int
    due_date: date
    status: str = Field(default=FollowUpStatus.due.value, sa_type=sa.String(10))
    still_employed: bool | None = None
    monthly_wage_fen: int | None = Field(default=None, sa_type=sa.BigInteger)
    notes: str | None = Field(default=None, max_length=2000)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_by: int | None = Field(default=None, foreign_key="users.id", sa_type=BigId)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
