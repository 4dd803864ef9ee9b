from __future__ import annotations

from pydantic import Field

from app.models import RegionLevel
from app.schemas.common import RequestModel, ResponseModel

DIVISION_CODE = r"^\d{6,12}$"


class RegionRead(ResponseModel):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None


class RegionDetail(RegionRead):
    ancestors: list[RegionRead] = Field(description="From the root down to the parent.")
    children: list[RegionRead]


class RegionCreate(RequestModel):
    code: str = Field(pattern=DIVISION_CODE, description="Administrative-division code.")
    name: str = Field(min_length=1, max_length=100)
    level: RegionLevel
    parent_code: str | None = Field(default=None, pattern=DIVISION_CODE)


class RegionUpdate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
