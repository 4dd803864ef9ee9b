"""The response headers the document declares are the ones real answers carry, so a generated
client that reads them (an ETag for the next If-Match, Retry-After, the request id) finds them;
If-Match is required in the document exactly where its absence gets 428."""

from __future__ import annotations

import re
import uuid
from typing import Any

from httpx import AsyncClient, Response

from tests.factories import QIJI, Factory, new_household, new_worker, problem, resident_id

_document: dict[str, Any] = {}


async def _declared(client: AsyncClient, method: str, path: str, status: int) -> dict[str, Any]:
    if not _document:
        _document.update((await client.get("/openapi.json")).json())
    answer = _document["paths"][path][method]["responses"][str(status)]
    headers: dict[str, Any] = answer.get("headers", {})
    return {
        name: _document["components"]["headers"][ref["$ref"].rsplit("/", 1)[1]]
        for name, ref in headers.items()
    }


async def _carries_what_is_declared(
    client: AsyncClient, method: str, path: str, response: Response, *, replay: bool = False
) -> dict[str, Any]:
    declared = await _declared(client, method, path, response.status_code)
    for name, header in declared.items():
        if name == "Idempotent-Replayed" and not replay:
            assert name not in response.headers  # only a replay says so
            continue
        assert name in response.headers, f"{method} {path} {response.status_code}: no {name}"
        pattern = header["schema"].get("pattern")
        if pattern:
            assert re.fullmatch(pattern, response.headers[name]), response.headers[name]
    return declared


async def test_a_read_and_an_update_carry_their_declared_etag_and_request_id(
    factory: Factory,
) -> None:
    cw = await factory.as_role("caseworker")
    worker = await new_worker(cw)
    path = "/api/v1/workers/{worker_id}"
    read = await cw.get(f"/api/v1/workers/{worker['id']}")
    declared = await _carries_what_is_declared(cw, "get", path, read)
    assert {"ETag", "X-Request-ID"} <= set(declared)

    edited = await cw.patch(
        f"/api/v1/workers/{worker['id']}",
        json={"phone": "13800138000"},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.text
    assert {"ETag"} <= set(await _carries_what_is_declared(cw, "patch", path, edited))

    stale = await cw.patch(
        f"/api/v1/workers/{worker['id']}",
        json={"phone": "13900139000"},
        headers={"If-Match": read.headers["ETag"]},
    )
    problem(stale, 412, "version_mismatch")
    await _carries_what_is_declared(cw, "patch", path, stale)


async def test_if_match_is_required_in_the_document_where_its_absence_gets_428(
    factory: Factory,
) -> None:
    cw = await factory.as_role("caseworker")
    household = await new_household(cw)
    r = await cw.patch(f"/api/v1/households/{household['id']}", json={"address": "新村 3 号"})
    problem(r, 428, "if_match_required")
    await _carries_what_is_declared(cw, "patch", "/api/v1/households/{household_id}", r)
    for path, operations in _document["paths"].items():
        for operation in operations.values():
            if_match = [p for p in operation.get("parameters", ()) if p["name"] == "If-Match"]
            if if_match:  # every route reading If-Match answers 428 without it
                assert if_match[0]["required"] is True, path
                assert "428" in operation["responses"], path


async def test_a_retried_create_says_it_is_a_replay(factory: Factory) -> None:
    cw = await factory.as_role("caseworker")
    household = await new_household(cw)
    body = {"household_id": household["id"], "region_code": household["region_code"]}
    body |= {"full_name": "重放工人", "id_number": resident_id(9_101)}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await cw.post("/api/v1/workers", json=body, headers=key)
    again = await cw.post("/api/v1/workers", json=body, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    await _carries_what_is_declared(cw, "post", "/api/v1/workers", first)
    declared = await _carries_what_is_declared(cw, "post", "/api/v1/workers", again, replay=True)
    assert {"ETag", "Idempotent-Replayed"} <= set(declared)
    assert again.headers["ETag"] == first.headers["ETag"]


async def test_a_throttled_sign_in_carries_retry_after(factory: Factory) -> None:
    user = await factory.user("caseworker")
    anonymous = factory.client()
    for _ in range(6):
        r = await anonymous.post(
            "/api/v1/auth/token", data={"username": user.username, "password": "wrong guess"}
        )
    problem(r, 429, "login_throttled")
    declared = await _carries_what_is_declared(anonymous, "post", "/api/v1/auth/token", r)
    assert "Retry-After" in declared


async def test_a_download_carries_its_file_name(factory: Factory) -> None:
    auditor = await factory.as_role("auditor", region=QIJI)
    r = await auditor.get("/api/v1/claims/export", params={"format": "csv"})
    assert r.status_code == 200, r.text
    declared = await _carries_what_is_declared(auditor, "get", "/api/v1/claims/export", r)
    assert "Content-Disposition" in declared
    assert r.headers["Content-Disposition"].startswith("attachment;")
