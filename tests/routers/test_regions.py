"""The region tree of 潘集区: everyone signed in reads it, admins grow and rename it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import AuditEntry, Region
from tests.factories import (
    BASE_REGIONS,
    DISTRICT,
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    error_fields,
    problem,
)

REGIONS = "/api/v1/regions"
QIJI_VILLAGES = ["340406107201", "340406107202", "340406107203"]
NEW_VILLAGE = "340406107204"


def village(code: str = NEW_VILLAGE, parent: str = QIJI, **fields: Any) -> dict[str, Any]:
    return {"code": code, "name": "新建村", "level": "village", "parent_code": parent, **fields}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def codes(c: AsyncClient, **params: Any) -> list[str]:
    """Every code the list shows with these filters, following next_cursor to the end."""
    found: list[str] = []
    cursor: str | None = None
    while True:
        r = await c.get(REGIONS, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        found += [region["code"] for region in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return found


async def add_village(admin: AsyncClient) -> None:
    r = await admin.post(REGIONS, json=village())
    assert r.status_code == 201, r.text


async def count_regions(session: AsyncSession, code: str) -> int:
    n = await session.scalar(
        select(func.count()).select_from(Region).where(col(Region.code) == code)
    )
    # End the read: on SQLite an open transaction holds the write lock the app needs next.
    await session.rollback()
    return int(n or 0)


class TestListRegions:
    @pytest.mark.parametrize("role", ["caseworker", "employer", "auditor", "admin"])
    async def test_every_signed_in_role_reads_the_whole_tree(
        self, factory: Factory, role: str
    ) -> None:
        c = await factory.as_role(role)
        assert await codes(c) == sorted(BASE_REGIONS)

    async def test_anonymous_callers_get_401(self, factory: Factory) -> None:
        anonymous = factory.client()
        problem(await anonymous.get(REGIONS), 401, "unauthorized")
        problem(await anonymous.get(f"{REGIONS}/{QIJI}"), 401, "unauthorized")

    async def test_the_children_of_a_parent(self, factory: Factory) -> None:
        c = await factory.as_role("caseworker")
        assert await codes(c, parent=QIJI) == QIJI_VILLAGES
        assert await codes(c, parent=XUGANG) == []

    async def test_one_level(self, factory: Factory) -> None:
        c = await factory.as_role("caseworker")
        townships = await codes(c, level="township")
        assert len(townships) == 11
        assert {QIJI, PINGWEI} <= set(townships)
        assert await codes(c, level="district") == [DISTRICT]
        problem(await c.get(REGIONS, params={"level": "county"}), 422, "validation_failed")

    async def test_a_subtree(self, factory: Factory) -> None:
        c = await factory.as_role("caseworker")
        assert await codes(c, within=QIJI) == [QIJI, *QIJI_VILLAGES]
        assert await codes(c, within=XUGANG) == [XUGANG]
        assert await codes(c, within=QIJI, level="village") == QIJI_VILLAGES
        problem(await c.get(REGIONS, params={"within": "340406999"}), 404, "region_not_found")

    async def test_by_name(self, factory: Factory) -> None:
        c = await factory.as_role("caseworker")
        r = await c.get(REGIONS, params={"name": "许岗"})
        assert [(x["code"], x["name"]) for x in r.json()["items"]] == [(XUGANG, "许岗村")]
        assert await codes(c, name="%") == []

    @pytest.mark.parametrize(
        ("param", "value"), [("parent", "qiji"), ("within", "12345"), ("name", "")]
    )
    async def test_a_malformed_filter_is_a_422_naming_it(
        self, factory: Factory, param: str, value: str
    ) -> None:
        c = await factory.as_role("caseworker")
        body = problem(await c.get(REGIONS, params={param: value}), 422, "validation_failed")
        assert error_fields(body) == {f"query.{param}"}


class TestReadOneRegion:
    async def test_a_township_with_its_ancestors_and_villages(self, factory: Factory) -> None:
        c = await factory.as_role("caseworker")
        r = await c.get(f"{REGIONS}/{QIJI}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["code"], body["name"], body["level"]) == (QIJI, "祁集镇", "township")
        assert body["parent_code"] == DISTRICT
        assert [(a["code"], a["name"]) for a in body["ancestors"]] == [(DISTRICT, "潘集区")]
        assert [ch["code"] for ch in body["children"]] == QIJI_VILLAGES
        assert body["children"][0]["name"] == "许岗村"

    async def test_a_village_lists_the_district_then_the_township(self, factory: Factory) -> None:
        c = await factory.as_role("employer")
        body = (await c.get(f"{REGIONS}/{XUGANG}")).json()
        assert [a["name"] for a in body["ancestors"]] == ["潘集区", "祁集镇"]
        assert body["children"] == []

    async def test_the_district_has_no_ancestors(self, factory: Factory) -> None:
        c = await factory.as_role("auditor")
        body = (await c.get(f"{REGIONS}/{DISTRICT}")).json()
        assert body["ancestors"] == []
        assert len(body["children"]) == 11

    async def test_an_unknown_code_is_404_and_a_malformed_one_422(self, factory: Factory) -> None:
        c = await factory.as_role("caseworker")
        problem(await c.get(f"{REGIONS}/340406999"), 404, "region_not_found")
        body = problem(await c.get(f"{REGIONS}/qiji"), 422, "validation_failed")
        assert error_fields(body) == {"path.code"}


class TestCreateRegion:
    async def test_an_admin_adds_a_village_under_a_township(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(REGIONS, json=village(), headers=key())
        assert r.status_code == 201, r.text
        assert r.json() == {
            "code": NEW_VILLAGE,
            "name": "新建村",
            "level": "village",
            "parent_code": QIJI,
        }
        detail = (await admin.get(f"{REGIONS}/{NEW_VILLAGE}")).json()
        assert [a["code"] for a in detail["ancestors"]] == [DISTRICT, QIJI]
        assert NEW_VILLAGE in await codes(admin, within=QIJI)
        entries = (
            await session.scalars(
                select(AuditEntry).where(col(AuditEntry.resource_id) == NEW_VILLAGE)
            )
        ).all()
        assert [e.action for e in entries] == ["region.create"]

    async def test_the_new_village_scopes_a_caseworker_of_its_township(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin", region=QIJI)
        assert (await admin.post(REGIONS, json=village(), headers=key())).status_code == 201
        r = await admin.post(
            "/api/v1/users",
            json={
                "username": "new.village",
                "full_name": "新村专干",
                "role": "caseworker",
                "region_code": NEW_VILLAGE,
                "password": "correct horse battery staple",
            },
        )
        assert r.status_code == 201, r.text

    @pytest.mark.parametrize(
        ("parent", "level"),
        [(XUGANG, "village"), (QIJI, "township"), (QIJI, "district"), (XUGANG, "township")],
    )
    async def test_a_level_that_cannot_sit_under_the_parent_is_a_422(
        self, factory: Factory, session: AsyncSession, parent: str, level: str
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(REGIONS, json=village(parent=parent, level=level), headers=key())
        assert error_fields(problem(r, 422, "wrong_region_level")) == {"body.level"}
        assert await count_regions(session, NEW_VILLAGE) == 0

    async def test_an_unknown_parent_is_a_422(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(REGIONS, json=village(parent="340406999"))
        assert error_fields(problem(r, 422, "unknown_region")) == {"body.parent_code"}
        assert await count_regions(session, NEW_VILLAGE) == 0

    async def test_an_existing_code_is_a_409(self, factory: Factory, session: AsyncSession) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(REGIONS, json=village(code=XUGANG, name="冒名村"), headers=key())
        problem(r, 409, "conflict")
        assert (await admin.get(f"{REGIONS}/{XUGANG}")).json()["name"] == "许岗村"

    @pytest.mark.parametrize("code", ["34040", "3404061072011", "34040610720a", ""])
    async def test_a_code_that_is_not_a_division_code_is_a_422(
        self, factory: Factory, code: str
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(REGIONS, json=village(code=code))
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.code"}

    @pytest.mark.parametrize("extra", [{"path": "340406/"}, {"id": 1}, {"ancestors": []}])
    async def test_unknown_fields_are_a_422(
        self, factory: Factory, session: AsyncSession, extra: dict[str, Any]
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(REGIONS, json=village(**extra))
        assert error_fields(problem(r, 422, "validation_failed")) == {f"body.{next(iter(extra))}"}
        assert await count_regions(session, NEW_VILLAGE) == 0

    @pytest.mark.parametrize("role", ["caseworker", "employer", "auditor"])
    async def test_other_roles_get_403(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        c = await factory.as_role(role)
        problem(await c.post(REGIONS, json=village(), headers=key()), 403, "forbidden")
        problem(await factory.client().post(REGIONS, json=village()), 401, "unauthorized")
        assert await count_regions(session, NEW_VILLAGE) == 0

    async def test_two_admins_adding_the_same_code_at_once_get_one_201_and_409s(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admins = [await factory.as_role("admin") for _ in range(4)]
        responses = await asyncio.gather(*(a.post(REGIONS, json=village()) for a in admins))
        assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
        for r in responses:
            if r.status_code == 409:
                problem(r, 409, "conflict")
        assert await count_regions(session, NEW_VILLAGE) == 1


class TestARegionScopedAdminGrowsOnlyTheirOwnTree:
    async def test_adds_a_village_to_their_township(self, factory: Factory) -> None:
        admin = await factory.as_role("admin", region=QIJI)
        assert (await admin.post(REGIONS, json=village())).status_code == 201

    @pytest.mark.parametrize(
        "body",
        [
            village(code="340406100204", parent=PINGWEI),
            {"code": "340406109", "name": "新镇", "level": "township", "parent_code": DISTRICT},
            {"code": "340407", "name": "别区", "level": "district", "parent_code": None},
        ],
    )
    async def test_cannot_add_a_region_outside_it(
        self, factory: Factory, session: AsyncSession, body: dict[str, Any]
    ) -> None:
        admin = await factory.as_role("admin", region=QIJI)
        problem(await admin.post(REGIONS, json=body), 403, "region_out_of_scope")
        assert await count_regions(session, body["code"]) == 0

    async def test_cannot_rename_a_region_outside_it(self, factory: Factory) -> None:
        admin = await factory.as_role("admin", region=QIJI)
        for code in (PINGWEI, PINGWEI_VILLAGE, DISTRICT):
            r = await admin.patch(f"{REGIONS}/{code}", json={"name": "改名"})
            problem(r, 403, "region_out_of_scope")
            assert (await admin.get(f"{REGIONS}/{code}")).json()["name"] == BASE_REGIONS[code][0]
        await add_village(admin)
        r = await admin.patch(f"{REGIONS}/{NEW_VILLAGE}", json={"name": "祁集新村"})
        assert r.status_code == 200, r.text


class TestRenameRegion:
    """Renames touch a village each test adds: the base tree outlives a test on PostgreSQL."""

    async def test_an_admin_renames_a_village(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        await add_village(admin)
        r = await admin.patch(f"{REGIONS}/{NEW_VILLAGE}", json={"name": "新建社区"})
        assert r.status_code == 200, r.text
        assert r.json() == {
            "code": NEW_VILLAGE,
            "name": "新建社区",
            "level": "village",
            "parent_code": QIJI,
        }
        children = (await admin.get(f"{REGIONS}/{QIJI}")).json()["children"]
        assert children[-1] == r.json()
        entry = await session.scalar(
            select(AuditEntry).where(
                col(AuditEntry.action) == "region.update",
                col(AuditEntry.resource_id) == NEW_VILLAGE,
            )
        )
        assert entry is not None
        assert entry.changes == {"name": {"before": "新建村", "after": "新建社区"}}

    @pytest.mark.parametrize(
        "body", [{"name": ""}, {}, {"name": "新名", "code": "340406107299"}, {"level": "township"}]
    )
    async def test_only_a_non_empty_name_may_change(
        self, factory: Factory, body: dict[str, Any]
    ) -> None:
        admin = await factory.as_role("admin")
        problem(await admin.patch(f"{REGIONS}/{XUGANG}", json=body), 422, "validation_failed")
        assert (await admin.get(f"{REGIONS}/{XUGANG}")).json()["name"] == "许岗村"

    async def test_an_unknown_region_is_404(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        r = await admin.patch(f"{REGIONS}/340406999", json={"name": "无"})
        problem(r, 404, "region_not_found")

    @pytest.mark.parametrize("role", ["caseworker", "employer", "auditor"])
    async def test_other_roles_get_403(self, factory: Factory, role: str) -> None:
        c = await factory.as_role(role)
        problem(await c.patch(f"{REGIONS}/{XUGANG}", json={"name": "改名"}), 403, "forbidden")
        assert (await c.get(f"{REGIONS}/{XUGANG}")).json()["name"] == "许岗村"
