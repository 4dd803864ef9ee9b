"""Subsidy policies as data: admins write them, everyone reads them, and a changed policy never
changes a claim already approved."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import SubsidyPolicy
from app.services.subsidy_policies import DEFAULTS
from tests.factories import (
    DISTRICT,
    Factory,
    approve_stages,
    claim_body,
    count_rows,
    error_fields,
    file_claim,
    hired,
    move_claim,
    new_policy,
    pick,
    policy_body,
    problem,
)

POLICIES = "/api/v1/subsidy-policies"
RULES = [d["rule"].value for d in DEFAULTS]


async def read_policy(c: AsyncClient, policy_id: int) -> tuple[dict[str, Any], str]:
    r = await c.get(f"{POLICIES}/{policy_id}")
    assert r.status_code == 200, r.text
    return r.json(), r.headers["ETag"]


async def patch_policy(admin: AsyncClient, policy_id: int, **changes: Any) -> dict[str, Any]:
    _, tag = await read_policy(admin, policy_id)
    r = await admin.patch(f"{POLICIES}/{policy_id}", json=changes, headers={"If-Match": tag})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


class TestCreatePolicy:
    @pytest.mark.parametrize("rule", RULES)
    async def test_an_admin_adds_each_of_the_five_rules(self, factory: Factory, rule: str) -> None:
        admin = await factory.as_role("admin")
        body = policy_body(rule)
        made = await new_policy(admin, rule)
        assert made["code"] == rule
        assert pick(made, "rule", "payee", "unit") == (body["rule"], body["payee"], body["unit"])
        assert pick(made, "amount_fen", "max_units") == (body["amount_fen"], body["max_units"])
        assert made["currency"] == "CNY"
        assert made["conditions"] == body["conditions"]
        assert made["review_stages"] == body["review_stages"]
        assert (made["notice_days"], made["region_code"]) == (5, DISTRICT)
        assert (made["valid_from"], made["valid_to"]) == ("2020-01-01", None)

    @pytest.mark.parametrize("role", ["caseworker", "employer", "auditor"])
    async def test_other_roles_get_403_and_nothing_is_written(
        self, factory: Factory, session: AsyncSession, role: str
    ) -> None:
        c = await factory.as_role(role)
        problem(await c.post(POLICIES, json=policy_body("assistance_post")), 403, "forbidden")
        assert await count_rows(session, SubsidyPolicy) == 0

    async def test_a_code_taken_gets_409(self, factory: Factory, session: AsyncSession) -> None:
        admin = await factory.as_role("admin")
        await new_policy(admin, "assistance_post")
        again = policy_body("on_job_training", code="assistance_post")
        problem(await admin.post(POLICIES, json=again), 409, "duplicate_policy_code")
        assert await count_rows(session, SubsidyPolicy) == 1

    async def test_a_one_off_subsidy_of_two_units_gets_422(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        body = policy_body("job_seeking_once", max_units=2)
        problem(await admin.post(POLICIES, json=body), 422, "one_off_units")
        assert await count_rows(session, SubsidyPolicy) == 0

    async def test_valid_to_before_valid_from_gets_422(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        admin = await factory.as_role("admin")
        body = policy_body("assistance_post", valid_from="2026-01-01", valid_to="2025-12-31")
        problem(await admin.post(POLICIES, json=body), 422, "validation_failed")
        assert await count_rows(session, SubsidyPolicy) == 0

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("amount_fen", -1),
            ("max_units", 0),
            ("rule", "bonus"),
            ("unit", "per_year"),
            ("region_code", "12"),
            ("notice_days", -1),
        ],
    )
    async def test_bad_fields_get_422_naming_them(
        self, factory: Factory, field: str, value: Any
    ) -> None:
        admin = await factory.as_role("admin")
        r = await admin.post(POLICIES, json=policy_body("assistance_post", **{field: value}))
        assert error_fields(problem(r, 422, "validation_failed")) == {f"body.{field}"}


class TestReadPolicies:
    @pytest.mark.parametrize("role", ["caseworker", "employer", "auditor", "admin"])
    async def test_every_role_lists_and_reads_them(self, factory: Factory, role: str) -> None:
        admin = await factory.as_role("admin")
        made = [await new_policy(admin, rule) for rule in RULES]
        c = await factory.as_role(role)
        r = await c.get(POLICIES)
        assert r.status_code == 200, r.text
        assert [p["code"] for p in r.json()["items"]] == RULES
        found, tag = await read_policy(c, made[0]["id"])
        assert found == made[0]
        assert tag == f'"{made[0]["version"]}"'

    async def test_lists_by_rule_and_by_the_day_in_force(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        await new_policy(admin, "assistance_post", valid_to="2024-12-31")
        await new_policy(
            admin, "assistance_post", code="assistance_post_2025", valid_from="2025-01-01"
        )
        await new_policy(admin, "skills_training")
        r = await admin.get(POLICIES, params={"rule": "assistance_post", "valid_on": "2025-06-01"})
        assert [p["code"] for p in r.json()["items"]] == ["assistance_post_2025"]

    async def test_anonymous_callers_get_401_and_unknown_ids_404(self, factory: Factory) -> None:
        problem(await factory.client().get(POLICIES), 401, "unauthorized")
        admin = await factory.as_role("admin")
        problem(await admin.get(f"{POLICIES}/999"), 404, "policy_not_found")


class TestUpdatePolicy:
    async def test_an_admin_changes_the_amount_with_if_match(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        made = await new_policy(admin, "assistance_post")
        changed = await patch_policy(admin, made["id"], amount_fen=70_000, notice_days=7)
        assert (changed["amount_fen"], changed["notice_days"]) == (70_000, 7)
        assert changed["version"] == made["version"] + 1

    async def test_without_if_match_gets_428_and_a_stale_one_412(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        made = await new_policy(admin, "assistance_post")
        url = f"{POLICIES}/{made['id']}"
        problem(await admin.patch(url, json={"amount_fen": 1}), 428, "if_match_required")
        await patch_policy(admin, made["id"], name="公益性岗位补贴（新）")
        stale = {"If-Match": f'"{made["version"]}"'}
        problem(
            await admin.patch(url, json={"amount_fen": 1}, headers=stale), 412, "version_mismatch"
        )
        found, _ = await read_policy(admin, made["id"])
        assert found["amount_fen"] == made["amount_fen"]

    @pytest.mark.parametrize("role", ["caseworker", "employer", "auditor"])
    async def test_other_roles_get_403(self, factory: Factory, role: str) -> None:
        admin = await factory.as_role("admin")
        made = await new_policy(admin, "assistance_post")
        c = await factory.as_role(role)
        r = await c.patch(
            f"{POLICIES}/{made['id']}",
            json={"amount_fen": 1},
            headers={"If-Match": f'"{made["version"]}"'},
        )
        problem(r, 403, "forbidden")

    @pytest.mark.parametrize(
        ("rule", "changes", "code"),
        [("job_seeking_once", {"max_units": 2}, "one_off_units"),
         ("assistance_post", {"valid_to": "2019-12-31"}, "range_reversed")],
    )  # fmt: skip
    async def test_a_one_off_of_two_units_or_an_end_before_the_start_gets_422(
        self, factory: Factory, rule: str, changes: dict[str, Any], code: str
    ) -> None:
        admin = await factory.as_role("admin")
        made = await new_policy(admin, rule)
        r = await admin.patch(
            f"{POLICIES}/{made['id']}", json=changes, headers={"If-Match": f'"{made["version"]}"'}
        )
        problem(r, 422, code)
        assert (await read_policy(admin, made["id"]))[0] == made

    async def test_the_code_and_rule_cannot_be_changed(self, factory: Factory) -> None:
        admin = await factory.as_role("admin")
        made = await new_policy(admin, "assistance_post")
        r = await admin.patch(
            f"{POLICIES}/{made['id']}",
            json={"code": "x", "rule": "once"},
            headers={"If-Match": f'"{made["version"]}"'},
        )
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.code", "body.rule"}


class TestAChangedPolicyLeavesApprovedClaimsAlone:
    async def test_the_approved_claim_keeps_its_amount_and_a_draft_gets_the_new_one(
        self, factory: Factory
    ) -> None:
        admin = await factory.as_role("admin")
        policy = await new_policy(admin, "on_job_training")
        reviewers = [await factory.as_role("admin") for _ in range(2)]
        approved_job, draft_job = await hired(factory), await hired(factory)
        approved = await file_claim(approved_job.boss, claim_body(approved_job))
        draft = await file_claim(draft_job.boss, claim_body(draft_job))
        assert approved["amount_fen"] == draft["amount_fen"] == 6 * 50_000
        await move_claim(approved_job.boss, approved["id"], "submit")
        await approve_stages(reviewers, approved["id"])

        await patch_policy(admin, policy["id"], amount_fen=80_000)

        kept = (await approved_job.boss.get(f"/api/v1/claims/{approved['id']}")).json()
        assert (kept["status"], kept["unit_amount_fen"]) == ("approved", 50_000)
        assert kept["approved_amount_fen"] == kept["amount_fen"] == 6 * 50_000
        resubmitted = await move_claim(draft_job.boss, draft["id"], "submit")
        assert pick(resubmitted, "unit_amount_fen", "amount_fen") == (80_000, 6 * 80_000)
        done = await approve_stages(reviewers, draft["id"])
        assert done["approved_amount_fen"] == 6 * 80_000
