"""What every table shares: the naming convention, UTC timestamps, and the version column."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declared_attr
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from app.core.config import get_settings

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def programme_today() -> date:
    """The day it is where the programme runs (``JOBPATH_UTC_OFFSET_HOURS`` from UTC)."""
    return (datetime.now(UTC) + timedelta(hours=get_settings().utc_offset_hours)).date()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on PostgreSQL and on SQLite alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Integer ids: BIGINT on PostgreSQL, the rowid alias INTEGER on SQLite.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def updated_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        index=True,
        sa_column_kwargs={"onupdate": utcnow},
    )


class Versioned(SQLModel):
    """Optimistic locking: every UPDATE carries ``WHERE version = :seen`` and bumps it; the
    version is the resource's ETag."""

    version: int = Field(default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Syncable(Versioned):
    """A record phones keep offline copies of: soft-deleted (a tombstone), and stamped with the
    id of the audit entry of its last change — a sequence in commit order (see
    :func:`app.services.audit.record`), which is what offline sync pages by."""

    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    change_seq: int | None = Field(default=None, sa_type=BigId, index=True)

    @property
    def deleted(self) -> bool:
        """A tombstone: what the read models' ``deleted`` shows a syncing phone."""
        return self.deleted_at is not None


# JSON lists: JSONB (indexable with GIN, `@>` containment) on PostgreSQL, JSON text on SQLite.
JsonList = sa.JSON().with_variant(JSONB(), "postgresql")


def enum_check(column: str, values: Any) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


__all__ = [
    "BigId",
    "JsonList",
    "SQLModel",
    "Syncable",
    "UTCDateTime",
    "Versioned",
    "created_at_field",
    "enum_check",
    "programme_today",
    "updated_at_field",
    "utcnow",
]
