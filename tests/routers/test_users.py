"""Accounts: admins create, read, change and retire them, within their own region scope."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio.to_thread
import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from typer.testing import CliRunner, Result

from app import cli as cli_module
from app.core.config import get_settings
from app.models import User
from tests.factories import (
    DISTRICT,
    PASSWORD,
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    error_fields,
    problem,
    signed_in,
)
from tests.routers.test_auth import (
    ISSUE_WEAK_PASSWORDS,
    STRONG,
    audited,
    note,
    refused_as_weak,
)

USERS = "/api/v1/users"


def new_user(username: str, role: str, **fields: Any) -> dict[str, Any]:
    return {
        "username": username,
        "full_name": "张三",
        "role": role,
        "password": PASSWORD,
        **fields,
    }


async def count_users(session: AsyncSession, username: str) -> int:
    found = await session.scalar(
        select(func.count()).select_from(User).where(col(User.username) == username)
    )
    # End the read: on SQLite an open transaction holds the write lock the app needs next.
    await session.rollback()
    return int(found or 0)


async def usernames(c: AsyncClient, **params: Any) -> list[str]:
    """Every username the list shows with these filters, following next_cursor to the end."""
    names: list[str] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await c.get(USERS, params=query)
        assert r.status_code == 200, r.text
        names += [u["username"] for u in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return names


class TestCreateUser:
    async def test_an_admin_creates_a_caseworker_of_a_township(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(USERS, json=new_user("qiji.worker", "caseworker", region_code=QIJI))
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["username"] == "qiji.worker"
        assert body["role"] == "caseworker"
        assert body["region_code"] == QIJI
        assert body["employer_id"] is None
        assert body["is_active"] is True
        assert r.headers["ETag"] == f'"{body["version"]}"'
        assert "password" not in body
        assert "password_hash" not in body
        # The new account can sign in with the password it was given.
        assert (await factory.login("qiji.worker"))["access_token"]

    async def test_an_admin_creates_an_employer_user_bound_to_its_employer(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin")
        employer = await factory.employer()
        r = await admin.post(USERS, json=new_user("boss", "employer", employer_id=employer.id))
        assert r.status_code == 201, r.text
        assert r.json()["employer_id"] == employer.id
        assert r.json()["region_code"] is None

    @pytest.mark.parametrize(
        ("role", "region"), [("auditor", None), ("auditor", QIJI), ("admin", None)]
    )
    async def test_an_admin_creates_auditors_and_admins_with_or_without_a_region(
        self, factory: Factory, role: str, region: str | None
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(USERS, json=new_user("someone", role, region_code=region))
        assert r.status_code == 201, r.text
        assert (r.json()["role"], r.json()["region_code"]) == (role, region)


class TestRoleAndScopeMustFit:
    @pytest.mark.parametrize(
        ("role", "fields", "bad_field"),
        [
            ("caseworker", {}, "body.region_code"),
            ("caseworker", {"region_code": QIJI, "employer_id": "EMPLOYER"}, "body.employer_id"),
            ("employer", {}, "body.employer_id"),
            ("employer", {"employer_id": "EMPLOYER", "region_code": QIJI}, "body.region_code"),
            ("auditor", {"employer_id": "EMPLOYER"}, "body.employer_id"),
            ("admin", {"employer_id": "EMPLOYER"}, "body.employer_id"),
            ("employer", {"employer_id": 999999}, "body.employer_id"),
        ],
    )
    async def test_a_wrong_combination_is_refused_naming_the_field_and_writes_nothing(
        self,
        factory: Factory,
        session: AsyncSession,
        role: str,
        fields: dict[str, Any],
        bad_field: str,
    ) -> None:
        admin = await factory.as_role("admin")
        if fields.get("employer_id") == "EMPLOYER":
            fields = {**fields, "employer_id": (await factory.employer()).id}
        r = await admin.post(USERS, json=new_user("misfit", role, **fields))
        body = problem(r, 422, "invalid_user_scope")
        assert error_fields(body) == {bad_field}
        assert await count_users(session, "misfit") == 0

    async def test_an_unknown_region_is_refused(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(USERS, json=new_user("lost", "caseworker", region_code="340406999"))
        assert error_fields(problem(r, 422, "unknown_region")) == {"body.region_code"}
        assert await count_users(session, "lost") == 0


class TestUsernamesAreUnique:
    async def test_a_taken_username_is_refused_with_409(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        await factory.user("caseworker", username="wang.fang")
        r = await admin.post(USERS, json=new_user("wang.fang", "auditor"))
        problem(r, 409, "username_taken")
        assert await count_users(session, "wang.fang") == 1


class TestUnknownFieldsAreRefused:
    @pytest.mark.parametrize(
        "extra",
        [
            {"password_hash": "$argon2id$v=19$forged"},
            {"is_admin": True},
            {"version": 7},
            {"id": 1},
            {"is_active": False},
            {"token_version": 99},
        ],
    )
    async def test_a_field_the_client_may_not_set_is_a_422_and_nothing_is_written(
        self, factory: Factory, session: AsyncSession, extra: dict[str, Any]
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(USERS, json=new_user("sneaky", "auditor", **extra))
        body = problem(r, 422, "validation_failed")
        assert error_fields(body) == {f"body.{next(iter(extra))}"}
        assert await count_users(session, "sneaky") == 0


class TestPasswordPolicy:
    @pytest.mark.parametrize("password", ["short", "password1234", "weak.user"])
    async def test_a_weak_password_is_refused_and_nothing_is_written(
        self, factory: Factory, session: AsyncSession, password: str
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(USERS, json=new_user("weak.user", "auditor", password=password))
        body = problem(r, 422, "weak_password")
        assert error_fields(body) == {"body.password"}
        assert password not in r.text
        assert await count_users(session, "weak.user") == 0


class TestOnlyAdminsManageUsers:
    @pytest.mark.parametrize("role", ["caseworker", "employer", "auditor"])
    async def test_other_roles_get_403_on_every_users_route(
        self, factory: Factory, role: str
    ) -> None:
        target = await factory.user("caseworker")
        c = await factory.as_role(role)
        attempts = [
            await c.get(USERS),
            await c.get(f"{USERS}/{target.id}"),
            await c.post(USERS, json=new_user("intruder", "admin")),
            await c.patch(
                f"{USERS}/{target.id}", json={"role": "admin"}, headers={"If-Match": '"1"'}
            ),
        ]
        for r in attempts:
            problem(r, 403, "forbidden")

    async def test_anonymous_callers_get_401(self, factory: Factory) -> None:
        target = await factory.user("caseworker")
        anonymous = factory.client()
        attempts = [
            await anonymous.get(USERS),
            await anonymous.get(f"{USERS}/{target.id}"),
            await anonymous.post(USERS, json=new_user("intruder", "admin")),
            await anonymous.patch(f"{USERS}/{target.id}", json={}, headers={"If-Match": '"1"'}),
        ]
        for r in attempts:
            problem(r, 401, "unauthorized")
            assert r.headers["WWW-Authenticate"] == "Bearer"


class TestARegionScopedAdmin:
    """An admin of 祁集镇 manages the accounts of 祁集镇 and nothing else."""

    async def test_sees_users_of_their_township_and_its_villages(self, factory: Factory) -> None:
        qiji_admin = await factory.as_role("admin", region=QIJI)
        township = await factory.user("caseworker", region=QIJI)
        village = await factory.user("caseworker", region=XUGANG)
        workshop_user = await factory.user(
            "employer", employer_id=(await factory.employer(region=XUGANG)).id
        )
        for user in (township, village, workshop_user):
            assert (await qiji_admin.get(f"{USERS}/{user.id}")).status_code == 200
        listed = await usernames(qiji_admin)
        assert {township.username, village.username, workshop_user.username} <= set(listed)

    async def test_cannot_see_a_user_of_pingwei_not_even_by_id(self, factory: Factory) -> None:
        qiji_admin = await factory.as_role("admin", region=QIJI)
        outsiders = [
            await factory.user("caseworker", region=PINGWEI),
            await factory.user("caseworker", region=PINGWEI_VILLAGE),
            await factory.user("auditor"),  # district-wide: above the admin's scope
            await factory.user(
                "employer", employer_id=(await factory.employer(region=PINGWEI_VILLAGE)).id
            ),
        ]
        listed = set(await usernames(qiji_admin))
        for user in outsiders:
            problem(await qiji_admin.get(f"{USERS}/{user.id}"), 404, "user_not_found")
            assert user.username not in listed

    async def test_cannot_change_a_user_of_pingwei(self, factory: Factory) -> None:
        qiji_admin = await factory.as_role("admin", region=QIJI)
        outsider = await factory.user("caseworker", region=PINGWEI)
        r = await qiji_admin.patch(
            f"{USERS}/{outsider.id}", json={"is_active": False}, headers={"If-Match": '"1"'}
        )
        problem(r, 404, "user_not_found")

    async def test_cannot_create_a_user_in_pingwei(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        qiji_admin = await factory.as_role("admin", region=QIJI)
        r = await qiji_admin.post(
            USERS, json=new_user("pw.worker", "caseworker", region_code=PINGWEI)
        )
        assert error_fields(problem(r, 422, "invalid_user_scope")) == {"body.region_code"}
        employer = await factory.employer(region=PINGWEI_VILLAGE)
        r = await qiji_admin.post(
            USERS, json=new_user("pw.boss", "employer", employer_id=employer.id)
        )
        assert error_fields(problem(r, 422, "invalid_user_scope")) == {"body.employer_id"}
        assert await count_users(session, "pw.worker") + await count_users(session, "pw.boss") == 0

    @pytest.mark.parametrize("role", ["auditor", "admin"])
    async def test_cannot_create_a_user_without_a_region_who_would_see_the_whole_district(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        qiji_admin = await factory.as_role("admin", region=QIJI)
        r = await qiji_admin.post(USERS, json=new_user("everywhere", role))
        assert error_fields(problem(r, 422, "invalid_user_scope")) == {"body.region_code"}
        assert await count_users(session, "everywhere") == 0

    async def test_cannot_move_a_user_out_of_their_scope(self, factory: Factory) -> None:
        qiji_admin = await factory.as_role("admin", region=QIJI)
        user = await factory.user("auditor", region=QIJI)
        for region in (PINGWEI, None):
            r = await qiji_admin.patch(
                f"{USERS}/{user.id}", json={"region_code": region}, headers={"If-Match": '"1"'}
            )
            assert error_fields(problem(r, 422, "invalid_user_scope")) == {"body.region_code"}
        r = await qiji_admin.get(f"{USERS}/{user.id}")
        assert (r.json()["region_code"], r.headers["ETag"]) == (QIJI, '"1"')


class TestUpdateUser:
    async def test_without_if_match_the_update_is_refused_with_428(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        user = await factory.user("caseworker")
        r = await admin.patch(f"{USERS}/{user.id}", json={"full_name": "李四"})
        problem(r, 428, "if_match_required")
        assert (await admin.get(f"{USERS}/{user.id}")).json()["full_name"] == user.full_name

    async def test_the_current_etag_applies_the_change_and_returns_a_new_etag(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin")
        user = await factory.user("caseworker")
        read = await admin.get(f"{USERS}/{user.id}")
        etag = read.headers["ETag"]
        r = await admin.patch(
            f"{USERS}/{user.id}",
            json={"full_name": "李四", "region_code": XUGANG},
            headers={"If-Match": etag},
        )
        assert r.status_code == 200, r.text
        assert r.json()["full_name"] == "李四"
        assert r.json()["region_code"] == XUGANG
        assert r.headers["ETag"] != etag
        assert r.headers["ETag"] == f'"{r.json()["version"]}"'
        again = await admin.get(f"{USERS}/{user.id}")
        assert again.headers["ETag"] == r.headers["ETag"]
        assert again.json()["full_name"] == "李四"

    async def test_a_stale_etag_gets_412_with_the_current_record_and_changes_nothing(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin")
        user = await factory.user("caseworker")
        url = f"{USERS}/{user.id}"
        stale = (await admin.get(url)).headers["ETag"]
        first = await admin.patch(url, json={"full_name": "李四"}, headers={"If-Match": stale})
        assert first.status_code == 200, first.text
        current_etag = first.headers["ETag"]

        r = await admin.patch(
            url,
            json={"full_name": "王五", "is_active": False, "region_code": QIJI},
            headers={"If-Match": stale},
        )
        body = problem(r, 412, "version_mismatch")
        assert body["current"]["full_name"] == "李四"
        assert f'"{body["current"]["version"]}"' == current_etag
        assert "password_hash" not in body["current"]
        # region_code already is QIJI: only the fields that really differ are named.
        assert body["differing_fields"] == ["full_name", "is_active"]

        after = await admin.get(url)
        assert after.headers["ETag"] == current_etag
        assert after.json()["full_name"] == "李四"
        assert after.json()["is_active"] is True

    @pytest.mark.parametrize("header", ["1", "*", '"abc"', '"1", "2"'])
    async def test_an_if_match_this_service_never_issued_is_refused(
        self, factory: Factory, header: str
    ) -> None:
        admin = await factory.as_role("admin")
        user = await factory.user("caseworker")
        r = await admin.patch(
            f"{USERS}/{user.id}", json={"full_name": "李四"}, headers={"If-Match": header}
        )
        problem(r, 412, "malformed_if_match")
        assert (await admin.get(f"{USERS}/{user.id}")).json()["full_name"] == user.full_name

    @pytest.mark.parametrize(
        "extra", [{"version": 9}, {"password_hash": "x"}, {"username": "renamed"}]
    )
    async def test_fields_that_are_not_editable_are_refused(
        self, factory: Factory, extra: dict[str, Any]
    ) -> None:
        admin = await factory.as_role("admin")
        user = await factory.user("caseworker")
        r = await admin.patch(f"{USERS}/{user.id}", json=extra, headers={"If-Match": '"1"'})
        assert error_fields(problem(r, 422, "validation_failed")) == {f"body.{next(iter(extra))}"}
        assert (await admin.get(f"{USERS}/{user.id}")).headers["ETag"] == '"1"'

    async def test_a_role_change_must_still_fit_the_scope(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        user = await factory.user("auditor")
        r = await admin.patch(
            f"{USERS}/{user.id}", json={"role": "caseworker"}, headers={"If-Match": '"1"'}
        )
        assert error_fields(problem(r, 422, "invalid_user_scope")) == {"body.region_code"}

    async def test_an_unknown_user_is_404(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        r = await admin.patch(f"{USERS}/999999", json={}, headers={"If-Match": '"1"'})
        problem(r, 404, "user_not_found")
        problem(await admin.get(f"{USERS}/999999"), 404, "user_not_found")

    async def test_deactivating_a_user_ends_their_sign_ins(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        user, caseworker = await signed_in(factory, "caseworker")
        assert (await caseworker.get("/api/v1/auth/me")).status_code == 200
        r = await admin.patch(
            f"{USERS}/{user.id}", json={"is_active": False}, headers={"If-Match": '"1"'}
        )
        assert r.status_code == 200, r.text
        assert r.json()["is_active"] is False
        problem(await caseworker.get("/api/v1/auth/me"), 401, "invalid_token")


class TestAnAdminCannotLockThemselvesOut:
    async def test_an_admin_cannot_deactivate_themselves(self, factory: Factory) -> None:
        me, admin = await signed_in(factory, "admin")
        r = await admin.patch(
            f"{USERS}/{me.id}", json={"is_active": False}, headers={"If-Match": '"1"'}
        )
        problem(r, 409, "self_demotion")
        assert (await admin.get(f"{USERS}/{me.id}")).json()["is_active"] is True

    async def test_an_admin_cannot_demote_themselves(self, factory: Factory) -> None:
        me, admin = await signed_in(factory, "admin")
        r = await admin.patch(
            f"{USERS}/{me.id}", json={"role": "auditor"}, headers={"If-Match": '"1"'}
        )
        problem(r, 409, "self_demotion")
        assert (await admin.get(f"{USERS}/{me.id}")).json()["role"] == "admin"

    async def test_another_admin_can_deactivate_an_admin(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        other = await factory.user("admin")
        r = await admin.patch(
            f"{USERS}/{other.id}", json={"is_active": False}, headers={"If-Match": '"1"'}
        )
        assert r.status_code == 200, r.text


class TestListUsers:
    async def _population(self, factory: Factory) -> dict[str, User]:
        return {
            "qiji": await factory.user("caseworker", region=QIJI, full_name="祁集专干"),
            "xugang": await factory.user("caseworker", region=XUGANG, full_name="许岗专干"),
            "pingwei": await factory.user("caseworker", region=PINGWEI, full_name="平圩专干"),
            "auditor": await factory.user("auditor", region=DISTRICT, username="audit.li"),
        }

    async def test_filters_by_role(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        people = await self._population(factory)
        assert await usernames(admin, role="auditor") == [people["auditor"].username]
        problem(await admin.get(USERS, params={"role": "boss"}), 422, "validation_failed")

    async def test_filters_by_active_state(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        people = await self._population(factory)
        r = await admin.patch(
            f"{USERS}/{people['pingwei'].id}",
            json={"is_active": False},
            headers={"If-Match": '"1"'},
        )
        assert r.status_code == 200, r.text
        assert await usernames(admin, is_active="false") == [people["pingwei"].username]
        assert people["pingwei"].username not in await usernames(admin, is_active="true")

    async def test_filters_by_region_subtree(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        people = await self._population(factory)
        assert await usernames(admin, region=QIJI) == [
            people["qiji"].username,
            people["xugang"].username,
        ]
        assert await usernames(admin, region=XUGANG) == [people["xugang"].username]
        problem(await admin.get(USERS, params={"region": "qiji"}), 422, "validation_failed")

    async def test_filters_by_name_or_username(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        people = await self._population(factory)
        assert await usernames(admin, q="许岗") == [people["xugang"].username]
        assert await usernames(admin, q="AUDIT.") == [people["auditor"].username]
        assert await usernames(admin, q="%") == []

    async def test_a_walk_with_a_small_limit_visits_every_user_once_in_order(
        self, factory: Factory
    ) -> None:
        me, admin = await signed_in(factory, "admin")
        people = await self._population(factory)
        pages = 0
        seen: list[int] = []
        cursor: str | None = None
        while True:
            r = await admin.get(
                USERS, params={"limit": 2, **({"cursor": cursor} if cursor else {})}
            )
            assert r.status_code == 200, r.text
            assert len(r.json()["items"]) <= 2
            seen += [u["id"] for u in r.json()["items"]]
            pages += 1
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        expected = sorted(u.id for u in [me, *people.values()] if u.id is not None)
        assert seen == expected
        assert pages == 3
        assert "password_hash" not in r.text


class TestConcurrentWrites:
    async def test_two_admins_creating_the_same_username_at_once_get_one_201_and_409s(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admins = [await factory.as_role("admin") for _ in range(4)]
        responses = await asyncio.gather(
            *(a.post(USERS, json=new_user("twin", "auditor")) for a in admins)
        )
        assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
        for r in responses:
            if r.status_code == 409:
                problem(r, 409, "username_taken")
        assert await count_users(session, "twin") == 1

    async def test_two_edits_from_the_same_etag_at_once_get_one_200_and_412s(
        self, factory: Factory
    ) -> None:
        admins = [await factory.as_role("admin") for _ in range(4)]
        user = await factory.user("caseworker")
        url = f"{USERS}/{user.id}"
        responses = await asyncio.gather(
            *(
                a.patch(url, json={"full_name": f"名字{n}"}, headers={"If-Match": '"1"'})
                for n, a in enumerate(admins)
            )
        )
        assert sorted(r.status_code for r in responses) == [200, 412, 412, 412]
        winner = next(r for r in responses if r.status_code == 200)
        for r in responses:
            if r.status_code == 412:
                problem(r, 412, "version_mismatch")
        final = await admins[0].get(url)
        assert final.json()["full_name"] == winner.json()["full_name"]
        assert final.headers["ETag"] == '"2"'


def password_url(user: User) -> str:
    return f"{USERS}/{user.id}/password"


class TestANewAccountNeedsAHardPassword:
    @pytest.mark.parametrize("weak", ISSUE_WEAK_PASSWORDS)
    async def test_zhangsan_is_not_created_with_a_weak_password(
        self, factory: Factory, session: AsyncSession, weak: str
    ) -> None:
        admin = await factory.as_role("admin")
        body = new_user("zhangsan", "caseworker", region_code=QIJI, password=weak)
        refused_as_weak(await admin.post(USERS, json=body), weak, "body.password")
        assert await count_users(session, "zhangsan") == 0

    async def test_a_strong_one_is_accepted(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        body = new_user("zhangsan", "caseworker", region_code=QIJI, password=STRONG)
        assert (await admin.post(USERS, json=body)).status_code == 201
        await factory.login("zhangsan", STRONG)

    async def test_an_employer_user_is_not_created_with_the_workshops_name(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        workshop = await factory.employer(name="祁集镇许岗村扶贫车间")
        weak = "祁集镇许岗村扶贫车间2026"
        body = new_user("xu.boss", "employer", employer_id=workshop.id, password=weak)
        message = refused_as_weak(await admin.post(USERS, json=body), weak, "body.password")
        assert "your own name, username, region or employer" in message
        assert await count_users(session, "xu.boss") == 0


class TestAResetPasswordMustBeHardToGuess:
    @pytest.mark.parametrize("weak", ISSUE_WEAK_PASSWORDS)
    async def test_zhangsans_password_is_not_reset_to_a_weak_one(
        self, factory: Factory, weak: str
    ) -> None:
        admin = await factory.as_role("admin")
        zhangsan, their_phone = await signed_in(factory, "caseworker", username="zhangsan")
        r = await admin.post(password_url(zhangsan), json={"password": weak})
        refused_as_weak(r, weak, "body.password")
        # Nothing changed: their sign-in and their password still work.
        assert (await their_phone.get("/api/v1/auth/me")).status_code == 200
        await factory.login("zhangsan")

    async def test_a_strong_one_replaces_the_old_password(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        zhangsan = await factory.user("caseworker", username="zhangsan")
        assert (
            await admin.post(password_url(zhangsan), json={"password": STRONG})
        ).status_code == 204
        await factory.login("zhangsan", STRONG)
        r = await factory.client().post(
            "/api/v1/auth/token", data={"username": "zhangsan", "password": PASSWORD}
        )
        problem(r, 401, "invalid_credentials")


class TestAResetIsAudited:
    async def test_the_auditor_reads_who_reset_whose_password(self, factory: Factory) -> None:
        me, admin = await signed_in(factory, "admin")
        qiji_auditor = await factory.as_role("auditor", region=QIJI)
        zhangsan = await factory.user("caseworker", username="zhangsan", region=XUGANG)
        assert (
            await admin.post(password_url(zhangsan), json={"password": STRONG})
        ).status_code == 204
        [entry] = await audited(qiji_auditor, action="user.password_changed")
        assert (entry["actor_id"], entry["actor_role"]) == (me.id, "admin")
        assert (entry["resource_id"], entry["region_code"]) == (str(zhangsan.id), XUGANG)
        assert note(entry) == {"kind": "admin_reset"}
        assert STRONG not in json.dumps(entry)

    async def test_a_refused_reset_is_not_recorded_as_a_change(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        auditor = await factory.as_role("auditor")
        zhangsan = await factory.user("caseworker", username="zhangsan")
        refused_as_weak(
            await admin.post(password_url(zhangsan), json={"password": "zhangsan2026"}),
            "zhangsan2026",
            "body.password",
        )
        assert await audited(auditor, action="user.password_changed") == []


class TestTheCreateUserCommand:
    """`jobpath create-user`, the way to the first admin, holds to the same rule."""

    async def _create_user(
        self, monkeypatch: pytest.MonkeyPatch, database_url: str, password: str
    ) -> Result:
        settings = get_settings().model_copy(update={"database_url": database_url})
        monkeypatch.setattr(cli_module, "get_settings", lambda: settings)
        args = ["create-user", "zhangsan", "--role", "admin", "--full-name", "张三"]
        runner = CliRunner()
        # The command runs its own event loop: off this one.
        return await anyio.to_thread.run_sync(
            lambda: runner.invoke(cli_module.cli, [*args, "--password", password])
        )

    @pytest.mark.parametrize("weak", ISSUE_WEAK_PASSWORDS)
    async def test_a_weak_password_creates_nobody_and_says_why(
        self,
        factory: Factory,
        session: AsyncSession,
        monkeypatch: pytest.MonkeyPatch,
        database_url: str,
        weak: str,
    ) -> None:
        result = await self._create_user(monkeypatch, database_url, weak)
        assert result.exit_code == 1, result.output
        assert "password: is too easy to guess (strength " in result.stderr
        assert weak not in result.output
        assert await count_users(session, "zhangsan") == 0

    async def test_a_strong_password_creates_the_admin(
        self,
        factory: Factory,
        session: AsyncSession,
        monkeypatch: pytest.MonkeyPatch,
        database_url: str,
    ) -> None:
        result = await self._create_user(monkeypatch, database_url, STRONG)
        assert result.exit_code == 0, result.output
        assert await count_users(session, "zhangsan") == 1
        await factory.login("zhangsan", STRONG)
