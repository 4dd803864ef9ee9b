"""A caseworker's referral of a worker to a vacancy, and its outcome."""

from __future__ import annotations

from datetime import datetime
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


class ReferralStatus(StrEnum):
    referred = "referred"
    interviewed = "interviewed"
    hired = "hired"
    declined = "declined"
    withdrawn = "withdrawn"


class Referral(Syncable, table=True):
    __tablename__ = "referrals"
    __table_args__ = (
        enum_check("status", ReferralStatus),
        sa.UniqueConstraint("worker_id", "vacancy_id"),
        sa.Index("ix_referrals_vacancy_id_id", "vacancy_id", "id"),
        sa.Index("ix_referrals_employer_id_id", "employer_id", "id"),
        sa.Index("ix_referrals_region_code_id", "region_code", "id"),
        sa.Index("ix_referrals_region_change_seq", "region_code", "change_seq"),
        sa.Index("ix_referrals_employer_change_seq", "employer_id", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    worker_id: int = Field(foreign_key="workers.id", sa_type=BigId)
    vacancy_id: int = Field(foreign_key="vacancies.id", sa_type=BigId)
    # Denormalised for scope: the worker's region (caseworkers) and the vacancy's employer.
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    employer_id: int = Field(foreign_key="employers.id", sa_type=BigId)
    caseworker_id: int = Field(foreign_key="users.id", sa_type=BigId)
    event_id: int | None = Field(
        default=None, foreign_key="recruitment_events.id", index=True, sa_type=BigId
    )
    status: str = Field(default=ReferralStatus.referred.value, sa_type=sa.String(12))
    notes: str | None = Field(default=None, max_length=2000)
    decision_reason: str | None = Field(default=None, max_length=500)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the employer interviewed the worker: kept after a later decision, so an event's
    # funnel counts a declined (or withdrawn) referral as interviewed if it was.
    interviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    employment_id: int | None = Field(default=None, sa_type=BigId)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
