"""Reading uploaded files with a size limit, one way for every upload."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from fastapi.responses import FileResponse

from app.errors import FieldError, PayloadTooLarge, Unprocessable

_CHUNK = 1024 * 1024
_MAX_NAME = 200
# Invisible or reordering characters (controls, format characters such as the right-to-left
# override U+202E that makes "gpj.exe" read as "exe.jpg", private and unassigned code points)
# and line or paragraph separators: dropped.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Slashes of every script: only the name after the last one is kept.
_SEPARATORS = re.compile(r"[/\\\uff0f\uff3c\u2215\u2044\u29f8\u29f9]")
_RESERVED = re.compile(r'[<>:"|?*]')  # not allowed in names on Windows


class UnusableFilename(Unprocessable):
    code = "filename_unusable"
    title = "The file's name is unusable"


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


def safe_filename(name: str) -> str:
    """The name an uploaded file is kept and offered for download under: no invisible or
    reordering characters, no directories, no leading dot (hidden, or ``..``), at most 200
    characters with its extension kept. 422 when nothing is left; every upload that keeps a
    name goes through here."""
    visible = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c) not in _DROPPED
    )
    base = _RESERVED.sub("_", _SEPARATORS.split(visible)[-1])
    base = " ".join(base.split()).lstrip(". ").rstrip(". ")
    if not base:
        raise UnusableFilename(
            "The file's name has no usable characters; rename the file and send it again.",
            errors=[FieldError(field="body.file", message="unusable name", type="filename")],
        )
    if len(base) > _MAX_NAME:
        _stem, dot, ext = base.rpartition(".")
        keep = dot + ext if dot and len(ext) <= 16 else ""
        base = base[: _MAX_NAME - len(keep)] + keep
    return base


def download(path: Path, *, media_type: str, filename: str, sha256: str) -> FileResponse:
    """A kept file as its answer: its real media type, offered as a download under its
    sanitised name (never shown inline), with its digest to check it by."""
    return FileResponse(
        path, media_type=media_type, filename=filename, headers={"X-Content-SHA256": sha256}
    )


def download_responses(media_types: Iterable[str]) -> dict[int | str, dict[str, Any]]:
    """The 200 of a download route: a file of one of ``media_types``."""
    return {
        200: {"content": {media: {} for media in sorted(media_types)}, "description": "The file."}
    }
