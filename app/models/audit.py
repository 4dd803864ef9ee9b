"""The audit log: append-only, each entry chained to the one before by its hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import BigId, UTCDateTime


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_resource", "resource_type", "resource_id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, index=True, sa_type=BigId)
    actor_role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=60, index=True)
    resource_type: str = Field(max_length=40)
    resource_id: str = Field(max_length=64)
    region_code: str | None = Field(default=None, max_length=12, index=True)
    changes: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON, nullable=True)
    request_id: str | None = Field(default=None, max_length=128)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
