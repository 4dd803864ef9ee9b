from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from app.models import Payee, PolicyRule, Unit
from app.schemas.common import Fen, IsoDate, RegionCode, RequestModel, ResponseModel

Distance = Literal["in_county", "in_province", "out_of_province"]


class PolicyConditions(RequestModel):
    """The numbers a rule checks; what each rule uses is in the policy's description."""

    min_employment_days: int | None = Field(default=None, ge=0, le=3650)
    employer_kinds: list[str] | None = None
    requires_organised_export: bool | None = None
    amounts_by_distance: (
        dict[Literal["in_county", "in_province", "out_of_province"], Fen] | None
    ) = None


class PolicyCreate(RequestModel):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1, max_length=100)
    rule: PolicyRule
    payee: Payee
    amount_fen: Fen
    unit: Unit
    max_units: int = Field(ge=1, le=120)
    conditions: PolicyConditions = Field(default_factory=PolicyConditions)
    review_stages: list[str] = Field(
        default_factory=lambda: ["district_approval"], min_length=1, max_length=5
    )
    notice_days: int = Field(default=5, ge=0, le=60)
    valid_from: IsoDate
    valid_to: IsoDate | None = None
    region_code: RegionCode

    @model_validator(mode="after")
    def _dates(self) -> PolicyCreate:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise PydanticCustomError("range_reversed", "valid_to must not be before valid_from")
        return self


class PolicyUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    amount_fen: Fen | None = None
    max_units: int | None = Field(default=None, ge=1, le=120)
    conditions: PolicyConditions | None = None
    review_stages: list[str] | None = Field(default=None, min_length=1, max_length=5)
    notice_days: int | None = Field(default=None, ge=0, le=60)
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None


class PolicyRead(ResponseModel):
    id: int
    code: str
    name: str
    rule: PolicyRule
    payee: Payee
    amount_fen: int
    currency: Literal["CNY"] = "CNY"
    unit: Unit
    max_units: int
    conditions: dict[str, Any]
    review_stages: list[str]
    notice_days: int
    valid_from: IsoDate
    valid_to: IsoDate | None
    region_code: str
    version: int
    created_at: datetime
    updated_at: datetime
