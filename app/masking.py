"""Masking of personal data for lists, employers' views, exports, logs and the audit trail."""

from __future__ import annotations

from typing import Any


def mask_id_number(value: str | None) -> str | None:
    """340406199001011234 → 340406********1234."""
    if not value:
        return value
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """13812345678 → 138****5678."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


_MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "contact_phone": mask_phone,
    "bank_account": mask_id_number,
}
_DROPPED = {"password_hash", "password"}


def mask_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with personal fields masked and secrets removed."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in _DROPPED:
            continue
        masker = _MASKERS.get(key)
        out[key] = masker(value) if masker and isinstance(value, str) else value
    return out
