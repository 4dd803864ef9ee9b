"""Answers compressed for a client that asks, so a phone on one bar of signal pulls a fraction
of the bytes: a 50-row worker page of ~21 KB goes out as ~2.5 KB (bench/wire.py measures a
township's sync).

The work is done by ``starlette-compress``: it reads ``Accept-Encoding`` with its q-values
(``gzip;q=0``, ``identity``, ``*;q=0`` are honoured; no header, or only codings we do not
speak, means the answer goes out as it is, never a 406), picks Zstandard, then Brotli, then
gzip among those the client accepts, adds ``Vary: Accept-Encoding``, and streams: a streamed
answer (the claims CSV export) is compressed chunk by chunk with constant memory. What it
compresses is decided by the answer's media type: JSON, problem documents, CSV, the docs'
HTML, scripts and styles; never images, PDFs or spreadsheets (XLSX is already a zip), so
evidence files and photos go out byte for byte. Answers shorter than
``compression_min_bytes`` are sent as they are.

Around it, this module keeps two promises of HTTP that compression would otherwise break:

- An ETag names one representation: the record's version ``"3"`` is strong on the bytes the
  service renders, so a compressed answer says ``W/"3"`` (RFC 9110 8.8.3.3; nginx does the
  same). The service takes either form back in ``If-Match`` (app/versioning.py), so an update
  made from a compressed read works, and a stale one still gets 412.
- Request bodies are not decompressed: one that declares a ``Content-Encoding`` is refused
  with 415 and ``Accept-Encoding: identity`` (RFC 9110 12.5.3) before anything reads it,
  rather than being parsed as the JSON or spreadsheet it is not.

Compression beside secrets (BREACH) needs a page of an attacker's that makes a browser send
authenticated requests mixing its guesses with a secret in one answer; this service's
credentials travel in the Authorization header, never in a cookie, so no other site can.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_compress import CompressMiddleware, add_compress_type

from app.core.config import Settings
from app.errors import UnsupportedMediaType, problem_response

# The library's list covers JSON, HTML, scripts and styles; these are the service's own text
# answers it does not name. Registered once, process-wide, before any request.
for _media_type in ("application/problem+json", "text/csv"):
    add_compress_type(_media_type)


class EncodedBody(UnsupportedMediaType):
    code = "encoded_body"
    title = "Send the request body uncompressed"


class CompressionMiddleware:
    """Compresses answers (see the module's description); ``minimum_size`` in bytes."""

    def __init__(self, app: ASGIApp, *, minimum_size: int) -> None:
        self.app = app
        self.compress = CompressMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = _body_coding(Headers(scope=scope))
        if coding is not None:
            request = Request(scope)
            response = problem_response(
                status=EncodedBody.status,
                code=EncodedBody.code,
                title=EncodedBody.title,
                detail=f"The request body is {coding}-encoded; this service reads bodies only "
                "as they are (no Content-Encoding). Send it uncompressed.",
                request=request,
                headers={"Accept-Encoding": "identity", "Connection": "close"},
            )
            await response(scope, receive, send)
            return

        async def send_weakened(message: Message) -> None:
            if message["type"] == "http.response.start":
                _weaken_etag(message)
            await send(message)

        await self.compress(scope, receive, send_weakened)


def _body_coding(headers: Headers) -> str | None:
    """The content coding a request declares for a body it sends, if any but identity."""
    codings = [
        c.strip().lower()
        for value in headers.getlist("content-encoding")
        for c in value.split(",")
        if c.strip()
    ]
    declared = [c for c in codings if c != "identity"]
    if not declared or headers.get("content-length", "").strip() == "0":
        return None
    return ", ".join(declared)[:40]


def _weaken_etag(message: Message) -> None:
    headers = MutableHeaders(scope=message)
    tag = headers.get("etag")
    coding = headers.get("content-encoding", "identity").strip().lower()
    if tag and not tag.startswith("W/") and coding != "identity":
        headers["ETag"] = f"W/{tag}"


def install(app: FastAPI, settings: Settings) -> None:
    """Compress ``app``'s answers (added outside the body limits, inside the request id)."""
    app.add_middleware(CompressionMiddleware, minimum_size=settings.compression_min_bytes)
