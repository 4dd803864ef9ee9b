"""Every problem code the suite's answers carry, recorded as they go out and checked against
the catalogue when the run ends: a code raised anywhere without a catalogue row (so without a
Chinese title, a meaning and advice) fails the run."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from typing import Any

import brotli  # type: ignore[import-untyped]
import zstandard
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors.catalogue import CATALOGUE
from app.errors.render import PROBLEM_JSON

SEEN: Counter[str] = Counter()


class RecordProblemCodes:
    """ASGI middleware that only looks: a problem answer's body is read for its ``code``
    (decompressed first: it sits outside the app's compression)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: list[bytes] | None = None
        coding = b""

        async def watch(message: Message) -> None:
            nonlocal body, coding
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if headers.get(b"content-type", b"").startswith(PROBLEM_JSON.encode()):
                    body = []
                    coding = headers.get(b"content-encoding", b"").strip().lower()
            elif message["type"] == "http.response.body" and body is not None:
                body.append(message.get("body", b""))
                if not message.get("more_body"):
                    _record(_decoded(b"".join(body), coding))
            await send(message)

        await self.app(scope, receive, watch)


def _decoded(raw: bytes, coding: bytes) -> bytes:
    if coding == b"gzip":
        return gzip.decompress(raw)
    if coding == b"br":
        return bytes(brotli.decompress(raw))
    if coding == b"zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(raw)
    return raw


def _record(raw: bytes) -> None:
    try:
        document: Any = json.loads(raw)
    except ValueError:
        SEEN["<unreadable problem>"] += 1
        return
    SEEN[str(document.get("code"))] += 1


def uncatalogued() -> list[str]:
    return sorted(code for code in SEEN if code not in CATALOGUE)
