"""The JWT signing keys: from the environment in production, else generated under data_dir."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.config import Settings

KEY_FILE = "jwt-keys.json"


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


def _generated_keys(data_dir: Path) -> dict[str, str]:
    path = data_dir / KEY_FILE
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
        return _generated_keys(data_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(keys, fh)
    return keys


def load_key_ring(settings: Settings) -> KeyRing:
    if settings.jwt_keys:
        raw = {kid: s.get_secret_value() for kid, s in settings.jwt_keys.items()}
    else:
        raw = _generated_keys(settings.data_dir)
    active = settings.jwt_active_kid or next(iter(raw))
    return KeyRing(active_kid=active, keys={k: v.encode() for k, v in raw.items()})
