from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.models import PovertyCause, PovertyStatus
from app.schemas.common import Notes, RegionCode, RequestModel, ResponseModel
from app.schemas.workers import WorkerSummary

HOUSEHOLD_NUMBER = r"^[0-9A-Za-z-]{4,30}$"


class HouseholdCreate(RequestModel):
    household_number: str = Field(pattern=HOUSEHOLD_NUMBER)
    region_code: RegionCode = Field(description="The household's village (or township).")
    poverty_status: PovertyStatus
    poverty_causes: list[PovertyCause] = Field(default_factory=list, max_length=7)
    address: str | None = Field(default=None, max_length=200)
    notes: Notes | None = None


class HouseholdUpdate(RequestModel):
    region_code: RegionCode | None = None
    poverty_status: PovertyStatus | None = None
    poverty_causes: list[PovertyCause] | None = Field(default=None, max_length=7)
    address: str | None = Field(default=None, max_length=200)
    notes: Notes | None = None


class HouseholdSummary(ResponseModel):
    id: int
    household_number: str
    region_code: str
    poverty_status: PovertyStatus
    poverty_causes: list[PovertyCause]
    version: int
    updated_at: datetime
    deleted: bool = Field(default=False, description="A tombstone (offline sync only).")


class HouseholdRead(HouseholdSummary):
    address: str | None
    notes: str | None
    identified_year: int | None = Field(
        description="The year the household was identified as poor (建档立卡识别年份)."
    )
    lifted_year: int | None = Field(
        description="The year it was lifted out of poverty (脱贫年份); set when its status "
        "becomes `lifted`, or brought in from the registry by an admin."
    )
    created_at: datetime
    members: list[WorkerSummary]
