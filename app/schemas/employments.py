from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.models import EmploymentKind, EndReason, FollowUpStatus
from app.schemas.common import (
    MAX_ID,
    Fen,
    IsoDate,
    RegionCode,
    RequestModel,
    ResponseModel,
)


class EmploymentCreate(RequestModel):
    """A job a caseworker records that came without a referral."""

    worker_id: int = Field(ge=1, le=MAX_ID)
    kind: EmploymentKind
    employer_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Optional for self-employment and migrant work."
    )
    title: str | None = Field(default=None, max_length=100)
    start_date: IsoDate = Field(
        description="From the day the worker was registered to 30 days ahead; older history "
        "comes in through the admin backfill."
    )
    monthly_wage_fen: Fen | None = None
    work_region_code: RegionCode | None = None
    work_place: str | None = Field(default=None, max_length=200)
    organised_export: bool = Field(
        default=False, description="Placed by organised labour export outside the home county."
    )


class EmploymentEnd(RequestModel):
    end_date: IsoDate = Field(
        description="From the start to today (the start itself for a job not yet begun)."
    )
    end_reason: EndReason


class EmploymentRead(ResponseModel):
    id: int
    worker_id: int
    employer_id: int | None
    vacancy_id: int | None
    referral_id: int | None
    region_code: str
    kind: EmploymentKind
    title: str | None
    start_date: IsoDate
    end_date: IsoDate | None
    end_reason: EndReason | None
    monthly_wage_fen: int | None
    currency: Literal["CNY"] = "CNY"
    work_region_code: str | None
    work_place: str | None
    organised_export: bool
    confirmed_by_employer: bool
    confirmed_at: datetime | None
    stable: bool = Field(description="Lasted the stable-employment period (180 days).")
    stable_since: IsoDate | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = False


class FollowUpRecord(RequestModel):
    still_employed: bool
    monthly_wage_fen: Fen | None = None
    end_reason: EndReason | None = Field(default=None, description="When the job was left.")
    checked_on: IsoDate | None = Field(
        default=None, description="From the employment's start to today; defaults to today."
    )
    notes: str | None = Field(default=None, max_length=2000)


class FollowUpRead(ResponseModel):
    id: int
    employment_id: int
    worker_id: int
    region_code: str
    months: int
    due_date: IsoDate
    status: FollowUpStatus
    still_employed: bool | None
    monthly_wage_fen: int | None
    notes: str | None
    checked_at: datetime | None
    checked_by: int | None
    version: int
    updated_at: datetime
    deleted: bool = Field(default=False, description="A tombstone (offline sync only).")
