"""Request bodies are bounded before anything reads them (app/core/http_limits.py): by their
declared length, by the bytes that actually arrive, and by time. An attacker cannot make the
server read and parse a 10 MiB JSON body, hold a connection with a body that never ends, or
fill the disk with an upload the handler would refuse only once it was spooled whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import get_settings
from app.core.http_limits import MULTIPART_OVERHEAD, UPLOADS
from app.models import ClaimAttachment, Household
from tests.factories import XUGANG, Factory, count_rows, draft_claim_attachments, problem
from tests.security.apps import app_with, over_asgi

MiB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
CHUNK = 64 * 1024
HOUSEHOLDS = "/api/v1/households"


class Feed:
    """A streamed request body (sent chunked unless a length is declared) that counts the
    chunks the server took, and can stall after some of them or trickle for ever."""

    def __init__(
        self, chunks: Iterator[bytes], *, stall_after: int | None = None, pause: float = 0
    ) -> None:
        self.chunks, self.stall_after, self.pause = chunks, stall_after, pause
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            if self.taken == self.stall_after:
                await asyncio.sleep(3600)  # cancelled by the server's timeout
            await asyncio.sleep(self.pause)
            self.taken += 1
            yield chunk


def json_chunks(total: int) -> Iterator[bytes]:
    """A JSON document of about ``total`` bytes, a chunk at a time."""
    yield b'{"notes": "'
    for _ in range(total // CHUNK):
        yield b"x" * CHUNK
    yield b'"}'


def refused(r: Response, status: int, code: str) -> dict[str, object]:
    body = problem(r, status, code)
    assert r.headers["connection"] == "close"  # the rest of the body is not waited for
    assert r.headers["x-content-type-options"] == "nosniff"
    return body


class TestDeclaredLength:
    async def test_a_10_mib_json_body_is_refused_and_nothing_is_created(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        body = b'{"household_number": "HH1", "region_code": "%s", "notes": "%s"}' % (
            XUGANG.encode(),
            b"x" * (10 * MiB),
        )
        r = await cw.post(HOUSEHOLDS, content=body, headers={"Content-Type": "application/json"})
        assert refused(r, 413, "payload_too_large")["max_bytes"] == get_settings().json_max_bytes
        assert await count_rows(session, Household) == 0

    @pytest.mark.parametrize("path", [HOUSEHOLDS, "/api/v1/workers/import"])
    async def test_a_declared_600_mib_body_is_refused_before_a_byte_is_read(
        self, client: AsyncClient, path: str
    ) -> None:
        feed = Feed(json_chunks(MiB))
        r = await client.post(path, content=feed, headers={"Content-Length": str(600 * MiB)})
        refused(r, 413, "payload_too_large")
        assert feed.taken == 0

    async def test_a_route_that_reads_no_body_does_not_act_first(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(
            "/api/v1/auth/logout",
            content=Feed(json_chunks(MiB)),
            headers={"Content-Length": str(600 * MiB)},
        )
        refused(r, 413, "payload_too_large")
        assert (await cw.get("/api/v1/auth/me")).status_code == 200  # still signed in


class TestChunkedBodies:
    async def test_a_json_body_is_cut_off_as_soon_as_it_passes_the_limit(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        feed = Feed(json_chunks(8 * MiB))
        r = await cw.post(HOUSEHOLDS, content=feed, headers={"Content-Type": "application/json"})
        refused(r, 413, "payload_too_large")
        assert feed.taken <= get_settings().json_max_bytes // CHUNK + 2

    async def test_an_upload_over_its_limit_is_cut_off_before_the_handler_spools_it(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        boss, url = await draft_claim_attachments(factory)
        limit = get_settings().attachment_max_bytes + MULTIPART_OVERHEAD
        feed = Feed(multipart_chunks("scan.png", PNG, 2 * limit))
        r = await boss.post(
            url,
            content=feed,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert refused(r, 413, "payload_too_large")["max_bytes"] == limit
        assert feed.taken <= limit // CHUNK + 2
        assert await count_rows(session, ClaimAttachment) == 0

    async def test_an_upload_has_its_own_limit_above_the_json_one(self, factory: Factory) -> None:
        boss, url = await draft_claim_attachments(factory)
        scan = PNG + bytes(2 * get_settings().json_max_bytes)
        r = await boss.post(url, files={"file": ("scan.png", scan, "image/png")})
        assert r.status_code == 201, r.text
        # The same number of bytes as JSON is refused.
        r = await boss.post(HOUSEHOLDS, content=b" " * len(scan))
        refused(r, 413, "payload_too_large")


BOUNDARY = "jobpath-test-boundary"


def multipart_chunks(name: str, head: bytes, total: int) -> Iterator[bytes]:
    """A multipart form whose one file, ``name``, starts with ``head`` and is ``total``
    bytes long."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + head
    for _ in range(total // CHUNK):
        yield bytes(CHUNK)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


class TestSlowBodies:
    async def test_a_body_that_stops_arriving_gets_408(self, database_url: str) -> None:
        feed = Feed(json_chunks(MiB), stall_after=1)
        async with over_asgi(app_with(database_url, body_idle_timeout_seconds=0.05)) as c:
            with anyio.fail_after(30):  # a hang is a failure, not a wait
                r = await c.post(HOUSEHOLDS, content=feed)
        refused(r, 408, "body_timeout")
        assert feed.taken == 1

    async def test_a_body_that_trickles_gets_408_at_its_deadline(self, database_url: str) -> None:
        feed = Feed((b" " for _ in iter(int, 1)), pause=0.005)  # a byte at a time, for ever
        slow = app_with(database_url, body_idle_timeout_seconds=5.0, body_timeout_seconds=0.1)
        async with over_asgi(slow) as c:
            with anyio.fail_after(30):
                r = await c.post(HOUSEHOLDS, content=feed)
        refused(r, 408, "body_timeout")


def test_every_route_that_takes_a_file_has_its_own_limit(app: FastAPI) -> None:
    """A new upload route gets the small JSON limit until it is named in UPLOADS; one named
    there that the app no longer has is a stale entry."""
    uploads = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    assert uploads == set(UPLOADS)
