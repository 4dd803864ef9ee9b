"""An admin's region scope bounds every admin write as it bounds reads (SPEC section 1).

An admin of 祁集镇 — which /users lets a district admin create — manages 祁集镇's users,
employers, sessions, targets and claims. Records of another township are the 404 of another
scope's record (even those every admin reads, such as employers and training sessions), a
region named outside the subtree is a 422 on its field, and district-wide records (subsidy
policies, the course catalogue, the region that bounds the admin's own scope, district review
stages and payments) answer 403 ``wider_scope_required``. Each refusal writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient

from tests.factories import (
    DISTRICT,
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    claim_body,
    credit_code,
    error_fields,
    file_claim,
    hired,
    move_claim,
    new_course,
    new_policy,
    new_training_session,
    new_worker,
    policy_body,
    problem,
    signed_in,
)

API = "/api/v1"
YEAR = datetime.now(UTC).year


async def township_admin(factory: Factory, region: str = QIJI) -> AsyncClient:
    """A client of an admin of 祁集镇 (or ``region``)."""
    return await factory.as_role("admin", region=region)


async def read(c: AsyncClient, path: str) -> tuple[dict[str, Any], str]:
    r = await c.get(API + path)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body, r.headers["etag"]


async def patch(c: AsyncClient, path: str, etag: str, **body: Any) -> Any:
    return await c.patch(API + path, json=body, headers={"If-Match": etag})


class TestSubsidyPolicies:
    async def test_a_township_admin_cannot_change_a_district_policys_amount(
        self, factory: Factory
    ) -> None:
        district = await factory.as_role("admin", region=DISTRICT)
        policy = await new_policy(district, "on_job_training")
        qiji = await township_admin(factory)
        before, etag = await read(qiji, f"/subsidy-policies/{policy['id']}")

        r = await patch(qiji, f"/subsidy-policies/{policy['id']}", etag, amount_fen=9_999_900)

        problem(r, 403, "wider_scope_required")
        after, _ = await read(district, f"/subsidy-policies/{policy['id']}")
        assert after == before

    async def test_a_township_admin_cannot_add_a_policy_even_for_their_own_township(
        self, factory: Factory
    ) -> None:
        qiji = await township_admin(factory)
        for region in (DISTRICT, QIJI):
            body = policy_body("on_job_training", code=f"qiji_{region}", region_code=region)
            problem(await qiji.post(f"{API}/subsidy-policies", json=body), 403,
                    "wider_scope_required")  # fmt: skip
        r = await qiji.get(f"{API}/subsidy-policies")
        assert r.json()["items"] == []

    async def test_a_district_admin_changes_the_district_policy(self, factory: Factory) -> None:
        district = await factory.as_role("admin", region=DISTRICT)
        policy = await new_policy(district, "on_job_training")
        _, etag = await read(district, f"/subsidy-policies/{policy['id']}")
        r = await patch(district, f"/subsidy-policies/{policy['id']}", etag, amount_fen=60_000)
        assert r.status_code == 200, r.text
        assert r.json()["amount_fen"] == 60_000


class TestTargetsAndStations:
    async def test_a_township_admin_cannot_set_a_district_target(self, factory: Factory) -> None:
        qiji = await township_admin(factory)
        body = {"region_code": DISTRICT, "year": YEAR, "metric": "training", "value": 999}
        body_problem = problem(
            await qiji.post(f"{API}/targets", json=body), 422, "region_not_allowed"
        )
        assert error_fields(body_problem) == {"body.region_code"}
        district = await factory.as_role("admin")
        assert (await district.get(f"{API}/targets")).json()["items"] == []

    async def test_a_township_admin_sets_their_own_townships_target(self, factory: Factory) -> None:
        qiji = await township_admin(factory)
        body = {"region_code": QIJI, "year": YEAR, "metric": "training", "value": 30}
        r = await qiji.post(f"{API}/targets", json=body)
        assert r.status_code == 201, r.text

    async def test_a_township_admin_cannot_open_a_station_in_another_township(
        self, factory: Factory
    ) -> None:
        qiji = await township_admin(factory)
        for region in (PINGWEI, DISTRICT):
            r = await qiji.post(
                f"{API}/service-stations", json={"name": "平圩镇就业服务站", "region_code": region}
            )
            assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.region_code"}
        r = await qiji.post(f"{API}/service-stations", json={"name": "祁集站", "region_code": QIJI})
        assert r.status_code == 201, r.text


class TestEmployers:
    async def test_a_township_admin_cannot_edit_or_verify_another_townships_employer(
        self, factory: Factory
    ) -> None:
        theirs = await factory.employer(region=PINGWEI_VILLAGE, verified=False)
        qiji = await township_admin(factory)
        before, etag = await read(qiji, f"/employers/{theirs.id}")  # every admin reads it

        problem(await patch(qiji, f"/employers/{theirs.id}", etag, name="被改写"), 404,
                "employer_not_found")  # fmt: skip
        problem(await qiji.post(f"{API}/employers/{theirs.id}/verify"), 404, "employer_not_found")

        after, _ = await read(qiji, f"/employers/{theirs.id}")
        assert after == before

    async def test_a_township_admin_edits_their_own_employer_but_cannot_move_it_away(
        self, factory: Factory
    ) -> None:
        ours = await factory.employer(region=XUGANG)
        qiji = await township_admin(factory)
        _, etag = await read(qiji, f"/employers/{ours.id}")
        r = await patch(qiji, f"/employers/{ours.id}", etag, region_code=PINGWEI_VILLAGE)
        assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.region_code"}
        r = await patch(qiji, f"/employers/{ours.id}", etag, address="祁集镇许岗村")
        assert r.status_code == 200, r.text

    async def test_a_township_admin_cannot_register_an_employer_elsewhere(
        self, factory: Factory
    ) -> None:
        qiji = await township_admin(factory)
        body = {"name": "平圩某厂", "credit_code": credit_code(990001), "kind": "enterprise",
                "region_code": PINGWEI_VILLAGE}  # fmt: skip
        r = await qiji.post(f"{API}/employers", json=body)
        assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.region_code"}
        assert (await qiji.get(f"{API}/employers", params={"name": "平圩某厂"})).json()[
            "items"
        ] == []


class TestRegions:
    async def test_a_township_admin_cannot_rename_their_own_township_or_the_district(
        self, factory: Factory
    ) -> None:
        qiji = await township_admin(factory)
        problem(await qiji.patch(f"{API}/regions/{QIJI}", json={"name": "改名镇"}), 403,
                "wider_scope_required")  # fmt: skip
        problem(await qiji.patch(f"{API}/regions/{DISTRICT}", json={"name": "改名区"}), 403,
                "region_out_of_scope")  # fmt: skip
        problem(await qiji.patch(f"{API}/regions/{PINGWEI}", json={"name": "改名镇"}), 403,
                "region_out_of_scope")  # fmt: skip
        names = {
            code: (await qiji.get(f"{API}/regions/{code}")).json()["name"]
            for code in (QIJI, DISTRICT, PINGWEI)
        }
        assert names == {QIJI: "祁集镇", DISTRICT: "潘集区", PINGWEI: "平圩镇"}

    async def test_a_township_admin_adds_and_renames_villages_of_their_township(
        self, factory: Factory
    ) -> None:
        qiji = await township_admin(factory)
        body = {"code": f"{QIJI}299", "name": "新村", "level": "village", "parent_code": QIJI}
        assert (await qiji.post(f"{API}/regions", json=body)).status_code == 201
        r = await qiji.patch(f"{API}/regions/{QIJI}299", json={"name": "新建村"})
        assert r.status_code == 200, r.text


class TestCourses:
    async def test_a_township_admin_cannot_add_or_change_a_course(self, factory: Factory) -> None:
        district = await factory.as_role("admin", region=DISTRICT)
        course = await new_course(district)
        qiji = await township_admin(factory)
        r = await qiji.post(f"{API}/training/courses", json={"type": "sewing", "name": "缝纫",
                                                             "hours": 40})  # fmt: skip
        problem(r, 403, "wider_scope_required")
        before, etag = await read(qiji, f"/training/courses/{course['id']}")
        problem(await patch(qiji, f"/training/courses/{course['id']}", etag, hours=1), 403,
                "wider_scope_required")  # fmt: skip
        assert (await read(qiji, f"/training/courses/{course['id']}"))[0] == before


class TestTrainingSessions:
    async def test_a_township_admin_cannot_schedule_or_edit_another_townships_session(
        self, factory: Factory
    ) -> None:
        district = await factory.as_role("admin", region=DISTRICT)
        theirs = await new_training_session(district, township_code=PINGWEI)
        qiji = await township_admin(factory)
        before, etag = await read(qiji, f"/training/sessions/{theirs['id']}")

        r = await patch(qiji, f"/training/sessions/{theirs['id']}", etag, capacity=1)
        problem(r, 404, "session_not_found")
        body = {"course_id": theirs["course_id"], "provider": "祁集越权培训",
                "township_code": PINGWEI, "start_date": "2030-01-01", "end_date": "2030-01-10",
                "capacity": 5}  # fmt: skip
        r = await qiji.post(f"{API}/training/sessions", json=body)
        assert error_fields(problem(r, 422, "region_not_allowed")) == {"body.township_code"}

        assert (await read(qiji, f"/training/sessions/{theirs['id']}"))[0] == before

    async def test_a_township_admin_runs_their_own_townships_sessions(
        self, factory: Factory
    ) -> None:
        district = await factory.as_role("admin", region=DISTRICT)
        ours = await new_training_session(district, township_code=QIJI)
        qiji = await township_admin(factory)
        _, etag = await read(qiji, f"/training/sessions/{ours['id']}")
        r = await patch(qiji, f"/training/sessions/{ours['id']}", etag, capacity=25)
        assert r.status_code == 200, r.text


class TestUsers:
    async def test_a_township_admin_cannot_create_users_beyond_their_township(
        self, factory: Factory
    ) -> None:
        qiji = await township_admin(factory)
        for role, region in (("caseworker", PINGWEI), ("admin", DISTRICT), ("auditor", None)):
            body = {"username": f"probe{role}", "full_name": "越权用户", "role": role,
                    "password": "correct horse battery staple", "region_code": region}  # fmt: skip
            r = await qiji.post(f"{API}/users", json=body)
            assert error_fields(problem(r, 422, "invalid_user_scope")) == {"body.region_code"}

    async def test_a_township_admin_cannot_touch_a_district_admin(self, factory: Factory) -> None:
        chief, _ = await signed_in(factory, "admin", region=DISTRICT)
        qiji = await township_admin(factory)
        problem(await qiji.get(f"{API}/users/{chief.id}"), 404, "user_not_found")
        r = await qiji.post(
            f"{API}/users/{chief.id}/password", json={"password": "柳絮 纷飞 chrome 7 rivers"}
        )
        problem(r, 404, "user_not_found")
        r = await qiji.patch(
            f"{API}/users/{chief.id}", json={"is_active": False}, headers={"If-Match": '"1"'}
        )
        problem(r, 404, "user_not_found")


class TestClaimReview:
    async def test_a_township_admin_checks_but_cannot_approve_for_the_district_or_pay(
        self, factory: Factory
    ) -> None:
        district = await factory.as_role("admin", region=DISTRICT)
        await new_policy(district, "on_job_training", notice_days=0)
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        await move_claim(job.boss, claim["id"], "submit")
        qiji, other_qiji = await township_admin(factory), await township_admin(factory)

        checked = await move_claim(qiji, claim["id"], "approve")  # township_check
        assert checked["stage_name"] == "district_approval"
        r = await other_qiji.post(f"{API}/claims/{claim['id']}/approve")
        problem(r, 403, "wider_scope_required")
        assert (await district.get(f"{API}/claims/{claim['id']}")).json()["status"] == "submitted"

        approved = await move_claim(district, claim["id"], "approve")
        assert approved["status"] == "approved"
        r = await qiji.post(f"{API}/claims/{claim['id']}/pay", json={"payment_reference": "P-1"})
        problem(r, 403, "wider_scope_required")
        paid = await move_claim(district, claim["id"], "pay", payment_reference="P-1")
        assert paid["status"] == "paid"

    async def test_a_township_admin_cannot_review_another_townships_claim(
        self, factory: Factory
    ) -> None:
        district = await factory.as_role("admin", region=DISTRICT)
        await new_policy(district, "on_job_training")
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        await move_claim(job.boss, claim["id"], "submit")
        pingwei = await township_admin(factory, PINGWEI)
        for action, body in (("approve", None), ("reject", {"reason": "越权"}),
                             ("return", {"reason": "越权"})):  # fmt: skip
            r = await pingwei.post(f"{API}/claims/{claim['id']}/{action}", json=body)
            problem(r, 404, "claim_not_found")
        assert (await district.get(f"{API}/claims/{claim['id']}")).json()["status"] == "submitted"


class TestEverydayRecords:
    async def test_a_township_admin_cannot_register_a_worker_in_another_township(
        self, factory: Factory
    ) -> None:
        qiji = await township_admin(factory)
        cw = await factory.as_role("caseworker", region=PINGWEI)
        theirs = await new_worker(cw, region=PINGWEI_VILLAGE)
        r = await qiji.post(
            f"{API}/workers",
            json={"household_id": theirs["household_id"], "full_name": "越权人",
                  "id_number": "340406198503120013", "region_code": PINGWEI_VILLAGE},
        )  # fmt: skip
        assert r.status_code == 422, r.text
        problem(await qiji.get(f"{API}/workers/{theirs['id']}"), 404, "worker_not_found")
