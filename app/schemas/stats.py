from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.models import TargetMetric
from app.schemas.common import IsoDate, RegionCode, RequestModel, ResponseModel


class TargetCreate(RequestModel):
    region_code: RegionCode
    year: int = Field(ge=2000, le=2100)
    metric: TargetMetric
    value: int = Field(ge=0, le=10_000_000)


class TargetUpdate(RequestModel):
    value: int = Field(ge=0, le=10_000_000)


class TargetRead(ResponseModel):
    id: int
    region_code: str
    year: int
    metric: TargetMetric
    value: int
    version: int
    created_at: datetime
    updated_at: datetime


class StationCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    region_code: RegionCode
    address: str | None = Field(default=None, max_length=200)


class StationRead(ResponseModel):
    id: int
    name: str
    region_code: str
    address: str | None
    version: int
    created_at: datetime


class Indicator(ResponseModel):
    key: str
    label: str
    numerator: int
    denominator: int | None = Field(description="Null for a plain count.")
    # int first: a count stays an integer in the answer (623, not 623.0) and in the schema.
    value: int | float | None = Field(
        description="numerator / denominator for a rate (null when the denominator is 0); "
        "the count itself, an integer, otherwise."
    )


class ClaimFigures(ResponseModel):
    policy_code: str
    status: str
    claims: int
    claimed_fen: int
    approved_fen: int
    paid_fen: int
    currency: Literal["CNY"] = "CNY"


class Overview(ResponseModel):
    region_code: str
    region_name: str
    year: int
    as_of: IsoDate = Field(
        description="The day the figures are judged on (`?as_of=`, or today): the year's "
        "facts up to it count, by the dates they carry."
    )
    provisional: bool = Field(
        description="True while the year's stable-employment figure can still change: a job "
        "started in the year may yet reach the stable period (until `final_on`)."
    )
    final_on: IsoDate = Field(
        description="The day the year's figures become final: 31 December plus the "
        "stable-employment period (180 days)."
    )
    indicators: list[Indicator]
    claims: list[ClaimFigures]
    organisations: dict[str, int] = Field(description="workshops, bases, service_stations")


class BreakdownRow(ResponseModel):
    key: str
    label: str
    values: dict[str, int | float | None]


class Breakdown(ResponseModel):
    region_code: str
    year: int
    by: str
    columns: list[str]
    rows: list[BreakdownRow]
