from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.models import JobType, Skill, VacancyStatus
from app.schemas.common import Fen, RegionCode, RequestModel, ResponseModel


class _WageRange(RequestModel):
    @field_validator("wage_max_fen", check_fields=False)
    @classmethod
    def _range(cls, high: int | None, info: ValidationInfo) -> int | None:
        # Reported on body.wage_max_fen, as an edit that turns the range over is.
        low = info.data.get("wage_min_fen")
        if low is not None and high is not None and high < low:
            raise PydanticCustomError(
                "range_reversed", "wage_max_fen must not be below wage_min_fen"
            )
        return high


class VacancyCreate(_WageRange):
    title: str = Field(min_length=1, max_length=100)
    job_type: JobType
    required_skills: list[Skill] = Field(default_factory=list, max_length=10)
    description: str | None = Field(default=None, max_length=4000)
    openings: int = Field(ge=1, le=10_000)
    wage_min_fen: Fen
    wage_max_fen: Fen | None = None
    work_region_code: RegionCode
    housing_offered: bool = False
    disability_friendly: bool = False


class VacancyUpdate(_WageRange):
    title: str | None = Field(default=None, min_length=1, max_length=100)
    job_type: JobType | None = None
    required_skills: list[Skill] | None = Field(default=None, max_length=10)
    description: str | None = Field(default=None, max_length=4000)
    openings: int | None = Field(default=None, ge=1, le=10_000)
    wage_min_fen: Fen | None = None
    wage_max_fen: Fen | None = None
    work_region_code: RegionCode | None = None
    housing_offered: bool | None = None
    disability_friendly: bool | None = None


class VacancyRead(ResponseModel):
    id: int
    employer_id: int
    title: str
    job_type: JobType
    required_skills: list[Skill]
    description: str | None
    openings: int
    filled: int
    wage_min_fen: int
    wage_max_fen: int | None
    currency: Literal["CNY"] = "CNY"
    work_region_code: str
    housing_offered: bool
    disability_friendly: bool
    status: VacancyStatus
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = False
