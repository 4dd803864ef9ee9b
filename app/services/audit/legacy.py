"""Sealing a chain written before audit keys existed: once, at the upgrade (`jobpath migrate`).

Such a chain's hashes are plain SHA-256, which anyone with the database can recompute, so
they prove nothing on their own. The upgrade checks that chain as it stands, seals every
entry with the active key and writes a first checkpoint (logged like every checkpoint), all
in one transaction: a broken chain is sealed not at all. It runs only on a chain without any
keyed entry or checkpoint. Once a chain is sealed, an unkeyed entry is tampering, never
"legacy": it is left alone here and verify reports it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.models import AuditCheckpoint, AuditEntry
from app.services.audit import chain, checkpoints

logger = logging.getLogger("jobpath.audit")


@dataclass(frozen=True)
class LegacyOutcome:
    sealed: bool
    message: str


async def seal_legacy(session: AsyncSession) -> LegacyOutcome | None:
    """Seal an unkeyed chain with the active key; None when there is none to seal."""
    await chain.lock(session)
    first = (
        await session.execute(
            select(col(AuditEntry.id), col(AuditEntry.kid)).order_by(col(AuditEntry.id)).limit(1)
        )
    ).first()
    if first is None or first[1] is not None:
        await session.rollback()
        return None
    if await _sealed_before(session):
        await session.rollback()
        return _refused(
            "The audit chain holds unkeyed entries beside keyed entries or checkpoints: it "
            "was sealed before, so they were written since, which only tampering does. Not "
            "sealed; GET /api/v1/audit-log/verify names the first."
        )
    outcome = await _reseal(session, chain.keys())
    if not outcome.sealed:
        await session.rollback()
        return _refused(outcome.message)
    await commit(session)
    logger.warning("legacy audit chain sealed", extra={"detail": outcome.message})
    return outcome


async def _sealed_before(session: AsyncSession) -> bool:
    keyed = select(exists().where(col(AuditEntry.kid).is_not(None)))
    anchored = select(exists().where(col(AuditCheckpoint.id).is_not(None)))
    return bool(await session.scalar(keyed)) or bool(await session.scalar(anchored))


async def _reseal(session: AsyncSession, audit_keys: chain.AuditKeys) -> LegacyOutcome:
    """Check each entry's SHA-256 link and hash as it was, then seal it; stop at a break."""
    old_prev, new_prev, last_id, count = chain.GENESIS, chain.GENESIS, 0, 0
    async for entry in chain.walk(session):
        assert entry.id is not None
        broken = entry.kid is not None or entry.prev_hash != old_prev
        if broken or chain.legacy_hash(entry) != entry.hash:
            return LegacyOutcome(False, _broken(entry.id, count))
        old_prev = entry.hash
        chain.seal(entry, prev=new_prev, audit_keys=audit_keys)
        new_prev, last_id, count = entry.hash, entry.id, count + 1
    await checkpoints.at_head(session, head=(last_id, new_prev))
    return LegacyOutcome(True, f"Sealed {count} audit entries under key {audit_keys.active_kid!r}.")


def _broken(entry_id: int, good: int) -> str:
    return (
        f"The audit chain written before audit keys is broken at entry {entry_id} (after "
        f"{good} good entries): it was changed before the upgrade. Not sealed; verify "
        "reports it until it is investigated."
    )


def _refused(message: str) -> LegacyOutcome:
    logger.error("legacy audit chain not sealed", extra={"detail": message})
    return LegacyOutcome(False, message)
