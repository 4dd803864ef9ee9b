from __future__ import annotations

from datetime import datetime

from pydantic import Field

from app.models import EmployerKind
from app.schemas.common import CreditCode, MobilePhone, RegionCode, RequestModel, ResponseModel


class EmployerCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    credit_code: CreditCode
    kind: EmployerKind
    region_code: RegionCode
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: MobilePhone | None = None
    address: str | None = Field(default=None, max_length=300)


class EmployerUpdate(RequestModel):
    """What an employer user may change about their own employer; admins may also change the
    kind and region."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: MobilePhone | None = None
    address: str | None = Field(default=None, max_length=300)
    kind: EmployerKind | None = None
    region_code: RegionCode | None = None


class EmployerRead(ResponseModel):
    id: int
    name: str
    credit_code: str
    kind: EmployerKind
    region_code: str
    contact_name: str | None
    contact_phone: str | None
    address: str | None
    verified: bool
    verified_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
