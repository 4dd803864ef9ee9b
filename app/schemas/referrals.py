from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from app.masking import mask_id_number, mask_phone
from app.models import ReferralStatus, Sex, Skill
from app.schemas.common import MAX_ID, Fen, IsoDate, RequestModel, ResponseModel


class ReferralCreate(RequestModel):
    worker_id: int = Field(ge=1, le=MAX_ID)
    vacancy_id: int = Field(ge=1, le=MAX_ID)
    event_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The recruitment event, if any."
    )
    notes: str | None = Field(default=None, max_length=2000)


class Hire(RequestModel):
    start_date: IsoDate = Field(
        description="From the day the referral was made to 30 days ahead; older history comes "
        "in through the admin backfill."
    )
    monthly_wage_fen: Fen | None = None
    title: str | None = Field(default=None, max_length=100)


class Decision(RequestModel):
    reason: str = Field(min_length=1, max_length=500)


class ReferredWorker(ResponseModel):
    """The referred worker as an employer sees them: personal data masked."""

    full_name: str
    sex: Sex
    age: int
    skills: list[Skill]
    id_number: str
    phone: str | None


class ReferralRead(ResponseModel):
    id: int
    worker_id: int
    vacancy_id: int
    employer_id: int
    caseworker_id: int
    event_id: int | None
    status: ReferralStatus
    notes: str | None
    decision_reason: str | None
    decided_at: datetime | None
    interviewed_at: datetime | None = Field(
        description="When the employer interviewed the worker (kept after a later decision)."
    )
    employment_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = False
    worker: ReferredWorker

    @classmethod
    def from_row(cls, row: Any) -> ReferralRead:
        referral = row[0]
        data = {k: getattr(referral, k) for k in cls.model_fields if hasattr(referral, k)}
        born: IsoDate = row.worker_birth_date
        today = datetime.now(UTC).date()
        data["worker"] = ReferredWorker(
            full_name=row.worker_full_name,
            sex=row.worker_sex,
            age=today.year - born.year - ((today.month, today.day) < (born.month, born.day)),
            skills=row.worker_skills,
            id_number=mask_id_number(row.worker_id_number) or "",
            phone=mask_phone(row.worker_phone),
        )
        return cls.model_validate(data)
