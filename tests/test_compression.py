"""Answers on the wire: compressed when the client asks (gzip, Brotli, Zstandard), the same JSON
once decoded, never when it did not ask or refused, never for small answers or files that are
compressed already; the claims export still streams; ETags stay honest and If-Match works
from a compressed read; a compressed request body is refused with 415, not misread."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from httpx import AsyncClient, Response
from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Route
from starlette.types import Message

from app.core.compression import CompressionMiddleware
from app.models import Worker
from tests.factories import (
    Factory,
    count_rows,
    draft_claim_attachments,
    new_household,
    new_worker,
    problem,
    resident_id,
)

WORKERS = "/api/v1/workers"


async def _caseworker_with_workers(factory: Factory, n: int) -> AsyncClient:
    cw = await factory.as_role("caseworker")
    households = [(await new_household(cw))["id"] for _ in range(max(1, n // 5))]
    skills = [["sewing"], ["cooking", "housekeeping"], [], ["welding"], ["pastry", "childcare"]]
    for i in range(n):
        await new_worker(
            cw, household_id=households[i % len(households)], skills=skills[i % len(skills)]
        )
    return cw


async def _get(c: AsyncClient, url: str, accept: str | None, **params: Any) -> Response:
    """GET ``url`` with exactly this Accept-Encoding (``None``: no header at all), read whole."""
    headers = dict(c.headers)
    headers.pop("accept-encoding", None)
    if accept is not None:
        headers["Accept-Encoding"] = accept
    request = c.build_request("GET", url, params=params)
    request.headers.clear()
    request.headers.update(headers)
    response = await c.send(request)
    await response.aread()
    return response


def _wire_bytes(response: Response) -> int:
    """The body's length as it travelled (before httpx decoded it)."""
    return response.num_bytes_downloaded


