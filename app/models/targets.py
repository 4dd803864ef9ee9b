"""Yearly targets per region, and the employment service stations counted by the indicators."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import BigId, Versioned, created_at_field, enum_check, updated_at_field


class TargetMetric(StrEnum):
    employment_assistance = "employment_assistance"
    training = "training"


class Target(Versioned, table=True):
    __tablename__ = "targets"
    __table_args__ = (
        enum_check("metric", TargetMetric),
        sa.UniqueConstraint("region_code", "year", "metric"),
        sa.CheckConstraint("value >= 0", name="value"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    region_code: str = Field(foreign_key="regions.code", max_length=12)
    year: int
    metric: str = Field(sa_type=sa.String(24))
    value: int
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class ServiceStation(Versioned, table=True):
    """An employment service station (就业服务站)."""

    __tablename__ = "service_stations"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    name: str = Field(max_length=100)
    region_code: str = Field(foreign_key="regions.code", index=True, max_length=12)
    address: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
