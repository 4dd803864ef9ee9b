"""The history columns of a registry file (admins only): a labourer's registration day, the
household's identification and lift-out years, and a past job per row (a labourer with
several past jobs has a row for each, the same ID number repeated). Each row's history goes
in through the admin backfill (:mod:`app.services.backfill`), so it is bounded, audited and
repeatable exactly as that route's entries are. The layout is in docs/import-format.md.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.models import EmploymentKind, EndReason
from app.schemas.backfill import (
    BackfillEntry,
    EmploymentEntry,
    PovertyYearsEntry,
    RegistrationEntry,
)
from app.schemas.common import RegionCode

# field → header aliases (Chinese first), as registry.COLUMNS.
COLUMNS: dict[str, tuple[str, ...]] = {
    "registered_on": ("建档立卡日期", "识别日期", "建档日期", "registered_on"),
    "identified_year": ("识别年份", "建档立卡年份", "identified_year"),
    "lifted_year": ("脱贫年份", "lifted_year"),
    "job_kind": ("就业形式", "就业类型", "job_kind"),
    "job_start": ("就业开始日期", "务工开始日期", "job_start"),
    "job_end": ("就业结束日期", "务工结束日期", "job_end"),
    "job_end_reason": ("离岗原因", "job_end_reason"),
    "job_monthly_wage": ("月工资（元）", "月工资(元)", "月收入（元）", "job_monthly_wage"),
    "job_region_code": ("务工地区代码", "就业地区代码", "job_region_code"),
    "job_organised_export": ("有组织劳务输出", "job_organised_export"),
}
VALUES: dict[str, dict[str, str]] = {
    "job_kind": {"企业务工": "job", "就业": "job", "务工": "job", "扶贫车间": "workshop",
                 "车间": "workshop", "公益性岗位": "assistance_post", "自主创业": "self_employed",
                 "自主就业": "self_employed", "外出务工": "migrant", "外出": "migrant"},
    "job_end_reason": {"辞职": "resigned", "辞退": "dismissed", "合同到期": "contract_ended",
                       "企业关闭": "business_closed", "因病": "illness", "迁出": "moved_away",
                       "其他": "other"},
    "job_organised_export": {"是": "true", "否": "false"},
}  # fmt: skip
FIELDS = frozenset(COLUMNS)

_DAY = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0?0:00(?::00)?)?"
)


def _registry_day(value: Any) -> Any:
    """A day as registries write it: 2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日, or an
    Excel date cell (read as ``2024-03-01 00:00:00``)."""
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, str):
        return value
    match = _DAY.fullmatch(value.strip())
    if match is None:
        raise PydanticCustomError("date_format", "a day such as 2024-03-01 or 2024年3月1日")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise PydanticCustomError("date_format", "no such day in the calendar") from exc


def _yuan_to_fen(value: Any) -> Any:
    """Wages are written in yuan (3500, 3500.5); JobPath keeps integer fen."""
    if value is None or isinstance(value, int):
        return value
    try:
        yuan = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation as exc:
        raise PydanticCustomError("money_format", "an amount in yuan, e.g. 3500.50") from exc
    fen = yuan * 100
    if fen != fen.to_integral_value() or fen < 0:
        raise PydanticCustomError("money_format", "an amount in yuan, at most 2 decimals")
    return int(fen)


RegistryDay = Annotated[date, BeforeValidator(_registry_day)]
YuanAsFen = Annotated[int, BeforeValidator(_yuan_to_fen), Field(ge=0, le=10_000_000_00)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class RowHistory(BaseModel):
    """The history columns of one row (all optional)."""

    registered_on: RegistryDay | None = None
    identified_year: Year | None = None
    lifted_year: Year | None = None
    job_kind: EmploymentKind | None = None
    job_start: RegistryDay | None = None
    job_end: RegistryDay | None = None
    job_end_reason: EndReason | None = None
    job_monthly_wage: YuanAsFen | None = None
    job_region_code: RegionCode | None = None
    job_organised_export: bool | None = None

    @model_validator(mode="after")
    def _a_job_has_a_start(self) -> RowHistory:
        named = (self.job_kind, self.job_end, self.job_end_reason, self.job_monthly_wage,
                 self.job_region_code, self.job_organised_export)  # fmt: skip
        if self.job_start is None and any(v is not None for v in named):
            raise PydanticCustomError("job_start_missing", "a past job needs its start day")
        return self

    @field_validator("job_end")
    @classmethod
    def _ends_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("job_start")
        if value is not None and start is not None and value < start:
            raise PydanticCustomError("range_reversed", "the job ends before it starts")
        return value

    @field_validator("lifted_year")
    @classmethod
    def _lifted_after_identified(cls, value: int | None, info: ValidationInfo) -> int | None:
        identified = info.data.get("identified_year")
        if value is not None and identified is not None and value < identified:
            raise PydanticCustomError(
                "range_reversed", "the lift-out year is before the identification year"
            )
        return value

    def given(self) -> bool:
        return bool(self.model_fields_set)

    def entries(self, *, worker_id: int, household_id: int) -> list[BackfillEntry]:
        out: list[BackfillEntry] = []
        if self.registered_on is not None:
            out.append(RegistrationEntry(kind="registration", worker_id=worker_id,
                                         registered_on=self.registered_on))  # fmt: skip
        if {"identified_year", "lifted_year"} & self.model_fields_set:
            out.append(PovertyYearsEntry(kind="poverty_years", household_id=household_id,
                                         identified_year=self.identified_year,
                                         lifted_year=self.lifted_year))  # fmt: skip
        if self.job_start is not None:
            ended = self.job_end is not None
            out.append(EmploymentEntry(
                kind="employment", worker_id=worker_id,
                employment_kind=self.job_kind or EmploymentKind.job, start_date=self.job_start,
                end_date=self.job_end,
                end_reason=(self.job_end_reason or EndReason.other) if ended else None,
                monthly_wage_fen=self.job_monthly_wage, work_region_code=self.job_region_code,
                organised_export=bool(self.job_organised_export),
            ))  # fmt: skip
        return out


# A backfill entry's field → the row's column field, for the report.
ENTRY_FIELDS = {"registered_on": "registered_on", "identified_year": "identified_year",
                "lifted_year": "lifted_year", "start_date": "job_start", "end_date": "job_end",
                "end_reason": "job_end_reason", "monthly_wage_fen": "job_monthly_wage",
                "work_region_code": "job_region_code", "employment_kind": "job_kind",
                "worker_id": "id_number", "household_id": "household_number"}  # fmt: skip