class TestAWorkerPageOnTheWire:
    @pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
    async def test_a_compressed_page_is_the_same_json_once_decoded(
        self, factory: Factory, coding: str
    ) -> None:
        cw = await _caseworker_with_workers(factory, 12)
        plain = await _get(cw, WORKERS, "identity", limit=50)
        packed = await _get(cw, WORKERS, coding, limit=50)
        assert plain.status_code == packed.status_code == 200, packed.text
        assert "content-encoding" not in plain.headers
        assert packed.headers["content-encoding"] == coding
        assert packed.content == plain.content  # byte for byte, once decoded
        assert len(packed.json()["items"]) == 12
        assert _wire_bytes(packed) < _wire_bytes(plain)
        assert int(packed.headers["content-length"]) == _wire_bytes(packed)
        for answer in (plain, packed):
            assert "accept-encoding" in answer.headers["vary"].lower()
            # The headers of the middleware around it are still there.
            assert answer.headers["x-request-id"]
            assert answer.headers["x-content-type-options"] == "nosniff"

    async def test_a_fifty_row_page_goes_out_in_at_most_15_percent_of_its_bytes(
        self, factory: Factory
    ) -> None:
        cw = await _caseworker_with_workers(factory, 50)
        plain = await _get(cw, WORKERS, "identity", limit=50)
        packed = await _get(cw, WORKERS, "gzip, deflate", limit=50)
        assert len(plain.json()["items"]) == 50
        assert packed.headers["content-encoding"] == "gzip"
        assert _wire_bytes(packed) <= 0.15 * _wire_bytes(plain), (
            _wire_bytes(packed),
            _wire_bytes(plain),
        )

    async def test_the_server_prefers_zstd_then_brotli_then_gzip_among_what_is_accepted(
        self, factory: Factory
    ) -> None:
        cw = await _caseworker_with_workers(factory, 5)
        cases = {
            "gzip, deflate, br, zstd": "zstd",
            "gzip, br": "br",
            "gzip;q=1.0, br;q=0": "gzip",
            "GZIP": "gzip",
            "*": "zstd",
            "*, zstd;q=0, br;q=0": "gzip",
        }
        for accept, chosen in cases.items():
            r = await _get(cw, WORKERS, accept)
            assert r.headers.get("content-encoding") == chosen, accept

    async def test_no_compression_unless_the_client_asked_for_one_it_did_not_refuse(
        self, factory: Factory
    ) -> None:
        cw = await _caseworker_with_workers(factory, 5)
        reference = (await _get(cw, WORKERS, "identity")).content
        for accept in (None, "identity", "gzip;q=0", "*;q=0", "gzip;q=0, identity", "compress"):
            r = await _get(cw, WORKERS, accept)
            assert r.status_code == 200, (accept, r.text)
            assert "content-encoding" not in r.headers, accept
            assert r.content == reference
            assert _wire_bytes(r) == len(reference)
        no_header = await _get(cw, WORKERS, None)
        assert "accept-encoding" not in no_header.request.headers

    async def test_a_small_answer_goes_out_as_it_is(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        empty = await _get(cw, WORKERS, "gzip")
        assert empty.status_code == 200
        assert len(empty.content) < 500
        assert "content-encoding" not in empty.headers

    async def test_the_sync_page_and_a_problem_document_are_compressed_too(
        self, factory: Factory
    ) -> None:
        cw = await _caseworker_with_workers(factory, 5)
        synced = await _get(cw, WORKERS, "gzip", updated_since="2000-01-01T00:00:00Z")
        assert synced.headers["content-encoding"] == "gzip"
        assert len(synced.json()["items"]) == 5
        assert synced.json()["sync_token"]
        # A 422 naming many bad fields is a problem document large enough to compress.
        bad = {"household_id": "x", "full_name": "", "id_number": "1", "region_code": 5,
               "skills": ["no-such-skill"] * 3, "phone": "12", "sex": "?"}  # fmt: skip
        r = await cw.post(WORKERS, json=bad, headers={"Accept-Encoding": "gzip"})
        body = problem(r, 422, "validation_failed")
        if len(json.dumps(body, ensure_ascii=False).encode()) >= 500:
            assert r.headers["content-encoding"] == "gzip"


class TestFilesAndExports:
    async def test_evidence_files_and_spreadsheets_are_sent_byte_for_byte(
        self, factory: Factory
    ) -> None:
        boss, url = await draft_claim_attachments(factory)
        png = b"\x89PNG\r\n\x1a\n" + bytes(4000)  # would shrink a lot if it were compressed
        up = await boss.post(url, files={"file": ("合同.png", png, "image/png")})
        assert up.status_code == 201, up.text
        down = await _get(boss, f"{url}/{up.json()['id']}", "gzip, br, zstd")
        assert down.status_code == 200, down.text
        assert "content-encoding" not in down.headers
        assert down.content == png
        assert _wire_bytes(down) == len(png)
        auditor = await factory.as_role("auditor", region="340406")
        xlsx = await _get(auditor, "/api/v1/claims/export", "gzip, br, zstd", format="xlsx")
        assert xlsx.status_code == 200
        assert xlsx.content[:2] == b"PK"
        assert "content-encoding" not in xlsx.headers

    async def test_the_csv_export_is_compressed_as_it_streams_and_reads_the_same(
        self, factory: Factory
    ) -> None:
        await draft_claim_attachments(factory)
        auditor = await factory.as_role("auditor", region="340406")
        plain = await _get(auditor, "/api/v1/claims/export", "identity")
        packed = await _get(auditor, "/api/v1/claims/export", "gzip")
        assert plain.status_code == packed.status_code == 200, packed.text
        assert packed.headers["content-encoding"] == "gzip"
        assert "content-length" not in packed.headers  # streamed, not buffered
        assert packed.headers["content-disposition"] == plain.headers["content-disposition"]
        assert packed.content == plain.content
        assert plain.content.startswith(b"\xef\xbb\xbf")

    async def test_a_long_stream_is_compressed_chunk_by_chunk_before_it_ends(self) -> None:
        """The middleware itself, on a 4 MB CSV stream: compressed output leaves while the
        stream is still being produced, in bounded pieces (constant memory)."""
        produced = 0
        chunks = 64

        async def rows() -> AsyncIterator[bytes]:
            nonlocal produced
            for n in range(chunks):
                produced += 1
                lines = (b"%d,%d,%x\n" % (n, i, (i * 2654435761) % 2**32) for i in range(3000))
                yield b"".join(lines)

        async def export(_request: Any) -> StreamingResponse:
            return StreamingResponse(rows(), media_type="text/csv; charset=utf-8")

        app = CompressionMiddleware(Starlette(routes=[Route("/e", export)]), minimum_size=500)
        sent: list[tuple[Message, int]] = []

        asked = False

        async def receive() -> Message:
            nonlocal asked
            if asked:  # after the request, the client just stays connected
                await anyio.sleep_forever()
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            sent.append((message, produced))

        scope = {
            "type": "http", "method": "GET", "path": "/e", "raw_path": b"/e",
            "query_string": b"", "headers": [(b"accept-encoding", b"gzip")],
            "http_version": "1.1", "scheme": "http", "server": ("t", 80), "client": ("c", 1),
        }  # fmt: skip
        await app(scope, receive, send)
        start, *bodies = sent
        headers = dict(start[0]["headers"])
        assert headers[b"content-encoding"] == b"gzip"
        assert b"content-length" not in headers
        data = [m for m, _ in bodies if m.get("body")]
        assert len(data) > 4
        assert bodies[0][1] < chunks  # the first bytes left before the stream was done
        assert max(len(m["body"]) for m in data) < 512 * 1024
        whole = gzip.decompress(b"".join(m["body"] for m in data))
        assert whole.count(b"\n") == chunks * 3000


class TestVersionsOnACompressedAnswer:
    async def test_the_etag_of_a_compressed_read_is_weak_and_if_match_takes_it(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw, skills=["sewing", "cooking"], notes="家" * 200)
        url = f"{WORKERS}/{worker['id']}"
        plain = await _get(cw, url, "identity")
        packed = await _get(cw, url, "gzip")
        assert packed.headers["content-encoding"] == "gzip"
        assert plain.headers["etag"] == '"1"'
        assert packed.headers["etag"] == 'W/"1"'  # a strong ETag names one byte sequence
        assert packed.json() == plain.json()

        edited = await cw.patch(
            url,
            json={"skills": ["welding"]},
            headers={"If-Match": packed.headers["etag"], "Accept-Encoding": "gzip"},
        )
        assert edited.status_code == 200, edited.text
        assert edited.headers["content-encoding"] == "gzip"
        assert edited.headers["etag"] == 'W/"2"'
        assert edited.json()["skills"] == ["welding"]

        stale = await cw.patch(
            url,
            json={"skills": ["pastry"]},
            headers={"If-Match": packed.headers["etag"], "Accept-Encoding": "gzip"},
        )
        body = problem(stale, 412, "version_mismatch")
        assert stale.headers["content-encoding"] == "gzip"  # the current record rides along
        assert body["current_version"] == 2
        assert "etag" not in stale.headers
        after = await _get(cw, url, "identity")
        assert (after.json()["skills"], after.headers["etag"]) == (["welding"], '"2"')


class TestCompressedRequestBodies:
    async def test_a_gzipped_json_body_is_refused_with_415_and_nothing_is_written(
        self, factory: Factory, session: Any
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        body = {"household_id": household["id"], "full_name": "王压缩", "id_number":
                resident_id(990_001), "region_code": household["region_code"]}  # fmt: skip
        r = await cw.post(
            WORKERS,
            content=gzip.compress(json.dumps(body).encode()),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        problem(r, 415, "encoded_body")
        assert r.headers["accept-encoding"] == "identity"
        assert await count_rows(session, Worker) == 0
        zh = await cw.post(
            WORKERS,
            content=gzip.compress(json.dumps(body).encode()),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip",
                     "Accept-Language": "zh-CN"},
        )  # fmt: skip
        assert problem(zh, 415, "encoded_body")["title"] == "请求内容不能压缩"
        # The same body, uncompressed (or declared identity), is taken.
        ok = await cw.post(WORKERS, json=body, headers={"Content-Encoding": "identity"})
        assert ok.status_code == 201, ok.text

    async def test_a_compressed_upload_is_refused_before_it_is_read(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        csv = "户编号,姓名,身份证号,行政区划代码\n".encode()
        r = await cw.post(
            f"{WORKERS}/import",
            files={"file": ("r.csv", gzip.compress(csv), "text/csv")},
            headers={"Content-Encoding": "br"},
        )
        problem(r, 415, "encoded_body")
