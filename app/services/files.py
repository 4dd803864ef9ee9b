"""Files people upload as evidence — a claim's attachments, the photos and scanned documents of
visits, households and workers — kept one way: recognised by their content (never by their
name or declared type), within ``JOBPATH_ATTACHMENT_MAX_BYTES`` (app/uploads.py reads them),
named by :func:`app.uploads.safe_filename`, and kept on disk once under their SHA-256, so the
same bytes uploaded twice, or as a photo and as evidence, are one file.

Files are never removed: a record that points at one is tombstoned, and the file may be
shared by another record with the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread

from app.core.config import get_settings
from app.errors import UnsupportedMediaType
from app.uploads import safe_filename

# Magic numbers of what may be kept: photos (of people, homes, certificates) and scans.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"%PDF-", 0, "application/pdf"),
    (b"WEBP", 8, "image/webp"),
)
IMAGES = frozenset({"image/png", "image/jpeg", "image/webp"})
DOCUMENTS = IMAGES | {"application/pdf"}


@dataclass(frozen=True)
class Accepted:
    """An upload that passed: what it is and where it is kept."""

    filename: str
    content_type: str
    size: int
    sha256: str


def sniff(content: bytes) -> str | None:
    """The media type the bytes really are, or None when none of those kept."""
    for signature, offset, mime in _SIGNATURES:
        if content[offset : offset + len(signature)] == signature:
            if mime == "image/webp" and not content.startswith(b"RIFF"):
                continue
            return mime
    return None


def _store(content: bytes, digest: str) -> None:
    root = get_settings().attachments_path / digest[:2]
    root.mkdir(parents=True, exist_ok=True)
    target = root / digest
    if target.exists():
        return
    # Write then rename: a file is either whole or absent.
    fd, temp = tempfile.mkstemp(dir=root)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    os.replace(temp, target)


async def keep(
    *,
    filename: str,
    declared_type: str | None,
    content: bytes,
    accepted: frozenset[str],
    refusal: type[UnsupportedMediaType],
) -> Accepted:
    """Check ``content`` is one of ``accepted`` (``refusal``, a 415, when it is not, or when
    the type the client declared is another), and keep it under its digest."""
    name = safe_filename(filename)
    mime = sniff(content)
    if mime is None or mime not in accepted:
        kinds = ", ".join(sorted(accepted))
        raise refusal(f"The file is not one of {kinds} (checked by content).")
    if declared_type and declared_type != "application/octet-stream" and declared_type != mime:
        raise refusal(f"The file says it is {declared_type} but its content is {mime}.")
    digest = hashlib.sha256(content).hexdigest()
    await anyio.to_thread.run_sync(_store, content, digest)
    return Accepted(filename=name, content_type=mime, size=len(content), sha256=digest)


def path_of(sha256: str) -> Path:
    """Where the file with this digest is kept."""
    return get_settings().attachments_path / sha256[:2] / sha256


def kept(sha256: str) -> bool:
    """Is the file with this digest on disk (a record whose file is gone reads as absent)?"""
    return path_of(sha256).exists()
