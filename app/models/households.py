"""Registered poor households; their members are workers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import (
    BigId,
    JsonList,
    Syncable,
    created_at_field,
    enum_check,
    updated_at_field,
)


class PovertyStatus(StrEnum):
    in_poverty = "in_poverty"
    lifted = "lifted"
    monitored = "monitored"


class PovertyCause(StrEnum):
    illness = "illness"
    disability = "disability"
    lack_of_skills = "lack_of_skills"
    lack_of_labour = "lack_of_labour"
    education_costs = "education_costs"
    disaster = "disaster"
    other = "other"


class Household(Syncable, table=True):
    __tablename__ = "households"
    __table_args__ = (
        enum_check("poverty_status", PovertyStatus),
        sa.CheckConstraint(
            "identified_year IS NULL OR identified_year BETWEEN 2000 AND 2100", name="identified"
        ),
        sa.CheckConstraint(
            "lifted_year IS NULL OR (lifted_year BETWEEN 2000 AND 2100 AND "
            "(identified_year IS NULL OR lifted_year >= identified_year))",
            name="lifted",
        ),
        sa.Index("ix_households_region_code_id", "region_code", "id"),
        sa.Index("ix_households_region_change_seq", "region_code", "change_seq"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    household_number: str = Field(max_length=30, unique=True)
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    poverty_status: str = Field(sa_type=sa.String(16))
    poverty_causes: list[str] = Field(default_factory=list, sa_type=JsonList)
    address: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)
    # The year the household was identified as poor (建档立卡 / 识别) and lifted out (脱贫).
    identified_year: int | None = None
    lifted_year: int | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
