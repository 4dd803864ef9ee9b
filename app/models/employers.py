"""Employers: enterprises, cooperatives, poverty-alleviation workshops and employment bases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import (
    BigId,
    UTCDateTime,
    Versioned,
    created_at_field,
    enum_check,
    updated_at_field,
)


class EmployerKind(StrEnum):
    enterprise = "enterprise"
    cooperative = "cooperative"
    workshop = "workshop"
    base = "base"


class Employer(Versioned, table=True):
    __tablename__ = "employers"
    __table_args__ = (enum_check("kind", EmployerKind),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18, unique=True)
    kind: str = Field(sa_type=sa.String(16))
    region_code: str = Field(foreign_key="regions.code", index=True, max_length=12)
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=300)
    verified: bool = Field(default=False)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
