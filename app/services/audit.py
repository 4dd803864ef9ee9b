"""The audit log: the one call every write makes, its reading, and the chain check."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asgi_correlation_id import correlation_id
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from app.core.db import is_postgres
from app.masking import mask_fields
from app.models import AuditEntry
from app.models.base import Syncable, utcnow
from app.pagination import Page, PageParams, paginate
from app.scope import Actor, scope_filter

GENESIS = "0" * 64
# Any fixed 64-bit number: the advisory lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK = 0x4A6F_6250_6174_6801
_VERIFY_BATCH = 2000


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return value


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """``{field: {"before": x, "after": y}}`` for the fields that changed, personal data masked."""
    before = mask_fields({k: _jsonable(v) for k, v in (before or {}).items()})
    after = mask_fields({k: _jsonable(v) for k, v in (after or {}).items()})
    changes: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            entry = {}
            if key in before:
                entry["before"] = old
            if key in after:
                entry["after"] = new
            changes[key] = entry
    return changes


def entry_hash(entry: AuditEntry) -> str:
    canonical = json.dumps(
        {
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
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Change:
    """One state change, as :func:`record_many` appends it to the chain."""

    action: str
    resource_type: str
    resource_id: object
    region_code: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: dict[str, Any] | None = None
    stamp: Syncable | None = None


async def record(
    session: AsyncSession,
    *,
    actor: Actor | None,
    action: str,
    resource_type: str,
    resource_id: object,
    region_code: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: dict[str, Any] | None = None,
    stamp: Syncable | None = None,
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction (call it just before commit:
    on PostgreSQL it holds the chain lock until the transaction ends).

    ``stamp`` is the offline-synced record this entry is about: its ``change_seq`` becomes the
    entry's id. Entry ids are handed out under the chain lock, which is held until commit, so
    change sequences grow in commit order and a phone paging by them never misses a change
    that committed late.
    """
    change = Change(action, resource_type, resource_id, region_code, before, after, note, stamp)
    [entry] = await record_many(session, actor=actor, changes=[change])
    return entry


async def record_many(
    session: AsyncSession, *, actor: Actor | None, changes: Sequence[Change]
) -> list[AuditEntry]:
    """Append an entry per change, in order, as :func:`record` does for one: one lock, one
    read of the chain's end, the inserts in one flush and the stamps in one statement per
    table (a bulk import writes thousands)."""
    if not changes:
        return []
    if is_postgres(session):
        await session.execute(select(func.pg_advisory_xact_lock(_CHAIN_LOCK)))
    prev = await session.scalar(
        select(col(AuditEntry.hash)).order_by(col(AuditEntry.id).desc()).limit(1)
    )
    entries = []
    for change in changes:
        entry = _entry(actor, change, prev or GENESIS)
        entries.append(entry)
        prev = entry.hash
    session.add_all(entries)  # ids follow the order added, and so the chain
    await session.flush()
    await _stamp(session, [(c.stamp, e) for c, e in zip(changes, entries, strict=True) if c.stamp])
    return entries


def _entry(actor: Actor | None, change: Change, prev: str) -> AuditEntry:
    changes = diff(change.before, change.after)
    if change.note:
        note = mask_fields({k: _jsonable(v) for k, v in change.note.items()})
        changes = {**changes, "_note": note}
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_role=actor.role.value if actor else None,
        action=change.action,
        resource_type=change.resource_type,
        resource_id=str(change.resource_id),
        region_code=change.region_code,
        changes=changes or None,
        request_id=correlation_id.get(),
        prev_hash=prev,
        hash="",
    )
    entry.hash = entry_hash(entry)
    return entry


async def _stamp(session: AsyncSession, stamped: list[tuple[Syncable, AuditEntry]]) -> None:
    """Each record's change_seq := its entry's id. A Core UPDATE, one per table: it must not
    count as an edit of the record (no version bump)."""
    by_table: dict[Any, list[tuple[Syncable, AuditEntry]]] = {}
    for record_, entry in stamped:
        by_table.setdefault(type(record_).__table__, []).append((record_, entry))  # type: ignore[attr-defined]
    for table, pairs in by_table.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("record_id"))
            .values(change_seq=bindparam("seq"), updated_at=bindparam("stamped_at"))
        )
        await session.execute(
            stmt,
            [{"record_id": r.id, "seq": e.id, "stamped_at": r.updated_at} for r, e in pairs],  # type: ignore[attr-defined]
        )
        for record_, entry in pairs:
            set_committed_value(record_, "change_seq", entry.id)


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_entries(
    session: AsyncSession, *, actor: Actor, filters: AuditFilters, params: PageParams
) -> Page[AuditEntry]:
    """Newest first; a scoped reader sees the entries of records in their region subtree."""
    stmt = select(AuditEntry).where(scope_filter(actor, region=col(AuditEntry.region_code)))
    if filters.actor_id is not None:
        stmt = stmt.where(col(AuditEntry.actor_id) == filters.actor_id)
    if filters.action:
        stmt = stmt.where(col(AuditEntry.action) == filters.action)
    if filters.resource_type:
        stmt = stmt.where(col(AuditEntry.resource_type) == filters.resource_type)
    if filters.resource_id:
        stmt = stmt.where(col(AuditEntry.resource_id) == filters.resource_id)
    if filters.since:
        stmt = stmt.where(col(AuditEntry.at) >= filters.since)
    if filters.until:
        stmt = stmt.where(col(AuditEntry.at) < filters.until)
    return await paginate(session, stmt, keys=[col(AuditEntry.id)], params=params, descending=True)


@dataclass(frozen=True)
class ChainReport:
    valid: bool
    entries_checked: int
    first_broken_id: int | None
    reason: str | None
    last_hash: str


async def verify_chain(session: AsyncSession) -> ChainReport:
    """Walk the whole chain in id order; report the first entry whose link or hash is wrong."""
    expected_prev, checked, after_id = GENESIS, 0, 0
    while True:
        batch = (
            await session.scalars(
                select(AuditEntry)
                .where(col(AuditEntry.id) > after_id)
                .order_by(col(AuditEntry.id))
                .limit(_VERIFY_BATCH)
            )
        ).all()
        if not batch:
            return ChainReport(True, checked, None, None, expected_prev)
        for entry in batch:
            assert entry.id is not None
            if entry.prev_hash != expected_prev:
                return ChainReport(False, checked, entry.id, "broken_link", expected_prev)
            if entry_hash(entry) != entry.hash:
                return ChainReport(False, checked, entry.id, "hash_mismatch", expected_prev)
            expected_prev, after_id = entry.hash, entry.id
            checked += 1
        session.expunge_all()
