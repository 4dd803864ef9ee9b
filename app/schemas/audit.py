from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

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
    kid: str | None = Field(description="The audit key that sealed this entry's hash.")


class CheckpointRead(ResponseModel):
    """A signed head of the whole chain (all regions): its first ``entries`` entries end with
    entry ``last_entry_id``, whose hash is ``last_hash``."""

    id: int
    at: datetime
    entries: int
    last_entry_id: int
    last_hash: str
    kid: str = Field(description="The audit key that signed it.")
    token: str = Field(
        description="The checkpoint as a compact JWS (HS256). Keep it outside JobPath and "
        "pass it to GET /audit-log/verify?checkpoint=… later: the chain must still hold it."
    )


class PinRead(ResponseModel):
    source: Literal["stored", "token"]
    id: int | None = Field(description="The stored checkpoint's id (none for a token).")
    at: datetime
    entries: int
    last_entry_id: int
    last_hash: str
    kid: str


class KeyUseRead(ResponseModel):
    kid: str
    entries: int
    first_entry_id: int
    last_entry_id: int


class ChainReportRead(ResponseModel):
    valid: bool
    entries_checked: int
    first_broken_id: int | None
    reason: (
        Literal[
            "broken_link", "unsealed", "unknown_key", "hash_mismatch", "checkpoint_mismatch",
            "truncated", "checkpoint_forged",
        ]
        | None
    )  # fmt: skip
    last_hash: str
    detail: str | None = Field(description="What is wrong, in words.")
    keys: list[KeyUseRead] = Field(description="Which audit key sealed which entries.")
    checkpoints_checked: int = Field(description="Stored checkpoints and tokens that held.")
    latest_checkpoint: PinRead | None = Field(description="The furthest one that held.")
    broken_checkpoint: PinRead | None = Field(description="The one the chain no longer holds.")
