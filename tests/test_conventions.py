"""The conventions every route shares: pagination, problem documents, request ids, retries."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import AuditEntry, IdempotencyRecord, Region, TrainingSession
from tests.conftest import IS_POSTGRES
from tests.factories import (
    BASE_REGIONS,
    QIJI,
    XUGANG,
    Factory,
    error_fields,
    new_course,
    problem,
)

REGIONS = "/api/v1/regions"
USERS = "/api/v1/users"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def village(code: str = "340406107204", name: str = "新建村") -> dict[str, Any]:
    return {"code": code, "name": name, "level": "village", "parent_code": QIJI}


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    n = await session.scalar(select(func.count()).select_from(model).where(*where))
    # End the read: on SQLite an open transaction holds the write lock the app needs next.
    await session.rollback()
    return int(n or 0)


async def records_for(session: AsyncSession, key: str) -> int:
    return await count(session, IdempotencyRecord, col(IdempotencyRecord.key) == key)


class TestPageSize:
    @pytest.mark.parametrize("limit", ["10000", "201", "0", "-1", "ten"])
    async def test_a_limit_outside_1_to_200_is_a_422_naming_query_limit(
        self, factory: Factory, limit: str
    ) -> None:
        c = await factory.as_role("caseworker")
        body = problem(await c.get(REGIONS, params={"limit": limit}), 422, "validation_failed")
        assert error_fields(body) == {"query.limit"}

    async def test_the_default_page_is_50_and_200_is_allowed(self, factory: Factory) -> None:
        c = await factory.as_role("caseworker")
        first = (await c.get(REGIONS)).json()
        assert len(first["items"]) == min(50, len(BASE_REGIONS))
        everything = await c.get(REGIONS, params={"limit": 200})
        assert everything.status_code == 200
        assert len(everything.json()["items"]) == len(BASE_REGIONS)
        assert everything.json()["next_cursor"] is None


FORGED_CURSORS = {
    "random text": "this is not a cursor!",
    "not base64": "@@@@",
    "base64 of garbage": b64(b"{not json"),
    "base64 of bytes": b64(b"\xff\xfe\x00\x81"),
    "json object": b64(b'{"code": "340406"}'),
    "json null": b64(b"null"),
    "wrong version": b64(b'[2, "340406"]'),
    "wrong type": b64(b'[1, {"code": 5}]'),
    "only a string": b64(b'["x"]'),
    "too many keys": b64(b'[1, "340406", "340406107"]'),
    "nested": b64(b"[1, [[[[[]]]]]]"),
    "huge": "A" * 600,
    "huge base64": b64(json.dumps([1, "9" * 2000]).encode()),
}


class TestForgedCursors:
    @pytest.mark.parametrize("cursor", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
    async def test_a_cursor_the_list_never_handed_out_is_a_422_invalid_cursor(
        self, factory: Factory, cursor: str
    ) -> None:
        c = await factory.as_role("admin")
        for path in (REGIONS, USERS, "/api/v1/audit-log"):
            body = problem(await c.get(path, params={"cursor": cursor}), 422, "invalid_cursor")
            assert error_fields(body) == {"query.cursor"}

    @pytest.mark.parametrize(
        "values",
        [["x"], [10**30], [-(10**30)], [1.5], [True], [None], ["1"]],
        ids=["string", "huge", "huge negative", "float", "bool", "null", "numeric string"],
    )
    async def test_an_id_cursor_with_a_value_no_id_can_have_is_a_422(
        self, factory: Factory, values: list[Any]
    ) -> None:
        c = await factory.as_role("admin")
        cursor = b64(json.dumps([1, *values]).encode())
        for path in (USERS, "/api/v1/audit-log"):
            problem(await c.get(path, params={"cursor": cursor}), 422, "invalid_cursor")

    async def test_a_cursor_of_one_list_is_refused_by_another(self, factory: Factory) -> None:
        c = await factory.as_role("admin")
        regions_cursor = (await c.get(REGIONS, params={"limit": 1})).json()["next_cursor"]
        assert regions_cursor
        problem(await c.get(USERS, params={"cursor": regions_cursor}), 422, "invalid_cursor")


class TestWalkingAList:
    async def test_limit_2_visits_every_row_once_in_a_stable_order(self, factory: Factory) -> None:
        c = await factory.as_role("caseworker")
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            r = await c.get(REGIONS, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
            assert r.status_code == 200, r.text
            items = r.json()["items"]
            assert 1 <= len(items) <= 2
            seen += [x["code"] for x in items]
            pages += 1
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(BASE_REGIONS)
        assert pages == (len(BASE_REGIONS) + 1) // 2

    async def test_rows_added_during_a_walk_never_repeat_or_hide_others(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin")
        first = (await admin.get(REGIONS, params={"limit": 5})).json()
        # A new code sorting before the cursor, and one after it.
        for code in ("340406001299", "340406200299"):
            r = await admin.post(
                REGIONS,
                json={"code": code, "name": "新村", "level": "village", "parent_code": code[:9]},
            )
            assert r.status_code == 201, r.text
        seen = [x["code"] for x in first["items"]]
        cursor = first["next_cursor"]
        while cursor:
            page = (await admin.get(REGIONS, params={"limit": 5, "cursor": cursor})).json()
            seen += [x["code"] for x in page["items"]]
            cursor = page["next_cursor"]
        assert len(seen) == len(set(seen))
        assert set(BASE_REGIONS) | {"340406200299"} <= set(seen)
        assert seen == sorted(seen)


class TestProblemDocuments:
    async def test_an_unknown_route_is_a_404_problem(self, client: AsyncClient) -> None:
        body = problem(await client.get("/api/v1/no-such-thing"), 404, "not_found")
        assert body["instance"] == "/api/v1/no-such-thing"

    async def test_a_wrong_method_is_a_405_problem_with_an_allow_header(
        self, client: AsyncClient
    ) -> None:
        r = await client.delete(REGIONS)
        problem(r, 405, "method_not_allowed")
        # The router names the methods of the first route on the path only (GET, not POST).
        assert "GET" in r.headers["Allow"]
        problem(await client.put(f"{REGIONS}/{QIJI}"), 405, "method_not_allowed")

    async def test_a_body_that_is_not_json_is_a_422_problem(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(
            REGIONS, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        problem(r, 422, "validation_failed")


class TestRequestIds:
    @pytest.mark.parametrize("request_id", ["phone-42.visit:7_a", "A" * 128])
    async def test_a_safe_client_id_is_echoed_in_the_header_and_in_problems(
        self, client: AsyncClient, request_id: str
    ) -> None:
        ok = await client.get("/healthz", headers={"X-Request-ID": request_id})
        assert ok.headers["X-Request-ID"] == request_id
        r = await client.get(REGIONS, headers={"X-Request-ID": request_id})
        assert r.headers["X-Request-ID"] == request_id
        assert problem(r, 401, "unauthorized")["request_id"] == request_id

    @pytest.mark.parametrize(
        "request_id",
        ["has spaces", "line\nbreak", "tab\there", "A" * 129, 'quote"d', "<script>", "中文"],
    )
    async def test_an_unsafe_client_id_is_replaced(
        self, client: AsyncClient, request_id: str
    ) -> None:
        raw = [(b"x-request-id", request_id.encode())]
        r = await client.get(REGIONS, headers=raw)
        replaced = r.headers["X-Request-ID"]
        assert replaced != request_id
        assert replaced.isalnum()
        assert problem(r, 401, "unauthorized")["request_id"] == replaced

    async def test_every_response_without_a_client_id_gets_a_fresh_one(
        self, client: AsyncClient
    ) -> None:
        first = (await client.get("/healthz")).headers["X-Request-ID"]
        second = (await client.get("/healthz")).headers["X-Request-ID"]
        assert first != second


class TestUnexpectedErrors:
    @staticmethod
    async def _boom() -> None:
        raise RuntimeError("secret-detail")

    @staticmethod
    async def _sql_boom() -> None:
        raise sa_exc.IntegrityError(
            "INSERT INTO secret_table (password) VALUES ('hunter2')",
            {"password": "hunter2"},
            Exception("duplicate key secret_table_pkey"),
        )

    @pytest.mark.parametrize("route", ["_boom", "_sql_boom"])
    async def test_an_unexpected_exception_is_a_bare_500_problem(
        self, app: FastAPI, route: str
    ) -> None:
        app.add_api_route("/boom", getattr(self, route), methods=["GET"])
        transport = ASGITransport(app=app, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://jobpath.test") as c:
            r = await c.get("/boom", headers={"X-Request-ID": "boom-1"})
        body = problem(r, 500, "internal_error")
        assert body["request_id"] == "boom-1"
        assert r.headers["X-Request-ID"] == "boom-1"
        for leak in ("secret", "hunter2", "Traceback", "RuntimeError", "INSERT", "File "):
            assert leak not in r.text


class TestValuesNoColumnCanHold:
    @pytest.mark.parametrize("user_id", ["99999999999999999999", "9223372036854775808", "0"])
    async def test_an_id_beyond_64_bits_is_a_422_naming_it(
        self, factory: Factory, user_id: str
    ) -> None:
        admin = await factory.as_role("admin")
        url = f"{USERS}/{user_id}"
        for r in (
            await admin.get(url),
            await admin.patch(url, json={"full_name": "x"}, headers={"If-Match": '"1"'}),
        ):
            assert error_fields(problem(r, 422, "validation_failed")) == {"path.user_id"}

    async def test_the_largest_64_bit_id_is_simply_not_found(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        problem(await admin.get(f"{USERS}/{2**63 - 1}"), 404, "user_not_found")

    @pytest.mark.parametrize(
        ("path", "params"),
        [
            (REGIONS, {"name": "许\x00岗"}),
            (USERS, {"q": "a\x00"}),
            ("/api/v1/audit-log", {"action": "\x00"}),
        ],
    )
    async def test_a_nul_character_in_a_filter_never_breaks_the_list(
        self, factory: Factory, session: AsyncSession, path: str, params: dict[str, str]
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.get(path, params=params)
        if session.get_bind().dialect.name == "postgresql":
            problem(r, 422, "unstorable_value")
        else:
            assert r.status_code == 200, r.text
            assert r.json()["items"] == []

    async def test_a_nul_character_in_a_body_is_refused_the_same_on_both_databases(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(REGIONS, json=village(name="新\x00村"))
        body = problem(r, 422, "validation_failed")
        assert error_fields(body) == {"body.name"}
        assert "\x00" not in r.text
        assert await count(session, Region, col(Region.code) == "340406107204") == 0


class TestDatesAreWrittenAsDates:
    """Pydantic alone would read 0 or 1.5e9 as seconds since 1970 (found by the fuzzer)."""

    @pytest.mark.parametrize(
        ("path", "params"),
        [
            ("/api/v1/audit-log", {"since": "0.0"}),
            ("/api/v1/recruitment-events", {"from_date": "0.0"}),
            ("/api/v1/subsidy-policies", {"valid_on": "1.5e9"}),
            ("/api/v1/claims", {"period_from": "0"}),
        ],
    )
    async def test_a_number_for_a_date_in_a_query_is_a_422(
        self, factory: Factory, path: str, params: dict[str, str]
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.get(path, params=params)
        assert error_fields(problem(r, 422, "validation_failed")) == {f"query.{next(iter(params))}"}

    @pytest.mark.parametrize("value", [0, 1_700_000_000, 1.5, True])
    async def test_a_number_for_a_date_in_a_body_is_a_422_and_writes_nothing(
        self, factory: Factory, session: AsyncSession, value: object
    ) -> None:
        admin = await factory.as_role("admin")
        course = await new_course(admin)
        body = {"course_id": course["id"], "provider": "中心", "township_code": QIJI,
                "start_date": value, "end_date": "2026-12-31", "capacity": 5}  # fmt: skip
        r = await admin.post("/api/v1/training/sessions", json=body)
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.start_date"}
        assert await count(session, TrainingSession) == 0


class TestIdempotencyKey:
    async def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        first = await admin.post(REGIONS, json=village(), headers=headers)
        again = await admin.post(REGIONS, json=village(), headers=headers)
        assert first.status_code == again.status_code == 201, again.text
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert await count(session, Region, col(Region.code) == "340406107204") == 1
        created = col(AuditEntry.action) == "region.create"
        assert await count(session, AuditEntry, created) == 1

    async def test_a_replayed_user_creation_carries_the_same_etag(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        body = {
            "username": "retry.me",
            "full_name": "重试",
            "role": "auditor",
            "password": "correct horse battery staple",
        }
        first = await admin.post(USERS, json=body, headers=headers)
        again = await admin.post(USERS, json=body, headers=headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert again.headers["ETag"] == first.headers["ETag"]
        assert "password" not in again.text

    async def test_the_same_key_with_another_body_is_a_422_and_writes_nothing(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        assert (await admin.post(REGIONS, json=village(), headers=headers)).status_code == 201
        other = village(code="340406107205", name="另一村")
        r = await admin.post(REGIONS, json=other, headers=headers)
        problem(r, 422, "idempotency_key_reused")
        assert await count(session, Region, col(Region.code) == "340406107205") == 0

    async def test_keys_are_per_user(self, factory: Factory, session: AsyncSession) -> None:
        alice, bob = await factory.as_role("admin"), await factory.as_role("admin")
        headers = {"Idempotency-Key": "shared-key-123"}
        assert (await alice.post(REGIONS, json=village(), headers=headers)).status_code == 201
        # Bob's identical request is his own: he is told the code exists, not given Alice's answer.
        same = await bob.post(REGIONS, json=village(), headers=headers)
        problem(same, 409, "conflict")
        assert "Idempotent-Replayed" not in same.headers
        # And his other request under the same key is not "key reused": it creates his region.
        mine = await bob.post(REGIONS, json=village(code="340406107205"), headers=headers)
        assert mine.status_code == 201, mine.text
        assert "Idempotent-Replayed" not in mine.headers
        assert await records_for(session, "shared-key-123") == 2

    @pytest.mark.parametrize("key", ["short", "", "has space 123", "x" * 256])
    async def test_a_malformed_key_is_a_422_naming_the_header(
        self, factory: Factory, session: AsyncSession, key: str
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(REGIONS, json=village(), headers={"Idempotency-Key": key})
        body = problem(r, 422, "validation_failed")
        assert error_fields(body) == {"header.Idempotency-Key"}
        assert await count(session, Region, col(Region.code) == "340406107204") == 0

    async def test_a_request_that_fails_does_not_use_up_its_key(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        key = str(uuid.uuid4())
        duplicate = village(code=XUGANG)
        r = await admin.post(REGIONS, json=duplicate, headers={"Idempotency-Key": key})
        problem(r, 409, "conflict")
        assert await records_for(session, key) == 0
        # Retrying the failed request fails the same way (no stored answer, nothing in flight)...
        r = await admin.post(REGIONS, json=duplicate, headers={"Idempotency-Key": key})
        problem(r, 409, "conflict")
        assert await records_for(session, key) == 0
        # ...and the key is still free for the corrected request.
        fixed = await admin.post(REGIONS, json=village(), headers={"Idempotency-Key": key})
        assert fixed.status_code == 201, fixed.text
        assert await records_for(session, key) == 1

    @pytest.mark.parametrize("attempt", range(3 if IS_POSTGRES else 1))
    async def test_fifty_parallel_posts_with_one_key_create_one_region(
        self, factory: Factory, session: AsyncSession, attempt: int
    ) -> None:
        admin = await factory.as_role("admin")
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        responses = await asyncio.gather(
            *(admin.post(REGIONS, json=village(), headers=headers) for _ in range(50))
        )
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {201, 409}, statuses
        created = [r for r in responses if r.status_code == 201]
        assert created
        assert all(r.json() == created[0].json() for r in created)
        assert sum("Idempotent-Replayed" not in r.headers for r in created) == 1
        for r in responses:
            if r.status_code == 409:
                problem(r, 409, "idempotency_in_flight")
                assert r.headers["Retry-After"] == "1"
        if not IS_POSTGRES:
            # SQLite runs writers one at a time: every retry finds the finished answer.
            assert statuses == [201] * 50
        assert await count(session, Region, col(Region.code) == "340406107204") == 1
        assert await records_for(session, headers["Idempotency-Key"]) == 1
