from __future__ import annotations

from datetime import datetime
from typing import Any

from app.schemas.common import ResponseModel


class AuditEntryRead(ResponseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    resource_type: str
    resource_id: str
    region_code: str | None
    changes: dict[str, Any] | None
    request_id: str | None
    prev_hash: str
    hash: str


class ChainReportRead(ResponseModel):
    valid: bool
    entries_checked: int
    first_broken_id: int | None
    reason: str | None
    last_hash: str
