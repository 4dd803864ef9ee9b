"""Sealing entries into the chain: the audit keys, an entry's canonical form, its keyed hash.

An entry's hash is HMAC-SHA256, under the entry half of an audit key, of its recorded content,
the hash of the entry before it and the key's id. Whoever rewrites an entry, or relinks the
chain around a deleted one, has to recompute every hash after it — and cannot without the key,
which lives in the environment (JOBPATH_AUDIT_KEYS), never in the database. Every key in the
ring verifies, so rotating the active one leaves older entries verifying.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import Settings, get_settings
from app.core.db import is_postgres
from app.core.keys import KeyRing, load_audit_key_ring
from app.models import AuditEntry

GENESIS = "0" * 64
# Any fixed 64-bit number: the advisory lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK = 0x4A6F_6250_6174_6801
_BATCH = 2000
# One secret, two uses kept apart: sealing entries and signing checkpoints.
_ENTRY_PURPOSE = b"jobpath audit entry v1"
_CHECKPOINT_PURPOSE = b"jobpath audit checkpoint v1"


@dataclass(frozen=True)
class AuditKeys:
    active_kid: str
    entry: dict[str, bytes]
    checkpoint: dict[str, bytes]

    @classmethod
    def from_ring(cls, ring: KeyRing) -> AuditKeys:
        def derive(purpose: bytes) -> dict[str, bytes]:
            return {
                kid: hmac.new(secret, purpose, hashlib.sha256).digest()
                for kid, secret in ring.keys.items()
            }

        return cls(ring.active_kid, derive(_ENTRY_PURPOSE), derive(_CHECKPOINT_PURPOSE))


_loaded: tuple[Settings, AuditKeys] | None = None


def keys() -> AuditKeys:
    """The audit keys of the current settings (loaded again when the settings are)."""
    global _loaded
    settings = get_settings()
    if _loaded is None or _loaded[0] is not settings:
        _loaded = (settings, AuditKeys.from_ring(load_audit_key_ring(settings)))
    return _loaded[1]


def _canonical(entry: AuditEntry, *, keyed: bool) -> bytes:
    content = {
        "prev": entry.prev_hash,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "region_code": entry.region_code,
        "changes": entry.changes,
        "request_id": entry.request_id,
    }
    if keyed:
        content["kid"] = entry.kid
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def legacy_hash(entry: AuditEntry) -> str:
    """The unkeyed SHA-256 a chain written before audit keys used (anyone can compute it)."""
    return hashlib.sha256(_canonical(entry, keyed=False)).hexdigest()


def _keyed_hash(entry: AuditEntry, key: bytes) -> str:
    return hmac.new(key, _canonical(entry, keyed=True), hashlib.sha256).hexdigest()


def seal(entry: AuditEntry, *, prev: str, audit_keys: AuditKeys) -> None:
    """Link ``entry`` after the hash ``prev`` and seal it with the active key."""
    entry.prev_hash, entry.kid = prev, audit_keys.active_kid
    entry.hash = _keyed_hash(entry, audit_keys.entry[audit_keys.active_kid])


def fault(entry: AuditEntry, *, prev: str, audit_keys: AuditKeys) -> str | None:
    """Why ``entry`` cannot follow the hash ``prev`` in a sealed chain, or None."""
    if entry.prev_hash != prev:
        return "broken_link"
    if entry.kid is None:
        return "unsealed"
    key = audit_keys.entry.get(entry.kid)
    if key is None:
        return "unknown_key"
    if not hmac.compare_digest(_keyed_hash(entry, key), entry.hash):
        return "hash_mismatch"
    return None


async def lock(session: AsyncSession) -> None:
    """Hold the chain until the transaction ends (PostgreSQL; SQLite's writes are serial)."""
    if is_postgres(session):
        await session.execute(select(func.pg_advisory_xact_lock(_CHAIN_LOCK)))


async def head(session: AsyncSession) -> tuple[int, str] | None:
    """The id and hash of the chain's last entry."""
    row = (
        await session.execute(
            select(col(AuditEntry.id), col(AuditEntry.hash))
            .order_by(col(AuditEntry.id).desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    entry_id, entry_hash = row
    return (entry_id, entry_hash) if entry_id is not None else None


async def walk(session: AsyncSession) -> AsyncIterator[AuditEntry]:
    """Every entry in chain order, read in batches; each batch's changes are flushed and the
    batch let go before the next (the chain is never all in memory)."""
    after_id = 0
    while True:
        batch = (
            await session.scalars(
                select(AuditEntry)
                .where(col(AuditEntry.id) > after_id)
                .order_by(col(AuditEntry.id))
                .limit(_BATCH)
            )
        ).all()
        if not batch:
            return
        for entry in batch:
            yield entry
        after_id = batch[-1].id or 0
        await session.flush()
        session.expunge_all()
