"""Users, their sign-in sessions (refresh-token families) and the failed-login throttle."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import (
    BigId,
    UTCDateTime,
    Versioned,
    created_at_field,
    enum_check,
    updated_at_field,
)


class Role(StrEnum):
    caseworker = "caseworker"
    employer = "employer"
    auditor = "auditor"
    admin = "admin"


class User(Versioned, table=True):
    __tablename__ = "users"
    __table_args__ = (enum_check("role", Role),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=100)
    role: str = Field(sa_type=sa.String(16))
    region_code: str | None = Field(
        default=None, foreign_key="regions.code", index=True, max_length=12
    )
    employer_id: int | None = Field(
        default=None, foreign_key="employers.id", index=True, sa_type=BigId
    )
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    # Bumped when the password changes or the user is deactivated: older tokens stop working.
    token_version: int = Field(default=1)
    password_changed_at: datetime = created_at_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class AuthSession(SQLModel, table=True):
    """One sign-in on one device: the family of refresh tokens rotated from it."""

    __tablename__ = "auth_sessions"

    id: str = Field(primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="users.id", index=True, sa_type=BigId)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=40)
    user_agent: str | None = Field(default=None, max_length=200)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    jti: str = Field(primary_key=True, max_length=36)
    session_id: str = Field(foreign_key="auth_sessions.id", index=True, max_length=36)
    token_hash: str = Field(max_length=64, unique=True)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    token_version: int
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    successor_jti: str | None = Field(default=None, max_length=36)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per account and per client address, shared by every app process."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=120)
    failures: int = Field(default=0)
    window_started_at: datetime = Field(sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
