"""Checkpoints: the chain's head, signed, kept in a table and published outside the database.

A checkpoint says "the chain's first N entries end with entry I, whose hash is H", at time T,
signed with the checkpoint half of an audit key. Its token is a compact JWS (HS256, the key's
id in the header) that any JWT library can read: the log line an operator ships and the token
an auditor keeps both carry it, and verify takes it back to prove the chain still holds that
head — which a database administrator cannot fake by deleting the stored checkpoints.

Checkpoints are whole-chain: they name a count and a hash, nothing of any region's records.
``at_head`` is the one way to make one, given the head; whoever appends to the chain calls it
(today record_many under the chain lock; a sequencer sealing batches could do the same).
A checkpoint is logged only once its transaction has committed: a published head must exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import event, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from app.errors import Unprocessable
from app.models import AuditCheckpoint, AuditEntry
from app.models.base import utcnow
from app.services.audit.chain import AuditKeys, keys

logger = logging.getLogger("jobpath.audit")
TOKEN_TYPE = "jobpath-audit-checkpoint"
MAX_TOKEN_CHARS = 1024
_PENDING = "jobpath_audit_checkpoints"


class InvalidCheckpoint(Unprocessable):
    code, title = "invalid_checkpoint", "Not a checkpoint this service signed"


@dataclass(frozen=True)
class Pin:
    """A head the chain must still hold: a stored checkpoint, or a token handed back."""

    source: Literal["stored", "token"]
    id: int | None
    entries: int
    last_entry_id: int
    last_hash: str
    at: datetime
    kid: str
    signed: bool = True


class _Header(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    alg: Literal["HS256"]
    kid: str
    typ: Literal["jobpath-audit-checkpoint"]


class _Claims(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entries: int = Field(ge=1, strict=True)
    last_entry_id: int = Field(ge=1, strict=True)
    last_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    at: AwareDatetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _signing_input(cp: AuditCheckpoint) -> str:
    header = {"alg": "HS256", "kid": cp.kid, "typ": TOKEN_TYPE}
    claims = {
        "entries": cp.entries,
        "last_entry_id": cp.last_entry_id,
        "last_hash": cp.last_hash,
        "at": cp.at.isoformat(),
    }
    return f"{_b64(_json(header))}.{_b64(_json(claims))}"


def _mac(signing_input: str, key: bytes) -> str:
    return _b64(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def signed(cp: AuditCheckpoint, audit_keys: AuditKeys) -> bool:
    """Whether a stored checkpoint's signature verifies under the key it names."""
    key = audit_keys.checkpoint.get(cp.kid)
    return key is not None and hmac.compare_digest(_mac(_signing_input(cp), key), cp.signature)


def token(cp: AuditCheckpoint) -> str:
    return f"{_signing_input(cp)}.{cp.signature}"


def pin(cp: AuditCheckpoint, audit_keys: AuditKeys) -> Pin:
    assert cp.id is not None
    return Pin(
        "stored", cp.id, cp.entries, cp.last_entry_id, cp.last_hash, cp.at, cp.kid,
        signed=signed(cp, audit_keys),
    )  # fmt: skip


def read_token(text: str, audit_keys: AuditKeys) -> Pin:
    """The head a token vouches for; InvalidCheckpoint unless one of our keys signed it."""
    parts = text.strip().split(".")
    if len(text) > MAX_TOKEN_CHARS or len(parts) != 3:
        raise InvalidCheckpoint("This is not a checkpoint token (three dot-separated parts).")
    try:
        header = _Header.model_validate_json(_unb64(parts[0]))
        key = audit_keys.checkpoint.get(header.kid)
        if key is None:
            raise InvalidCheckpoint(f"No audit key {header.kid!r} signs checkpoints here.")
        if not hmac.compare_digest(_mac(f"{parts[0]}.{parts[1]}", key), parts[2]):
            raise InvalidCheckpoint("The checkpoint's signature does not verify: it was altered.")
        claims = _Claims.model_validate_json(_unb64(parts[1]))
    except (binascii.Error, ValueError, ValidationError) as exc:
        raise InvalidCheckpoint("This is not a checkpoint token (unreadable parts).") from exc
    return Pin(
        "token", None, claims.entries, claims.last_entry_id, claims.last_hash, claims.at,
        header.kid,
    )  # fmt: skip


async def latest(session: AsyncSession) -> AuditCheckpoint | None:
    return await session.scalar(
        select(AuditCheckpoint).order_by(col(AuditCheckpoint.id).desc()).limit(1)
    )


async def at_head(session: AsyncSession, *, head: tuple[int, str]) -> AuditCheckpoint:
    """A signed checkpoint ending at ``head`` (id, hash of the chain's last entry; call it
    holding the chain lock): the latest one if it already ends there, else a new one."""
    head_id, head_hash = head
    audit_keys, last = keys(), await latest(session)
    trusted = last is not None and signed(last, audit_keys) and last.last_entry_id <= head_id
    if trusted and last is not None and last.last_entry_id == head_id:
        return last
    # Count from the last good checkpoint, not the whole table (an index range of ~N ids).
    base_entries, base_id = (last.entries, last.last_entry_id) if trusted and last else (0, 0)
    counted = await session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(col(AuditEntry.id) > base_id, col(AuditEntry.id) <= head_id)
    )
    made = AuditCheckpoint(
        at=utcnow(),
        entries=base_entries + (counted or 0),
        last_entry_id=head_id,
        last_hash=head_hash,
        kid=audit_keys.active_kid,
        signature="",
    )
    made.signature = _mac(_signing_input(made), audit_keys.checkpoint[audit_keys.active_kid])
    session.add(made)
    await session.flush()
    session.info.setdefault(_PENDING, []).append((made, published(made)))
    return made


def published(cp: AuditCheckpoint) -> dict[str, Any]:
    """What a checkpoint's log line carries: enough to check it, and its token."""
    return {
        "checkpoint_id": cp.id,
        "entries": cp.entries,
        "last_entry_id": cp.last_entry_id,
        "last_hash": cp.last_hash,
        "at": cp.at.isoformat(),
        "kid": cp.kid,
        "token": token(cp),
    }


# Both events fire for savepoints too; only the outermost transaction decides.
@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for made, line in session.info.pop(_PENDING, []):
        # One made inside a savepoint that was rolled back never existed: not published.
        if sa_inspect(made).persistent:
            logger.info("audit checkpoint", extra=line)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)
