"""Employers: admins register and verify them; an employer's users keep their own profile."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.identifiers import CREDIT_ALPHABET
from app.models import Employer, EmployerKind
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    count_rows,
    credit_code,
    employer_user,
    error_fields,
    problem,
)

EMPLOYERS = "/api/v1/employers"
_codes = itertools.count(7_000_000)


def employer_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "淮南祁集服装扶贫车间",
        "credit_code": credit_code(next(_codes)),
        "kind": "workshop",
        "region_code": XUGANG,
        "contact_name": "李经理",
        "contact_phone": "13955501234",
        **fields,
    }


def wrong_check_character(code: str) -> str:
    other = next(c for c in CREDIT_ALPHABET if c != code[-1])
    return code[:-1] + other


async def read(c: AsyncClient, employer_id: int | None) -> dict[str, Any]:
    r = await c.get(f"{EMPLOYERS}/{employer_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def listed_ids(c: AsyncClient, **params: Any) -> set[int]:
    """Every employer id the list shows, following next_cursor to the end."""
    ids: list[int] = []
    cursor: str | None = None
    while True:
        r = await c.get(EMPLOYERS, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        ids += [e["id"] for e in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            assert len(ids) == len(set(ids)), ids
            return set(ids)


class TestCreateEmployer:
    async def test_an_admin_registers_a_workshop(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        body = employer_body()
        r = await admin.post(EMPLOYERS, json=body)
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["credit_code"] == body["credit_code"]
        assert made["kind"] == "workshop"
        assert made["region_code"] == XUGANG
        assert made["verified"] is False
        assert made["verified_at"] is None
        assert r.headers["ETag"] == f'"{made["version"]}"'

    @pytest.mark.parametrize("kind", ["enterprise", "cooperative", "workshop", "base"])
    async def test_every_kind_of_employer_is_registered(self, factory: Factory, kind: str) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(EMPLOYERS, json=employer_body(kind=kind))
        assert r.status_code == 201, r.text
        assert r.json()["kind"] == kind

    async def test_an_unknown_kind_is_refused(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        body = problem(
            await admin.post(EMPLOYERS, json=employer_body(kind="factory")),
            422,
            "validation_failed",
        )
        assert error_fields(body) == {"body.kind"}

    async def test_a_bad_check_character_is_refused(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        bad = wrong_check_character(credit_code(next(_codes)))
        r = await admin.post(EMPLOYERS, json=employer_body(credit_code=bad))
        body = problem(r, 422, "validation_failed")
        assert error_fields(body) == {"body.credit_code"}
        assert bad not in r.text  # the value is not echoed back

    @pytest.mark.parametrize("code", ["91340400MA2N1234", "91340400MA2N1234IO", "９１３４０４"])
    async def test_a_malformed_credit_code_is_refused(self, factory: Factory, code: str) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(EMPLOYERS, json=employer_body(credit_code=code))
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.credit_code"}

    async def test_a_lowercase_credit_code_is_stored_upper_case(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        code = credit_code(next(_codes))
        assert code != code.lower()
        r = await admin.post(EMPLOYERS, json=employer_body(credit_code=f" {code.lower()} "))
        assert r.status_code == 201, r.text
        assert r.json()["credit_code"] == code

    async def test_a_credit_code_registered_before_is_a_conflict(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        code = credit_code(next(_codes))
        assert (
            await admin.post(EMPLOYERS, json=employer_body(credit_code=code))
        ).status_code == 201
        again = await admin.post(
            EMPLOYERS, json=employer_body(credit_code=code.lower(), name="另一家")
        )
        problem(again, 409, "duplicate_credit_code")

    async def test_an_unknown_region_is_refused(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(EMPLOYERS, json=employer_body(region_code="340406199"))
        assert error_fields(problem(r, 422, "unknown_region")) == {"body.region_code"}

    @pytest.mark.parametrize("field", ["verified", "id", "owner"])
    async def test_unknown_fields_are_refused(self, factory: Factory, field: str) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(EMPLOYERS, json=employer_body(**{field: True}))
        assert error_fields(problem(r, 422, "validation_failed")) == {f"body.{field}"}

    @pytest.mark.parametrize("role", ["caseworker", "auditor", "employer"])
    async def test_only_admins_register_employers(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        c = await factory.as_role(role)
        body = employer_body()
        problem(await c.post(EMPLOYERS, json=body), 403, "forbidden")
        assert (
            await count_rows(session, Employer, col(Employer.credit_code) == body["credit_code"])
            == 0
        )


class TestVerifyEmployer:
    async def test_an_admin_verifies_an_employer(self, factory: Factory) -> None:
        employer = await factory.employer(verified=False)
        admin = await factory.as_role("admin")
        r = await admin.post(f"{EMPLOYERS}/{employer.id}/verify")
        assert r.status_code == 200, r.text
        assert r.json()["verified"] is True
        assert r.json()["verified_at"] is not None
        again = await admin.post(f"{EMPLOYERS}/{employer.id}/verify")
        assert again.status_code == 200, again.text
        assert again.json()["verified_at"] == r.json()["verified_at"]

    @pytest.mark.parametrize("role", ["caseworker", "auditor", "employer"])
    async def test_nobody_else_verifies(self, factory: Factory, role: str) -> None:
        employer = await factory.employer(verified=False)
        kw: dict[str, Any] = {"employer_id": employer.id} if role == "employer" else {}
        c = await factory.as_role(role, **kw)
        problem(await c.post(f"{EMPLOYERS}/{employer.id}/verify"), 403, "forbidden")
        admin = await factory.as_role("admin")
        assert (await read(admin, employer.id))["verified"] is False

    async def test_an_unknown_employer_is_not_found(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        problem(await admin.post(f"{EMPLOYERS}/987654/verify"), 404, "employer_not_found")


class TestEmployerUsersOwnProfile:
    async def test_an_employer_user_reads_its_own_employer(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        r = await boss.get(f"{EMPLOYERS}/{employer.id}")
        assert r.status_code == 200, r.text
        assert r.json()["name"] == employer.name
        assert r.headers["ETag"] == f'"{r.json()["version"]}"'

    async def test_an_employer_user_cannot_read_another_employer(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        other = await factory.employer()
        problem(await boss.get(f"{EMPLOYERS}/{other.id}"), 404, "employer_not_found")

    async def test_an_employer_user_lists_only_its_own_employer(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        await factory.employer()
        assert await listed_ids(boss) == {employer.id}

    async def test_an_employer_user_edits_name_contact_and_address(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        etag = (await boss.get(f"{EMPLOYERS}/{employer.id}")).headers["ETag"]
        changes = {
            "name": "祁集镇许岗服装厂",
            "contact_name": "赵主任",
            "contact_phone": "13700001111",
            "address": "许岗村村委会东50米",
        }
        r = await boss.patch(f"{EMPLOYERS}/{employer.id}", json=changes, headers={"If-Match": etag})
        assert r.status_code == 200, r.text
        assert {k: r.json()[k] for k in changes} == changes
        assert r.headers["ETag"] != etag

    async def test_an_employer_user_cannot_edit_another_employer(self, factory: Factory) -> None:
        _, boss = await employer_user(factory)
        other = await factory.employer(name="别人的车间")
        r = await boss.patch(
            f"{EMPLOYERS}/{other.id}", json={"name": "改了"}, headers={"If-Match": '"1"'}
        )
        problem(r, 404, "employer_not_found")
        admin = await factory.as_role("admin")
        assert (await read(admin, other.id))["name"] == "别人的车间"

    @pytest.mark.parametrize(
        "changes", [{"kind": "enterprise"}, {"region_code": PINGWEI}, {"name": "x", "kind": "base"}]
    )
    async def test_an_employer_user_cannot_change_what_the_bureau_decides(
        self, factory: Factory, changes: dict[str, Any]
    ) -> None:
        employer, boss = await employer_user(factory)
        before = await read(boss, employer.id)
        r = await boss.patch(
            f"{EMPLOYERS}/{employer.id}",
            json=changes,
            headers={"If-Match": f'"{before["version"]}"'},
        )
        problem(r, 403, "field_not_editable")
        assert await read(boss, employer.id) == before

    async def test_an_employer_user_cannot_verify_itself_by_editing(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory, verified=False)
        before = await read(boss, employer.id)
        r = await boss.patch(
            f"{EMPLOYERS}/{employer.id}",
            json={"verified": True},
            headers={"If-Match": f'"{before["version"]}"'},
        )
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.verified"}
        assert await read(boss, employer.id) == before

    async def test_an_admin_changes_the_kind_and_region(self, factory: Factory) -> None:
        employer = await factory.employer()
        admin = await factory.as_role("admin")
        r = await admin.patch(
            f"{EMPLOYERS}/{employer.id}",
            json={"kind": "base", "region_code": PINGWEI_VILLAGE},
            headers={"If-Match": f'"{employer.version}"'},
        )
        assert r.status_code == 200, r.text
        assert (r.json()["kind"], r.json()["region_code"]) == ("base", PINGWEI_VILLAGE)

    async def test_a_caseworker_does_not_edit_employers(self, factory: Factory) -> None:
        employer = await factory.employer()
        cw = await factory.as_role("caseworker")
        r = await cw.patch(
            f"{EMPLOYERS}/{employer.id}",
            json={"name": "改了"},
            headers={"If-Match": f'"{employer.version}"'},
        )
        problem(r, 403, "forbidden")


class TestEditingNeedsTheCurrentVersion:
    async def test_without_if_match_it_is_refused(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        r = await boss.patch(f"{EMPLOYERS}/{employer.id}", json={"name": "新名字"})
        problem(r, 428, "if_match_required")
        assert (await read(boss, employer.id))["name"] == employer.name

    async def test_a_stale_version_changes_nothing(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        first = await read(boss, employer.id)
        stale = {"If-Match": f'"{first["version"]}"'}
        ok = await boss.patch(f"{EMPLOYERS}/{employer.id}", json={"name": "第一次"}, headers=stale)
        assert ok.status_code == 200, ok.text
        late = await boss.patch(
            f"{EMPLOYERS}/{employer.id}", json={"name": "第二次"}, headers=stale
        )
        body = problem(late, 412, "version_mismatch")
        assert body["differing_fields"] == ["name"]
        assert (await read(boss, employer.id))["name"] == "第一次"

    async def test_unknown_fields_are_refused(self, factory: Factory) -> None:
        employer, boss = await employer_user(factory)
        r = await boss.patch(
            f"{EMPLOYERS}/{employer.id}",
            json={"name": "x", "credit_code": "x"},
            headers={"If-Match": f'"{employer.version}"'},
        )
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.credit_code"}


class TestListEmployers:
    @pytest.mark.parametrize("role", ["caseworker", "admin"])
    async def test_caseworkers_and_admins_see_every_employer(
        self, factory: Factory, role: str
    ) -> None:
        qiji = await factory.employer(region=XUGANG)
        pingwei = await factory.employer(region=PINGWEI_VILLAGE)
        c = await factory.as_role(role)
        assert {qiji.id, pingwei.id} <= await listed_ids(c, limit=1)
        assert (await read(c, pingwei.id))["region_code"] == PINGWEI_VILLAGE

    async def test_an_auditor_of_a_township_sees_its_employers_only(self, factory: Factory) -> None:
        qiji = await factory.employer(region=XUGANG)
        pingwei = await factory.employer(region=PINGWEI_VILLAGE)
        auditor = await factory.as_role("auditor", region=QIJI)
        assert await listed_ids(auditor) == {qiji.id}
        problem(await auditor.get(f"{EMPLOYERS}/{pingwei.id}"), 404, "employer_not_found")

    async def test_filters_by_kind_verified_and_region(self, factory: Factory) -> None:
        base = await factory.employer(kind=EmployerKind.base, region=PINGWEI_VILLAGE)
        unverified = await factory.employer(verified=False)
        admin = await factory.as_role("admin")
        assert base.id in await listed_ids(admin, kind="base")
        assert base.id not in await listed_ids(admin, kind="workshop")
        assert await listed_ids(admin, verified="false") == {unverified.id}
        assert await listed_ids(admin, region=PINGWEI) == {base.id}
