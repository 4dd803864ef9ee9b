"""Reading uploaded files with a size limit, one way for every upload."""

from __future__ import annotations

from fastapi import UploadFile

from app.errors import PayloadTooLarge

_CHUNK = 1024 * 1024


async def read_limited(upload: UploadFile, *, max_bytes: int) -> bytes:
    """The upload's bytes; 413 as soon as it passes ``max_bytes`` (never read further)."""
    chunks, size = [], 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(
                f"The file is larger than the limit of {max_bytes // 1024} KiB.",
                max_bytes=max_bytes,
            )
        chunks.append(chunk)
    return b"".join(chunks)
