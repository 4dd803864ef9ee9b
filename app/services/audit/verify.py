"""Verifying the chain: one streaming walk in id order, in batches, checking each entry's link
and seal and, at each checkpoint's position, that the chain still holds the head it saw."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import AuditCheckpoint, AuditEntry
from app.services.audit.chain import GENESIS, AuditKeys, fault, keys, walk
from app.services.audit.checkpoints import Pin, pin, read_token

_BATCH = 2000
MAX_TOKENS = 10

_WHY = {
    "broken_link": "entry {id} does not link to the entry before it: an entry before it was "
    "deleted or inserted, or its link was changed",
    "unsealed": "entry {id} carries no audit key; every entry of an upgraded chain is sealed",
    "unknown_key": "entry {id} names audit key {kid!r}, which this service does not hold",
    "hash_mismatch": "entry {id} does not match its seal under audit key {kid!r}: it was "
    "changed after it was written",
}


@dataclass
class KeyUse:
    kid: str
    entries: int
    first_entry_id: int
    last_entry_id: int


@dataclass(frozen=True)
class ChainReport:
    valid: bool
    entries_checked: int
    first_broken_id: int | None
    reason: str | None
    last_hash: str
    detail: str | None = None
    keys: list[KeyUse] = field(default_factory=list)
    checkpoints_checked: int = 0
    latest_checkpoint: Pin | None = None
    broken_checkpoint: Pin | None = None


@dataclass
class _Tally:
    prev: str = GENESIS
    checked: int = 0
    matched: int = 0
    latest: Pin | None = None
    uses: dict[str, KeyUse] = field(default_factory=dict)

    def step(self, entry: AuditEntry) -> None:
        assert entry.id is not None
        assert entry.kid is not None
        use = self.uses.setdefault(entry.kid, KeyUse(entry.kid, 0, entry.id, entry.id))
        use.entries, use.last_entry_id = use.entries + 1, entry.id
        self.prev, self.checked = entry.hash, self.checked + 1

    def report(
        self,
        *,
        reason: str | None = None,
        first_broken_id: int | None = None,
        detail: str | None = None,
        broken_checkpoint: Pin | None = None,
    ) -> ChainReport:
        return ChainReport(
            valid=reason is None,
            entries_checked=self.checked,
            first_broken_id=first_broken_id,
            reason=reason,
            last_hash=self.prev,
            detail=detail,
            keys=sorted(self.uses.values(), key=lambda u: u.first_entry_id),
            checkpoints_checked=self.matched,
            latest_checkpoint=self.latest,
            broken_checkpoint=broken_checkpoint,
        )

    def broken(self, entry: AuditEntry, reason: str) -> ChainReport:
        why = _WHY[reason].format(id=entry.id, kid=entry.kid)
        return self.report(reason=reason, first_broken_id=entry.id, detail=why)

    def against(self, held: Pin, entry: AuditEntry | None) -> ChainReport | None:
        """Compare the chain at ``held``'s position (``entry``, None past the end)."""
        where = f"the {held.source} checkpoint of {held.at.isoformat()} ({held.entries} entries)"
        if not held.signed:
            detail = f"stored checkpoint {held.id} does not carry a valid signature"
            return self.report(reason="checkpoint_forged", detail=detail, broken_checkpoint=held)
        if entry is None:
            detail = f"the chain ends after {self.checked} entries, but {where} saw more"
            return self.report(reason="truncated", detail=detail, broken_checkpoint=held)
        if (entry.id, entry.hash) != (held.last_entry_id, held.last_hash):
            detail = f"entry {entry.id} is not the head {where} signed: entries up to it differ"
            return self.report(
                reason="checkpoint_mismatch", first_broken_id=entry.id, detail=detail,
                broken_checkpoint=held,
            )  # fmt: skip
        self.matched, self.latest = self.matched + 1, held
        return None


async def verify_chain(session: AsyncSession, *, tokens: Sequence[str] = ()) -> ChainReport:
    """Walk the whole chain in id order and report the first entry or checkpoint that does
    not hold; ``tokens`` are checkpoints an auditor kept (refused unless we signed them)."""
    audit_keys = keys()
    held = sorted((read_token(t, audit_keys) for t in tokens), key=lambda p: p.entries)
    tally = _Tally()
    pins = _pins(session, audit_keys, held)
    due = await anext(pins, None)
    async for entry in walk(session):
        reason = fault(entry, prev=tally.prev, audit_keys=audit_keys)
        if reason:
            return tally.broken(entry, reason)
        tally.step(entry)
        while due is not None and due.entries <= tally.checked:
            if problem := tally.against(due, entry):
                return problem
            due = await anext(pins, None)
    if due is not None:
        return tally.against(due, None) or tally.report()
    return tally.report()


async def _pins(
    session: AsyncSession, audit_keys: AuditKeys, held: list[Pin]
) -> AsyncIterator[Pin]:
    """The stored checkpoints (in batches) and the held tokens, merged by position."""
    waiting = list(held)
    async for stored in _stored(session, audit_keys):
        while waiting and waiting[0].entries <= stored.entries:
            yield waiting.pop(0)
        yield stored
    for token in waiting:
        yield token


async def _stored(session: AsyncSession, audit_keys: AuditKeys) -> AsyncIterator[Pin]:
    after: tuple[int, int] = (0, 0)
    position, cp_id = col(AuditCheckpoint.entries), col(AuditCheckpoint.id)
    while True:
        batch = (
            await session.scalars(
                select(AuditCheckpoint)
                .where(or_(position > after[0], (position == after[0]) & (cp_id > after[1])))
                .order_by(position, cp_id)
                .limit(_BATCH)
            )
        ).all()
        if not batch:
            return
        pins = [pin(cp, audit_keys) for cp in batch]
        after = (batch[-1].entries, batch[-1].id or 0)
        for found in pins:
            yield found
