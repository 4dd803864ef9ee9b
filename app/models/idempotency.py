"""Stored answers to POSTs sent with an ``Idempotency-Key``, per user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import BigId, UTCDateTime, created_at_field


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    user_id: int = Field(foreign_key="users.id", sa_type=BigId)
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_code: int | None = None
    response_body: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
