"""Key rings: named secrets, one active, all verifying — from the environment in production,
else generated under data_dir. Two rings: the JWT signing keys and the audit chain's keys
(kept apart, so a leaked token key cannot reseal the log, and rotated on their own)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from app.core.config import Settings

KEY_FILE = "jwt-keys.json"
AUDIT_KEY_FILE = "audit-keys.json"


@dataclass(frozen=True)
class KeyRing:
    active_kid: str
    keys: dict[str, bytes]
    # Tokens whose signature and claims these keys verified, by token (see tokens.decode).
    verified: dict[tuple[str, str, str, str], Any] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_kid]


def _generated_keys(data_dir: Path, file_name: str) -> dict[str, str]:
    path = data_dir / file_name
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    kid = datetime.now(UTC).strftime("local-%Y%m%d")
    keys = {kid: secrets.token_urlsafe(48)}
    # O_EXCL: when several workers start at once, the first one's key wins.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _generated_keys(data_dir, file_name)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(keys, fh)
    return keys


def load_ring(
    configured: Mapping[str, SecretStr], active_kid: str | None, *, data_dir: Path, file_name: str
) -> KeyRing:
    """The configured keys, or the ones generated (once) in ``data_dir/file_name``."""
    if configured:
        raw = {kid: s.get_secret_value() for kid, s in configured.items()}
    else:
        raw = _generated_keys(data_dir, file_name)
    active = active_kid or next(iter(raw))
    return KeyRing(active_kid=active, keys={k: v.encode() for k, v in raw.items()})


def load_key_ring(settings: Settings) -> KeyRing:
    """The JWT signing keys."""
    return load_ring(
        settings.jwt_keys, settings.jwt_active_kid, data_dir=settings.data_dir, file_name=KEY_FILE
    )


def load_audit_key_ring(settings: Settings) -> KeyRing:
    """The keys that seal the audit chain and sign its checkpoints."""
    return load_ring(
        settings.audit_keys,
        settings.audit_active_kid,
        data_dir=settings.data_dir,
        file_name=AUDIT_KEY_FILE,
    )
