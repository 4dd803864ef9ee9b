"""Households: registered in a village or township of the caseworker's scope, with their
poverty status and causes; their members are workers."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Household
from tests.factories import (
    DISTRICT,
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    audit_entries,
    count_rows,
    error_fields,
    new_household,
    new_worker,
    problem,
    resident_id,
)

HOUSEHOLDS = "/api/v1/households"
_numbers = itertools.count(1)


def household_body(**fields: Any) -> dict[str, Any]:
    return {
        "household_number": f"340406107201{next(_numbers):04d}",
        "region_code": XUGANG,
        "poverty_status": "in_poverty",
        "poverty_causes": ["illness", "lack_of_skills"],
        "address": "祁集镇许岗村三组12号",
        "notes": "户主患慢性病",
        **fields,
    }


async def listed_ids(c: AsyncClient, *, limit: int = 50, **params: Any) -> list[int]:
    """Every household id the list shows, following next_cursor to the end."""
    ids: list[int] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await c.get(HOUSEHOLDS, params=query)
        assert r.status_code == 200, r.text
        ids += [h["id"] for h in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return ids


class TestCreateHousehold:
    async def test_a_caseworker_registers_a_household_in_a_village(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        body = household_body()
        r = await cw.post(HOUSEHOLDS, json=body)
        assert r.status_code == 201, r.text
        made = r.json()
        for key in ("household_number", "region_code", "poverty_status", "address", "notes"):
            assert made[key] == body[key], key
        assert made["poverty_causes"] == ["illness", "lack_of_skills"]
        assert made["members"] == []
        assert made["version"] == 1
        assert r.headers["ETag"] == '"1"'
        entries = await audit_entries(session, action="household.create", resource_id=made["id"])
        assert len(entries) == 1

    async def test_a_household_may_be_registered_at_township_level(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(HOUSEHOLDS, json=household_body(region_code=QIJI))
        assert r.status_code == 201, r.text

    @pytest.mark.parametrize("status", ["in_poverty", "lifted", "monitored"])
    async def test_every_poverty_status_is_accepted(self, factory: Factory, status: str) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(HOUSEHOLDS, json=household_body(poverty_status=status))
        assert r.status_code == 201, r.text
        assert r.json()["poverty_status"] == status

    async def test_every_poverty_cause_is_accepted(self, factory: Factory) -> None:
        causes = [
            "illness",
            "disability",
            "lack_of_skills",
            "lack_of_labour",
            "education_costs",
            "disaster",
            "other",
        ]
        cw = await factory.as_role("caseworker")
        r = await cw.post(HOUSEHOLDS, json=household_body(poverty_causes=causes))
        assert r.status_code == 201, r.text
        assert r.json()["poverty_causes"] == causes

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"poverty_status": "poor"}, "body.poverty_status"),
            ({"poverty_status": None}, "body.poverty_status"),
            ({"poverty_causes": ["laziness"]}, "body.poverty_causes.0"),
            ({"poverty_causes": "illness"}, "body.poverty_causes"),
            ({"household_number": "户1"}, "body.household_number"),
            ({"household_number": "12"}, "body.household_number"),
            ({"region_code": "许岗村"}, "body.region_code"),
            ({"members": []}, "body.members"),
            ({"version": 3}, "body.version"),
        ],
    )
    async def test_bad_or_unknown_fields_are_refused(
        self, factory: Factory, session: AsyncSession, fields: dict[str, Any], field: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(HOUSEHOLDS, json=household_body(**fields))
        assert error_fields(problem(r, 422, "validation_failed")) == {field}
        assert await count_rows(session, Household) == 0

    async def test_a_household_number_registered_before_is_a_conflict(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        first = await new_household(cw)
        r = await cw.post(
            HOUSEHOLDS, json=household_body(household_number=first["household_number"])
        )
        problem(r, 409, "duplicate_household_number")
        assert await count_rows(session, Household) == 1

    async def test_the_district_itself_is_not_a_place_for_a_household(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(HOUSEHOLDS, json=household_body(region_code=DISTRICT))
        assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.region_code"}
        assert await count_rows(session, Household) == 0

    @pytest.mark.parametrize("region", [PINGWEI, PINGWEI_VILLAGE])
    async def test_a_caseworker_cannot_register_in_another_township(
        self, factory: Factory, session: AsyncSession, region: str
    ) -> None:
        cw = await factory.as_role("caseworker", region=QIJI)
        r = await cw.post(HOUSEHOLDS, json=household_body(region_code=region))
        assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.region_code"}
        assert await count_rows(session, Household) == 0

    async def test_an_unknown_region_is_refused(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        r = await cw.post(HOUSEHOLDS, json=household_body(region_code="340406999999"))
        assert error_fields(problem(r, 422, "unknown_region")) == {"body.region_code"}

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_cannot_register_households(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        other = await factory.as_role(role)
        problem(await other.post(HOUSEHOLDS, json=household_body()), 403, "forbidden")
        assert await count_rows(session, Household) == 0


class TestReadHousehold:
    async def test_a_household_is_read_with_its_members_masked(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        numbers = [resident_id(601), resident_id(602, male=False)]
        members = [
            await new_worker(cw, household_id=household["id"], phone="13812345678", id_number=n)
            for n in numbers
        ]
        r = await cw.get(f"{HOUSEHOLDS}/{household['id']}")
        assert r.status_code == 200, r.text
        seen = r.json()
        assert r.headers["ETag"] == f'"{seen["version"]}"'
        assert [m["id"] for m in seen["members"]] == [m["id"] for m in members]
        for shown, made, number in zip(seen["members"], members, numbers, strict=True):
            assert shown["full_name"] == made["full_name"]
            assert shown["id_number"] == number[:6] + "*" * 8 + number[-4:]
            assert shown["phone"] == "138****5678"
        assert not re.search(r"\d{17}[\dXx]|1[3-9]\d{9}", r.text)

    async def test_a_caseworker_of_another_township_gets_404(self, factory: Factory) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        household = await new_household(pingwei, region=PINGWEI_VILLAGE)
        cw = await factory.as_role("caseworker", region=QIJI)
        r = await cw.get(f"{HOUSEHOLDS}/{household['id']}")
        body = problem(r, 404, "household_not_found")
        missing = await cw.get(f"{HOUSEHOLDS}/{household['id'] + 1000}")
        assert problem(missing, 404, "household_not_found")["title"] == body["title"]
        assert household["household_number"] not in r.text

    async def test_an_auditor_in_scope_reads_a_household(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        auditor = await factory.as_role("auditor", region=QIJI)
        assert (await auditor.get(f"{HOUSEHOLDS}/{household['id']}")).status_code == 200
        elsewhere = await factory.as_role("auditor", region=PINGWEI)
        r = await elsewhere.get(f"{HOUSEHOLDS}/{household['id']}")
        problem(r, 404, "household_not_found")

    async def test_employers_cannot_read_or_list_households(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        boss = await factory.as_role("employer")
        problem(await boss.get(f"{HOUSEHOLDS}/{household['id']}"), 403, "forbidden")
        problem(await boss.get(HOUSEHOLDS), 403, "forbidden")


class TestListHouseholds:
    async def test_a_caseworker_lists_only_households_of_their_township(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker", region=QIJI)
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        own = [(await new_household(cw))["id"] for _ in range(3)]
        await new_household(pingwei, region=PINGWEI_VILLAGE)
        assert await listed_ids(cw) == own
        assert await listed_ids(cw, region=PINGWEI) == []
        admin = await factory.as_role("admin")
        assert len(await listed_ids(admin)) == 4

    async def test_filters_by_region_status_and_number(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        poor = await new_household(cw, household_number="QJ-0001")
        lifted = await new_household(
            cw, region="340406107202", household_number="QJ-0002", poverty_status="lifted"
        )
        other = await new_household(cw, household_number="XG-0003", poverty_status="monitored")
        cases: list[tuple[dict[str, Any], list[int]]] = [
            ({"region": QIJI}, [poor["id"], lifted["id"], other["id"]]),
            ({"region": XUGANG}, [poor["id"], other["id"]]),
            ({"poverty_status": "lifted"}, [lifted["id"]]),
            ({"poverty_status": "monitored"}, [other["id"]]),
            ({"number": "QJ-"}, [poor["id"], lifted["id"]]),
            ({"number": "QJ-0002"}, [lifted["id"]]),
        ]
        for params, expected in cases:
            assert await listed_ids(cw, **params) == expected, params
        r = await cw.get(HOUSEHOLDS, params={"poverty_status": "poor"})
        assert error_fields(problem(r, 422, "validation_failed")) == {"query.poverty_status"}

    @pytest.mark.parametrize("pattern", ["%", "_", "QJ-000_", "QJ%", "%0001"])
    async def test_a_number_is_a_literal_prefix_never_a_pattern(
        self, factory: Factory, pattern: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        await new_household(cw, household_number="QJ-0001")
        await new_household(cw, household_number="QJ-0002")
        assert await listed_ids(cw, number=pattern) == [], pattern

    async def test_pages_of_two_walk_every_household_once(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        made = [(await new_household(cw))["id"] for _ in range(5)]
        assert await listed_ids(cw, limit=2) == made


class TestUpdateHousehold:
    async def test_an_update_needs_if_match(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        r = await cw.patch(f"{HOUSEHOLDS}/{household['id']}", json={"poverty_status": "lifted"})
        problem(r, 428, "if_match_required")

    async def test_an_update_with_the_current_etag_changes_the_household(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        etag = (await cw.get(f"{HOUSEHOLDS}/{household['id']}")).headers["ETag"]
        r = await cw.patch(
            f"{HOUSEHOLDS}/{household['id']}",
            json={"poverty_status": "lifted", "poverty_causes": ["disaster"]},
            headers={"If-Match": etag},
        )
        assert r.status_code == 200, r.text
        assert (r.json()["poverty_status"], r.json()["poverty_causes"]) == ("lifted", ["disaster"])
        assert r.headers["ETag"] == '"2"'
        again = await cw.get(f"{HOUSEHOLDS}/{household['id']}")
        assert again.headers["ETag"] == '"2"'
        assert again.json()["poverty_status"] == "lifted"
        entries = await audit_entries(
            session, action="household.update", resource_id=household["id"]
        )
        assert len(entries) == 1
        assert entries[0].changes["poverty_status"] == {"before": "in_poverty", "after": "lifted"}

    async def test_a_stale_update_changes_nothing(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        first = await cw.patch(
            f"{HOUSEHOLDS}/{household['id']}",
            json={"poverty_status": "monitored"},
            headers={"If-Match": '"1"'},
        )
        assert first.status_code == 200, first.text
        r = await cw.patch(
            f"{HOUSEHOLDS}/{household['id']}",
            json={"poverty_status": "monitored", "address": "新地址"},
            headers={"If-Match": '"1"'},
        )
        body = problem(r, 412, "version_mismatch")
        assert body["differing_fields"] == ["address"]
        assert body["current"]["version"] == 2
        assert body["current"]["poverty_status"] == "monitored"
        seen = (await cw.get(f"{HOUSEHOLDS}/{household['id']}")).json()
        assert (seen["version"], seen["address"]) == (2, household["address"])

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"poverty_status": "rich"}, "body.poverty_status"),
            ({"poverty_causes": ["bad_luck"]}, "body.poverty_causes.0"),
            ({"household_number": "HH00000001"}, "body.household_number"),
            ({"members": [1]}, "body.members"),
        ],
    )
    async def test_bad_or_unknown_fields_are_refused(
        self, factory: Factory, change: dict[str, Any], field: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        r = await cw.patch(
            f"{HOUSEHOLDS}/{household['id']}", json=change, headers={"If-Match": '"1"'}
        )
        assert error_fields(problem(r, 422, "validation_failed")) == {field}

    @pytest.mark.parametrize("region", [DISTRICT, PINGWEI_VILLAGE])
    async def test_a_household_cannot_move_out_of_scope_or_to_the_district(
        self, factory: Factory, region: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        r = await cw.patch(
            f"{HOUSEHOLDS}/{household['id']}",
            json={"region_code": region},
            headers={"If-Match": '"1"'},
        )
        assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.region_code"}
        seen = (await cw.get(f"{HOUSEHOLDS}/{household['id']}")).json()
        assert (seen["region_code"], seen["version"]) == (XUGANG, 1)

    async def test_a_caseworker_of_another_township_cannot_update(self, factory: Factory) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        household = await new_household(pingwei, region=PINGWEI_VILLAGE)
        cw = await factory.as_role("caseworker", region=QIJI)
        r = await cw.patch(
            f"{HOUSEHOLDS}/{household['id']}",
            json={"poverty_status": "lifted"},
            headers={"If-Match": '"1"'},
        )
        problem(r, 404, "household_not_found")
        seen = (await pingwei.get(f"{HOUSEHOLDS}/{household['id']}")).json()
        assert seen["poverty_status"] == "in_poverty"

    @pytest.mark.parametrize("role", ["employer", "auditor"])
    async def test_employers_and_auditors_cannot_update(self, factory: Factory, role: str) -> None:
        cw = await factory.as_role("caseworker")
        household = await new_household(cw)
        other = await factory.as_role(role)
        r = await other.patch(
            f"{HOUSEHOLDS}/{household['id']}",
            json={"poverty_status": "lifted"},
            headers={"If-Match": '"1"'},
        )
        problem(r, 403, "forbidden")
