from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.models import Role
from app.schemas.common import MAX_ID, RequestModel, ResponseModel
from app.schemas.regions import DIVISION_CODE

USERNAME = r"^[a-z0-9][a-z0-9._-]{2,63}$"


class UserRead(ResponseModel):
    id: int
    username: str
    full_name: str
    role: Role
    region_code: str | None
    employer_id: int | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    version: int


class UserCreate(RequestModel):
    username: str = Field(pattern=USERNAME, description="Lower-case letters, digits, . _ -")
    full_name: str = Field(min_length=1, max_length=100)
    role: Role
    region_code: str | None = Field(default=None, pattern=DIVISION_CODE)
    employer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    password: str = Field(min_length=1, max_length=1024)


class UserUpdate(RequestModel):
    full_name: str | None = Field(default=None, min_length=1, max_length=100)
    role: Role | None = None
    region_code: str | None = Field(default=None, pattern=DIVISION_CODE)
    employer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    is_active: bool | None = None


class PasswordReset(RequestModel):
    password: str = Field(min_length=1, max_length=1024)
