"""The audit log: the one call every write makes, its reading, the chain and its anchors.

Every write appends entries in its own transaction (``record``/``record_many``, in ``log``).
Each entry's hash is an HMAC-SHA256, under an audit key kept outside the database, of its
content and the hash before it (``chain``): rewriting an entry, or relinking around a deleted
one, needs that key. What a key alone cannot show — the newest entries deleted, the whole
database rolled back — signed checkpoints of the head show (``checkpoints``): stored, logged on
``jobpath.audit``, and handed to auditors as tokens that ``verify`` checks the chain against.
A chain written before audit keys is sealed once by `jobpath migrate` (``legacy``).
Callers use the package: ``audit.record(...)``.
"""

from app.services.audit.chain import GENESIS, keys
from app.services.audit.checkpoints import MAX_TOKEN_CHARS, InvalidCheckpoint, Pin, token
from app.services.audit.legacy import LegacyOutcome, seal_legacy
from app.services.audit.log import (
    AuditFilters,
    Change,
    checkpoint,
    diff,
    list_entries,
    record,
    record_many,
)
from app.services.audit.verify import MAX_TOKENS, ChainReport, KeyUse, verify_chain

__all__ = [
    "GENESIS",
    "MAX_TOKENS",
    "MAX_TOKEN_CHARS",
    "AuditFilters",
    "ChainReport",
    "Change",
    "InvalidCheckpoint",
    "KeyUse",
    "LegacyOutcome",
    "Pin",
    "checkpoint",
    "diff",
    "keys",
    "list_entries",
    "record",
    "record_many",
    "seal_legacy",
    "token",
    "verify_chain",
]
