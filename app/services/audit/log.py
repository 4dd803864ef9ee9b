"""Appending to the log (the one call every write makes) and reading it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asgi_correlation_id import correlation_id
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from app.core.config import get_settings
from app.core.db import commit
from app.masking import mask_fields
from app.models import AuditCheckpoint, AuditEntry
from app.models.base import Syncable, utcnow
from app.pagination import Page, PageParams, paginate
from app.scope import Actor, scope_filter
from app.services.audit import chain, checkpoints


def _jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it, however deep its dates, times and sets sit (an export's
    note carries its filters, dates among them)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
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
    table (a bulk import writes thousands). Passing a multiple of
    JOBPATH_AUDIT_CHECKPOINT_EVERY in entry ids also seals a checkpoint of the new head."""
    if not changes:
        return []
    await chain.lock(session)
    end = await chain.head(session)
    prev, audit_keys = end[1] if end else chain.GENESIS, chain.keys()
    entries = []
    for change in changes:
        entry = _entry(actor, change)
        chain.seal(entry, prev=prev, audit_keys=audit_keys)
        entries.append(entry)
        prev = entry.hash
    session.add_all(entries)  # ids follow the order added, and so the chain
    await session.flush()
    await _stamp(session, [(c.stamp, e) for c, e in zip(changes, entries, strict=True) if c.stamp])
    await _checkpoint_every(session, before=end[0] if end else 0, head=entries[-1])
    return entries


async def _checkpoint_every(session: AsyncSession, *, before: int, head: AuditEntry) -> None:
    """An automatic checkpoint when the ids just appended passed a multiple of N: one small
    count and one insert per N entries, in the appending transaction."""
    every = get_settings().audit_checkpoint_every
    assert head.id is not None
    if every and head.id // every > before // every:
        await checkpoints.at_head(session, head=(head.id, head.hash))


def _entry(actor: Actor | None, change: Change) -> AuditEntry:
    changes = diff(change.before, change.after)
    if change.note:
        note = mask_fields({k: _jsonable(v) for k, v in change.note.items()})
        changes = {**changes, "_note": note}
    return AuditEntry(
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_role=actor.role.value if actor else None,
        action=change.action,
        resource_type=change.resource_type,
        resource_id=str(change.resource_id),
        region_code=change.region_code,
        changes=changes or None,
        request_id=correlation_id.get(),
        prev_hash="",
        hash="",
    )


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


async def checkpoint(session: AsyncSession, *, actor: Actor | None) -> AuditCheckpoint:
    """A signed checkpoint of the chain's head, made now unless the latest one already ends
    there. Making one is audited, and the checkpoint covers its own entry."""
    await chain.lock(session)
    end, last = await chain.head(session), await checkpoints.latest(session)
    if end and last and last.last_entry_id == end[0] and checkpoints.signed(last, chain.keys()):
        await commit(session, result=last)  # nothing new since: the latest is the head's
        return last
    entry = await record(
        session, actor=actor, action="audit_log.checkpoint", resource_type="audit_log",
        resource_id="chain",
    )  # fmt: skip
    assert entry.id is not None
    made = await checkpoints.at_head(session, head=(entry.id, entry.hash))
    await commit(session, result=made)
    return made


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
