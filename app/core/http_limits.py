"""Request bodies: how large each may be, and how slowly it may come.

One middleware bounds every body before anything reads it:

- a declared ``Content-Length`` over the route's limit is refused (413) before a byte is read
  and before the route runs;
- the bytes of a body without a declared length (chunked) are counted as they arrive, and
  refused (413) the moment they pass the limit. This also holds for uploads: Starlette's
  multipart parser spools a whole file to disk before the handler can look at its size;
- a body that stalls for ``body_idle_timeout_seconds`` between chunks, or is still arriving
  ``body_timeout_seconds`` after it began, is refused (408), so a slow client cannot hold a
  connection and a worker's attention for ever.

Limits: every body is JSON (or a small form) and gets ``json_max_bytes``, except the upload
routes named in ``UPLOADS``, which get their own setting plus room for the multipart framing.
An upload route added later gets the JSON limit until it is named here (a test lists the
app's file-taking routes against this table).

Not Starlette's ``RequestBodyLimitMiddleware`` (FastAPI's ``max_body_size``): it checks the
declared length only when a route first reads the body (a route that never reads it has
already acted by the time its answer is replaced), answers plain text instead of a problem
document, takes limits fixed when the routes are imported, and has no timeouts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import anyio
from fastapi import FastAPI, Request
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.errors import problem_response

# Upload routes (as the OpenAPI document names them) and the setting that bounds their file;
# every other body is JSON.
UPLOADS: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/claims/{claim_id}/attachments"): "attachment_max_bytes",
    ("POST", "/api/v1/visits/{visit_id}/photos"): "attachment_max_bytes",
    ("POST", "/api/v1/households/{household_id}/photos"): "attachment_max_bytes",
    ("POST", "/api/v1/workers/{worker_id}/photos"): "attachment_max_bytes",
    ("POST", "/api/v1/workers/import"): "import_max_bytes",
    ("POST", "/api/v1/assignments/import"): "import_max_bytes",
}
# Boundaries and part headers around the one file: far less than this in practice.
MULTIPART_OVERHEAD = 64 * 1024


class BodyRefused(HTTPException):
    """A body over its limit or too slow. An ``HTTPException`` because FastAPI passes those
    on when they are raised while it reads a body, and turns anything else into a 400."""

    status: ClassVar[int]
    code: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, detail: str, **extra: int) -> None:
        super().__init__(status_code=self.status, detail=detail)
        self.extra = extra


class BodyTooLarge(BodyRefused):
    status, code, title = 413, "payload_too_large", "Request body too large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The request body is larger than the limit of {limit // 1024} KiB for this route.",
            max_bytes=limit,
        )


class BodyTooSlow(BodyRefused):
    status, code, title = 408, "body_timeout", "The request body came too slowly"

    def __init__(self) -> None:
        super().__init__("The request body stopped arriving or took too long; send it again.")


def refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyRefused)
    # The rest of the body may still be on its way: the connection is not reused.
    return problem_response(
        status=exc.status, code=exc.code, title=exc.title, detail=str(exc.detail),
        request=request, headers={"Connection": "close"}, extra=exc.extra,
    )  # fmt: skip


@dataclass(frozen=True)
class BodyLimits:
    """The body limit of each request, and how long its body may take."""

    default: int
    uploads: tuple[tuple[str, re.Pattern[str], int], ...]
    idle_timeout: float
    deadline: float

    @classmethod
    def of(cls, settings: Settings) -> BodyLimits:
        uploads = (
            (method, compile_path(path)[0], getattr(settings, setting) + MULTIPART_OVERHEAD)
            for (method, path), setting in UPLOADS.items()
        )
        return cls(
            default=settings.json_max_bytes,
            uploads=tuple(uploads),
            idle_timeout=settings.body_idle_timeout_seconds,
            deadline=settings.body_timeout_seconds,
        )

    def limit_for(self, method: str, path: str) -> int:
        for upload_method, pattern, limit in self.uploads:
            if method == upload_method and pattern.match(path):
                return limit
        return self.default


class _Body:
    """The app's ``receive``: counts the body's bytes and times its chunks."""

    def __init__(self, receive: Receive, limit: int, limits: BodyLimits) -> None:
        self._receive, self.limit, self.limits = receive, limit, limits
        self.received, self.complete = 0, False
        self.deadline_at: float | None = None

    async def __call__(self) -> Message:
        if self.complete:  # after the body, receive only waits for the client to go away
            return await self._receive()
        now = anyio.current_time()
        if self.deadline_at is None:
            self.deadline_at = now + self.limits.deadline
        try:
            with anyio.fail_after(min(self.limits.idle_timeout, self.deadline_at - now)):
                message = await self._receive()
        except TimeoutError:
            raise BodyTooSlow() from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyTooLarge(self.limit)
        self.complete = message["type"] != "http.request" or not message.get("more_body", False)
        return message


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.limit_for(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            response = refusal(Request(scope), BodyTooLarge(limit))
            await response(scope, receive, send)
            return
        await self.app(scope, _Body(receive, limit, self.limits), send)


def _declared_length(scope: Scope) -> int | None:
    text = (Headers(scope=scope).get("content-length") or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def install(app: FastAPI, settings: Settings) -> None:
    """Bound every body of ``app``."""
    app.add_exception_handler(BodyRefused, refusal)
    app.add_middleware(BodyLimitMiddleware, limits=BodyLimits.of(settings))
