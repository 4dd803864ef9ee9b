"""The audit log: append-only, each entry chained to the one before by a keyed hash, and the
signed checkpoints that pin the chain's head (see app.services.audit)."""

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
    # The audit key that sealed ``hash`` (HMAC-SHA256); None only on a chain written before
    # keys existed, which `jobpath migrate` seals once and verify never accepts.
    kid: str | None = Field(default=None, max_length=32)


class AuditCheckpoint(SQLModel, table=True):
    """The chain's head as it was at ``at``: its first ``entries`` entries end with entry
    ``last_entry_id`` whose hash is ``last_hash``, signed with audit key ``kid``. Also
    published outside the database (a log line, the token an auditor keeps)."""

    __tablename__ = "audit_checkpoints"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    at: datetime = Field(sa_type=UTCDateTime)
    entries: int = Field(sa_type=sa.BigInteger, index=True)
    last_entry_id: int = Field(sa_type=BigId)
    last_hash: str = Field(max_length=64)
    kid: str = Field(max_length=32)
    signature: str = Field(max_length=64)
