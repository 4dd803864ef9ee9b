"""Subsidy claims: filing against the evidence, review, public notice, payment, evidence files,
auditors' reads and exports, and the alerts that catch ghost workers and double pay."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import get_settings
from app.models import Claim, ClaimAttachment, ClaimPeriod, EmployerKind, Employment
from app.services.claim_rules import month_end
from app.services.claims_export import HEADER
from app.services.subsidy_policies import DEFAULTS
from tests.conftest import IS_POSTGRES
from tests.factories import (
    DISTRICT,
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    Hired,
    approve_stages,
    claim_body,
    count_rows,
    employer_user,
    enrol,
    error_fields,
    file_claim,
    hired,
    month,
    move_claim,
    new_employment,
    new_policy,
    new_training_session,
    new_worker,
    on,
    pick,
    problem,
    registered_worker,
    resident_id,
    signed_in,
)

CLAIMS = "/api/v1/claims"
ALERTS = "/api/v1/audit/alerts"
RULES = [d["rule"].value for d in DEFAULTS]
OUT_OF_PROVINCE = "320106"  # 南京市鼓楼区
IN_PROVINCE = "340421"  # 凤台县: Anhui, but not the workers' county
ACCOUNT = "6222021234567890123"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(300)
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
FULL_ID = re.compile(rb"\d{17}[\dXx]")


@dataclass
class Bureau:
    """The district labour bureau: an admin who keeps the five policies and two reviewers."""

    admin: AsyncClient
    reviewers: list[AsyncClient]
    reviewer_ids: list[int | None]
    policies: dict[str, dict[str, Any]]


async def bureau(factory: Factory, **policy: Any) -> Bureau:
    """The five default policies (with ``policy`` overrides), and two regions away from home
    for organised labour export."""
    admin = await factory.as_role("admin")
    pairs = [await signed_in(factory, "admin") for _ in range(2)]
    policies = {rule: await new_policy(admin, rule, **policy) for rule in RULES}
    for code, name in ((OUT_OF_PROVINCE, "鼓楼区"), (IN_PROVINCE, "凤台县")):
        r = await admin.post(
            "/api/v1/regions", json={"code": code, "name": name, "level": "district"}
        )
        assert r.status_code == 201, r.text
    return Bureau(admin, [c for _, c in pairs], [u.id for u, _ in pairs], policies)


@pytest.fixture
async def desk(factory: Factory) -> Bureau:
    """The bureau with no public notice: an approved claim may be paid at once."""
    return await bureau(factory, notice_days=0)


def last_day(first: str) -> str:
    return month_end(date.fromisoformat(first)).isoformat()


def today() -> date:
    return datetime.now(UTC).date()


async def act(c: AsyncClient, claim_id: int, action: str, **body: Any) -> Response:
    return await c.post(f"{CLAIMS}/{claim_id}/{action}", json=body or None)


async def detail(c: AsyncClient, claim_id: int) -> dict[str, Any]:
    r = await c.get(f"{CLAIMS}/{claim_id}")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def listed(c: AsyncClient, **params: Any) -> list[int]:
    r = await c.get(CLAIMS, params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


async def submitted(job: Hired, **fields: Any) -> dict[str, Any]:
    """An on-the-job training claim of ``job`` filed and submitted by its employer."""
    claim = await file_claim(job.boss, claim_body(job, **fields))
    return await move_claim(job.boss, claim["id"], "submit")


async def approved(desk: Bureau, job: Hired, **fields: Any) -> dict[str, Any]:
    claim = await submitted(job, **fields)
    return await approve_stages(desk.reviewers, claim["id"])


async def paid(desk: Bureau, job: Hired, **fields: Any) -> dict[str, Any]:
    claim = await approved(desk, job, **fields)
    return await move_claim(desk.admin, claim["id"], "pay", payment_reference=f"PAY-{claim['id']}")


async def placed_away(
    factory: Factory,
    cw: AsyncClient,
    *,
    region: str = OUT_OF_PROVINCE,
    organised: bool = True,
    **worker: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A worker of 许岗村 registered 30 days ago and the migrant job a caseworker recorded for
    them in ``region``, begun then."""
    person = await registered_worker(factory, cw, days_ago=30, **worker)
    job = await new_employment(
        cw,
        person["id"],
        kind="migrant",
        start_date=on(30),
        work_region_code=region,
        organised_export=organised,
    )
    return person, job


def seeking(worker: dict[str, Any], job: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "policy_code": "job_seeking_once",
        "worker_id": worker["id"],
        "employment_id": job["id"],
        "bank_account": ACCOUNT,
        **fields,
    }


async def on_post(
    factory: Factory, cw: AsyncClient, **worker: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A worker registered 250 days ago and on an assistance post since, as their caseworker
    recorded."""
    person = await registered_worker(factory, cw, days_ago=250, **worker)
    post = await new_employment(cw, person["id"], kind="assistance_post", start_date=on(250))
    return person, post


def post_claim(worker: dict[str, Any], post: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "policy_code": "assistance_post",
        "worker_id": worker["id"],
        "employment_id": post["id"],
        "period_start": month(3),
        "period_end": month(1),
        **fields,
    }


def reasons(response: Response) -> list[str]:
    found: list[str] = problem(response, 422, "claim_ineligible")["reasons"]
    return found


class TestFileAClaim:
    async def test_an_employer_claims_on_job_training_and_the_service_computes_the_amount(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        assert (claim["status"], claim["stage"], claim["stage_name"]) == ("draft", 0, None)
        assert pick(claim, "units", "unit_amount_fen", "amount_fen") == (6, 50_000, 300_000)
        assert (claim["period_start"], claim["period_end"]) == (month(6), last_day(month(1)))
        assert claim["employer_id"] == job.employer.id
        assert claim["employment_id"] == job.employment["id"]
        assert pick(claim, "region_code", "currency", "rule") == (XUGANG, "CNY", "on_job_training")
        assert claim["approved_amount_fen"] is claim["paid_amount_fen"] is None

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("amount_fen", 1),
            ("status", "approved"),
            ("stage", 2),
            ("filed_by", 1),
            ("approved_amount_fen", 1),
            ("reviewer_id", 1),
        ],
    )
    async def test_a_client_set_amount_status_stage_or_filer_gets_422_and_nothing_is_written(
        self, desk: Bureau, factory: Factory, session: AsyncSession, field: str, value: Any
    ) -> None:
        job = await hired(factory)
        r = await job.boss.post(CLAIMS, json={**claim_body(job), field: value})
        assert error_fields(problem(r, 422, "validation_failed")) == {f"body.{field}"}
        assert await count_rows(session, Claim) == 0
        assert await count_rows(session, ClaimPeriod) == 0

    async def test_another_employers_employment_is_404(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        job = await hired(factory)
        _, rival = await employer_user(factory)
        problem(await rival.post(CLAIMS, json=claim_body(job)), 404, "employment_not_found")
        assert await count_rows(session, Claim) == 0

    async def test_a_worker_who_is_not_the_employments_gets_422(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        other = await new_worker(job.cw)
        r = await job.boss.post(CLAIMS, json=claim_body(job, worker_id=other["id"]))
        assert error_fields(problem(r, 422, "records_do_not_match")) == {"body.worker_id"}

    async def test_an_unconfirmed_employment_gets_422_with_the_reason(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        employer, boss = await employer_user(factory)
        cw = await factory.as_role("caseworker")
        person = await registered_worker(factory, cw, days_ago=250)
        # A caseworker records the job: it stays unconfirmed until the employer confirms it.
        job = await new_employment(
            cw, person["id"], kind="job", employer_id=employer.id, start_date=on(250)
        )
        body = {
            "policy_code": "on_job_training",
            "worker_id": person["id"],
            "employment_id": job["id"],
            "period_start": month(6),
            "period_end": month(1),
        }
        assert reasons(await boss.post(CLAIMS, json=body)) == [
            "the employer has not confirmed the employment"
        ]
        assert await count_rows(session, Claim) == 0
        confirmed = await boss.post(f"/api/v1/employments/{job['id']}/confirm")
        assert confirmed.status_code == 200, confirmed.text
        assert (await boss.post(CLAIMS, json=body)).status_code == 201

    async def test_an_employment_too_short_for_workshop_absorption_gets_422_with_the_reason(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory, days_ago=100)
        body = {
            "policy_code": "workshop_absorption",
            "worker_id": job.worker["id"],
            "employment_id": job.employment["id"],
        }
        assert reasons(await job.boss.post(CLAIMS, json=body)) == [
            "the employment has lasted 100 days, not the 180 required"
        ]

    async def test_workshop_absorption_pays_once_for_a_labourer_kept_180_days(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory, days_ago=180)
        body = {
            "policy_code": "workshop_absorption",
            "worker_id": job.worker["id"],
            "employment_id": job.employment["id"],
        }
        claim = await file_claim(job.boss, body)
        assert (claim["units"], claim["amount_fen"]) == (1, 100_000)
        problem(await job.boss.post(CLAIMS, json=body), 409, "duplicate_claim")

    async def test_workshop_absorption_is_for_workshops_only(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory, days_ago=200, kind=EmployerKind.enterprise)
        body = {
            "policy_code": "workshop_absorption",
            "worker_id": job.worker["id"],
            "employment_id": job.employment["id"],
        }
        assert reasons(await job.boss.post(CLAIMS, json=body)) == [
            "the employer must be a workshop"
        ]

    async def test_months_past_the_last_day_worked_get_422(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        ended = await job.boss.post(
            f"/api/v1/employments/{job.employment['id']}/end",
            json={"end_date": on(100), "end_reason": "resigned"},
        )
        assert ended.status_code == 200, ended.text
        assert reasons(await job.boss.post(CLAIMS, json=claim_body(job))) == [
            f"the months claimed run past {on(100)}, the last day worked"
        ]

    async def test_months_before_the_job_began_get_422(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        job = await hired(factory, days_ago=40)
        r = await job.boss.post(CLAIMS, json=claim_body(job))
        body = problem(r, 422, "date_before_history")
        assert error_fields(body) == {"body.period_start"}
        assert body["earliest"] == on(40)[:8] + "01"
        assert await count_rows(session, Claim) == 0

    async def test_more_months_than_the_policy_allows_across_claims_get_422(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory, days_ago=300)
        await file_claim(job.boss, claim_body(job, period_start=month(8), period_end=month(5)))
        r = await job.boss.post(
            CLAIMS, json=claim_body(job, period_start=month(4), period_end=month(1))
        )
        assert reasons(r) == ["4 months would bring the total to 8, over the policy's maximum of 6"]
        last = await file_claim(
            job.boss, claim_body(job, period_start=month(4), period_end=month(3))
        )
        assert last["units"] == 2

    async def test_a_caseworker_filing_an_employer_paid_policy_gets_403(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        job = await hired(factory)
        problem(await job.cw.post(CLAIMS, json=claim_body(job)), 403, "forbidden")
        assert await count_rows(session, Claim) == 0

    async def test_an_employer_filing_a_worker_paid_policy_gets_403(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        job = await hired(factory)
        body = {**claim_body(job, "assistance_post")}
        problem(await job.boss.post(CLAIMS, json=body), 403, "forbidden")
        assert await count_rows(session, Claim) == 0

    async def test_a_caseworker_claims_an_assistance_post_by_the_month(
        self, desk: Bureau, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        person, post = await on_post(factory, cw)
        claim = await file_claim(cw, post_claim(person, post, bank_account=ACCOUNT))
        assert (claim["units"], claim["amount_fen"], claim["payee"]) == (3, 180_000, "worker")
        assert claim["employer_id"] is None
        assert claim["bank_account"] == "622202*********0123"

    async def test_a_worker_outside_the_policys_region_gets_422(
        self, desk: Bureau, factory: Factory
    ) -> None:
        await new_policy(desk.admin, "assistance_post", code="pingwei_posts", region_code=PINGWEI)
        cw = await factory.as_role("caseworker")
        person, post = await on_post(factory, cw)
        r = await cw.post(CLAIMS, json=post_claim(person, post, policy_code="pingwei_posts"))
        assert reasons(r) == ["the worker lives outside the policy's region"]

    async def test_a_policy_not_in_force_gets_422(self, desk: Bureau, factory: Factory) -> None:
        await new_policy(
            desk.admin,
            "assistance_post",
            code="posts_2019",
            valid_from="2019-01-01",
            valid_to="2019-12-31",
        )
        cw = await factory.as_role("caseworker")
        person, post = await on_post(factory, cw)
        r = await cw.post(CLAIMS, json=post_claim(person, post, policy_code="posts_2019"))
        assert reasons(r) == [f"the policy is not in force on {month(3)}"]

    async def test_an_unknown_policy_is_404(self, desk: Bureau, factory: Factory) -> None:
        job = await hired(factory)
        r = await job.boss.post(CLAIMS, json=claim_body(job, "no_such_policy"))
        problem(r, 404, "policy_not_found")

    async def test_a_retry_with_the_same_idempotency_key_replays_the_claim(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        job = await hired(factory)
        key = {"Idempotency-Key": "claim-retry-1"}
        first = await job.boss.post(CLAIMS, json=claim_body(job), headers=key)
        again = await job.boss.post(CLAIMS, json=claim_body(job), headers=key)
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json() == first.json()
        assert await count_rows(session, Claim) == 1


class TestJobSeekingOnce:
    @pytest.mark.parametrize(
        ("region", "amount"), [(OUT_OF_PROVINCE, 60_000), (IN_PROVINCE, 20_000)]
    )
    async def test_pays_by_distance_for_organised_export_outside_the_home_county(
        self, desk: Bureau, factory: Factory, region: str, amount: int
    ) -> None:
        cw = await factory.as_role("caseworker")
        person, job = await placed_away(factory, cw, region=region)
        claim = await file_claim(cw, seeking(person, job))
        assert pick(claim, "units", "unit_amount_fen", "amount_fen") == (1, amount, amount)
        assert claim["period_start"] == claim["period_end"] == on(30)

    async def test_a_job_not_reached_by_organised_export_gets_422(
        self, desk: Bureau, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        person, job = await placed_away(factory, cw, organised=False)
        assert reasons(await cw.post(CLAIMS, json=seeking(person, job))) == [
            "the job was not reached by organised labour export"
        ]

    @pytest.mark.parametrize("region", [XUGANG, PINGWEI_VILLAGE])
    async def test_a_job_inside_the_home_county_gets_422(
        self, desk: Bureau, factory: Factory, region: str
    ) -> None:
        cw = await factory.as_role("caseworker")
        person, job = await placed_away(factory, cw, region=region)
        assert reasons(await cw.post(CLAIMS, json=seeking(person, job))) == [
            "the job is not outside the worker's home county"
        ]

    async def test_is_claimed_once_per_worker(self, desk: Bureau, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        person, job = await placed_away(factory, cw)
        await file_claim(cw, seeking(person, job))
        second = await new_employment(
            cw,
            person["id"],
            kind="migrant",
            start_date=on(5),
            work_region_code=IN_PROVINCE,
            organised_export=True,
        )
        r = await cw.post(CLAIMS, json=seeking(person, second))
        assert problem(r, 409, "duplicate_claim")["periods"] == ["once"]

    async def test_another_workers_employment_gets_422(
        self, desk: Bureau, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        person, _ = await placed_away(factory, cw)
        _, other_job = await placed_away(factory, cw)
        r = await cw.post(CLAIMS, json=seeking(person, other_job))
        assert reasons(r) == ["the employment is not the worker's"]


class TestSkillsTraining:
    async def enrolled(self, desk: Bureau, factory: Factory) -> tuple[AsyncClient, int, int]:
        cw = await factory.as_role("caseworker")
        person = await new_worker(cw)
        training = await new_training_session(desk.admin)
        r = await enrol(cw, training["id"], person["id"])
        assert r.status_code == 201, r.text
        return cw, person["id"], r.json()["id"]

    def body(self, worker_id: int, enrolment_id: int) -> dict[str, Any]:
        return {
            "policy_code": "skills_training",
            "worker_id": worker_id,
            "enrolment_id": enrolment_id,
        }

    async def test_a_completed_enrolment_with_a_certificate_is_claimed(
        self, desk: Bureau, factory: Factory
    ) -> None:
        cw, worker_id, enrolment_id = await self.enrolled(desk, factory)
        done = await cw.post(
            f"/api/v1/training/enrolments/{enrolment_id}/complete",
            json={"certificate_number": "PX-2026-001"},
        )
        assert done.status_code == 200, done.text
        claim = await file_claim(cw, self.body(worker_id, enrolment_id))
        assert (claim["amount_fen"], claim["enrolment_id"]) == (80_000, enrolment_id)
        assert claim["period_start"] == today().isoformat()
        evidence = (await detail(cw, claim["id"]))["evidence"]["enrolment"]
        assert (evidence["status"], evidence["certificate_number"]) == ("completed", "PX-2026-001")

    async def test_an_enrolment_not_completed_gets_422(
        self, desk: Bureau, factory: Factory
    ) -> None:
        cw, worker_id, enrolment_id = await self.enrolled(desk, factory)
        assert reasons(await cw.post(CLAIMS, json=self.body(worker_id, enrolment_id))) == [
            "the enrolment is not completed with a certificate"
        ]

    async def test_no_enrolment_gets_422(self, desk: Bureau, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        person = await new_worker(cw)
        body = {"policy_code": "skills_training", "worker_id": person["id"]}
        assert reasons(await cw.post(CLAIMS, json=body)) == ["no enrolment is given as evidence"]


class TestDuplicateClaims:
    async def test_the_same_worker_policy_and_period_twice_gets_409(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        job = await hired(factory)
        await file_claim(job.boss, claim_body(job))
        problem(await job.boss.post(CLAIMS, json=claim_body(job)), 409, "duplicate_claim")
        assert await count_rows(session, Claim) == 1

    async def test_overlapping_months_get_409_naming_them(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        await file_claim(job.boss, claim_body(job, period_start=month(4), period_end=month(3)))
        r = await job.boss.post(
            CLAIMS, json=claim_body(job, period_start=month(3), period_end=month(1))
        )
        assert problem(r, 409, "duplicate_claim")["periods"] == [month(3)[:7]]

    async def test_a_hundred_identical_submissions_at_once_make_one_claim(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        for _ in range(3 if IS_POSTGRES else 1):
            job = await hired(factory)
            body = claim_body(job)
            results = await asyncio.gather(*(job.boss.post(CLAIMS, json=body) for _ in range(100)))
            statuses = sorted(r.status_code for r in results)
            assert statuses == [201] + [409] * 99, {r.status_code: r.text for r in results}
            for r in results:
                if r.status_code == 409:
                    problem(r, 409, "duplicate_claim")
            mine = col(Claim.worker_id) == job.worker["id"]
            assert await count_rows(session, Claim, mine) == 1
            periods = col(ClaimPeriod.worker_id) == job.worker["id"]
            assert await count_rows(session, ClaimPeriod, periods) == 6


class TestSubmit:
    async def test_the_filer_submits_a_draft_to_the_first_review_stage(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await submitted(job)
        assert pick(claim, "status", "stage", "stage_name") == ("submitted", 0, "township_check")
        assert claim["submitted_at"] is not None
        problem(await act(job.boss, claim["id"], "submit"), 409, "invalid_claim_transition")

    async def test_only_the_filers_side_submits(self, desk: Bureau, factory: Factory) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        for other in (job.cw, desk.admin, await factory.as_role("auditor")):
            problem(await act(other, claim["id"], "submit"), 403, "forbidden")


class TestApprove:
    async def test_two_stages_are_approved_by_two_different_admins(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await submitted(job)
        first = await move_claim(desk.reviewers[0], claim["id"], "approve")
        assert pick(first, "status", "stage", "stage_name") == ("submitted", 1, "district_approval")
        assert first["approved_amount_fen"] is None
        done = await move_claim(desk.reviewers[1], claim["id"], "approve")
        assert (done["status"], done["approved_amount_fen"]) == ("approved", 300_000)
        assert (done["notice_ends_on"], done["stage_name"]) == (today().isoformat(), None)
        reviews = (await detail(desk.admin, claim["id"]))["reviews"]
        assert [(r["stage_name"], r["reviewer_id"], r["decision"]) for r in reviews] == [
            ("township_check", desk.reviewer_ids[0], "approved"),
            ("district_approval", desk.reviewer_ids[1], "approved"),
        ]

    async def test_the_same_admin_approving_both_stages_gets_403(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await submitted(job)
        await move_claim(desk.reviewers[0], claim["id"], "approve")
        r = await act(desk.reviewers[0], claim["id"], "approve")
        problem(r, 403, "same_reviewer")
        assert (await detail(desk.admin, claim["id"]))["stage"] == 1

    async def test_the_filer_never_approves_or_pays_their_own_claim(
        self, desk: Bureau, factory: Factory
    ) -> None:
        # Admins may file worker-paid claims; another admin must then review and pay them.
        cw = await factory.as_role("caseworker")
        person, job = await placed_away(factory, cw)
        claim = await file_claim(desk.admin, seeking(person, job))
        await move_claim(desk.admin, claim["id"], "submit")
        problem(await act(desk.admin, claim["id"], "approve"), 403, "maker_checker")
        problem(await act(desk.admin, claim["id"], "reject", reason="自审"), 403, "maker_checker")
        await move_claim(desk.reviewers[0], claim["id"], "approve")
        r = await act(desk.admin, claim["id"], "pay", payment_reference="PAY-1")
        problem(r, 403, "maker_checker")
        assert (await detail(cw, claim["id"]))["status"] == "approved"

    @pytest.mark.parametrize("role", ["caseworker", "employer", "auditor"])
    async def test_only_admins_review(self, desk: Bureau, factory: Factory, role: str) -> None:
        cw = await factory.as_role("caseworker")
        person, post = await on_post(factory, cw)
        claim = await file_claim(cw, post_claim(person, post))
        await move_claim(cw, claim["id"], "submit")
        for c in (cw, await factory.as_role(role)):
            problem(await act(c, claim["id"], "approve"), 403, "forbidden")

    async def test_approving_a_draft_rejected_or_paid_claim_gets_409(
        self, desk: Bureau, factory: Factory
    ) -> None:
        draft_job, rejected_job, paid_job = [await hired(factory) for _ in range(3)]
        draft = await file_claim(draft_job.boss, claim_body(draft_job))
        rejected = await submitted(rejected_job)
        await move_claim(desk.reviewers[0], rejected["id"], "reject", reason="材料不全")
        done = await paid(desk, paid_job)
        for claim in (draft, rejected, done):
            r = await act(desk.reviewers[1], claim["id"], "approve")
            problem(r, 409, "invalid_claim_transition")


class TestReject:
    async def test_a_rejection_is_final_and_frees_the_months_for_a_new_claim(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await submitted(job)
        await move_claim(desk.reviewers[0], claim["id"], "approve")
        out = await move_claim(desk.reviewers[1], claim["id"], "reject", reason="工资表与考勤不符")
        assert (out["status"], out["decision_reason"]) == ("rejected", "工资表与考勤不符")
        for action, body in (
            ("reject", {"reason": "x"}),
            ("return", {"reason": "x"}),
            ("approve", {}),
            ("pay", {"payment_reference": "P-1"}),
        ):
            problem(
                await act(desk.admin, claim["id"], action, **body), 409, "invalid_claim_transition"
            )
        problem(await act(job.boss, claim["id"], "submit"), 409, "invalid_claim_transition")
        again = await file_claim(job.boss, claim_body(job))
        assert again["amount_fen"] == 300_000

    async def test_a_reason_is_required(self, desk: Bureau, factory: Factory) -> None:
        job = await hired(factory)
        claim = await submitted(job)
        for body in ({}, {"reason": ""}):
            r = await desk.admin.post(f"{CLAIMS}/{claim['id']}/reject", json=body)
            assert error_fields(problem(r, 422, "validation_failed")) == {"body.reason"}
        assert (await detail(desk.admin, claim["id"]))["status"] == "submitted"


class TestReturnAndCorrect:
    async def test_a_returned_claim_is_corrected_with_if_match_and_resubmitted(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await submitted(job)
        await move_claim(desk.reviewers[0], claim["id"], "approve")
        back = await move_claim(desk.reviewers[1], claim["id"], "return", reason="第6个月无考勤")
        assert pick(back, "status", "stage", "decision_reason") == ("draft", 0, "第6个月无考勤")
        url = f"{CLAIMS}/{claim['id']}"
        change = {"period_start": month(5)}
        problem(await job.boss.patch(url, json=change), 428, "if_match_required")
        tag = (await job.boss.get(url)).headers["ETag"]
        fixed = await job.boss.patch(url, json=change, headers={"If-Match": tag})
        assert fixed.status_code == 200, fixed.text
        assert (fixed.json()["units"], fixed.json()["amount_fen"]) == (5, 250_000)
        problem(
            await job.boss.patch(url, json=change, headers={"If-Match": tag}),
            412,
            "version_mismatch",
        )
        await move_claim(job.boss, claim["id"], "submit")
        # The first round's approval no longer counts: both stages are approved again.
        done = await approve_stages(desk.reviewers, claim["id"])
        assert (done["status"], done["approved_amount_fen"]) == ("approved", 250_000)

    async def test_a_correction_may_not_set_the_amount(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        url = f"{CLAIMS}/{claim['id']}"
        tag = (await job.boss.get(url)).headers["ETag"]
        r = await job.boss.patch(url, json={"amount_fen": 1}, headers={"If-Match": tag})
        assert error_fields(problem(r, 422, "validation_failed")) == {"body.amount_fen"}

    async def test_a_correction_that_turns_the_period_around_gets_422(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        url = f"{CLAIMS}/{claim['id']}"
        tag = (await job.boss.get(url)).headers["ETag"]
        r = await job.boss.patch(url, json={"period_start": month(0)}, headers={"If-Match": tag})
        assert error_fields(problem(r, 422, "range_reversed")) == {"body.period_end"}
        after = await detail(job.boss, claim["id"])
        assert (after["period_start"], after["version"]) == (month(6), claim["version"])


class TestAnApprovedClaimIsFrozen:
    async def test_no_edit_no_evidence_no_new_review(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        job = await hired(factory)
        claim = await approved(desk, job)
        url = f"{CLAIMS}/{claim['id']}"
        tag = (await job.boss.get(url)).headers["ETag"]
        r = await job.boss.patch(url, json={"period_start": month(5)}, headers={"If-Match": tag})
        problem(r, 409, "invalid_claim_transition")
        upload = await job.boss.post(
            f"{url}/attachments", files={"file": ("a.png", PNG, "image/png")}
        )
        problem(upload, 409, "evidence_frozen")
        for action in ("reject", "return"):
            r = await act(desk.admin, claim["id"], action, reason="再看看")
            problem(r, 409, "invalid_claim_transition")
        assert await count_rows(session, ClaimAttachment) == 0
        after = await detail(job.boss, claim["id"])
        assert pick(after, "status", "amount_fen") == ("approved", 300_000)
        assert after["version"] == claim["version"]


class TestPublicNotice:
    async def test_an_approved_claim_is_listed_with_the_name_and_id_masked(
        self, factory: Factory
    ) -> None:
        notice = await bureau(factory)
        number = resident_id(1, born="19700101")
        job = await hired(factory, worker={"full_name": "张小明", "id_number": number})
        claim = await approved(notice, job)
        assert claim["notice_ends_on"] == (today() + timedelta(days=5)).isoformat()
        r = await (await factory.as_role("employer")).get(f"{CLAIMS}/public-notice")
        assert r.status_code == 200, r.text
        [item] = r.json()["items"]
        assert (item["claim_id"], item["worker_name"]) == (claim["id"], "张*明")
        assert item["id_number"] == number[:4] + "*" * 10 + number[-4:]
        assert pick(item, "policy_name", "amount_fen") == ("以工代训补贴", 300_000)
        assert item["notice_ends_on"] == claim["notice_ends_on"]

    async def test_a_two_character_name_shows_the_surname_only(self, factory: Factory) -> None:
        notice = await bureau(factory)
        job = await hired(factory, worker={"full_name": "张三"})
        await approved(notice, job)
        r = await notice.admin.get(f"{CLAIMS}/public-notice")
        assert [item["worker_name"] for item in r.json()["items"]] == ["张*"]

    async def test_paying_during_the_notice_gets_409(self, factory: Factory) -> None:
        notice = await bureau(factory)
        claim = await approved(notice, await hired(factory))
        r = await act(notice.admin, claim["id"], "pay", payment_reference="PAY-1")
        problem(r, 409, "notice_period_running")
        assert (await detail(notice.admin, claim["id"]))["status"] == "approved"

    @pytest.mark.parametrize("role", ["auditor", "admin"])
    async def test_an_objection_puts_the_claim_back_under_review(
        self, factory: Factory, role: str
    ) -> None:
        notice = await bureau(factory)
        claim = await approved(notice, await hired(factory))
        objector = await factory.as_role(role)
        back = await move_claim(objector, claim["id"], "objections", reason="群众反映未实际到岗")
        assert pick(back, "status", "stage", "stage_name") == ("submitted", 0, "township_check")
        assert back["approved_amount_fen"] is back["notice_ends_on"] is None
        listing = await notice.admin.get(f"{CLAIMS}/public-notice")
        assert listing.json()["items"] == []
        again = await approve_stages(notice.reviewers, claim["id"])
        assert again["status"] == "approved"
        reviews = (await detail(notice.admin, claim["id"]))["reviews"]
        assert [r["superseded"] for r in reviews] == [True, True, False, False]
        history = (await notice.admin.get(f"{CLAIMS}/{claim['id']}/history")).json()
        assert [e["action"] for e in history][-4:] == [
            "claim.approve",
            "claim.objection",
            "claim.approve",
            "claim.approve",
        ]

    async def test_only_admins_and_auditors_object_and_only_during_the_notice(
        self, factory: Factory
    ) -> None:
        notice = await bureau(factory)
        job = await hired(factory)
        claim = await approved(notice, job)
        for c in (job.boss, job.cw):
            problem(await act(c, claim["id"], "objections", reason="异议"), 403, "forbidden")
        pending = await submitted(await hired(factory))
        r = await act(notice.admin, pending["id"], "objections", reason="异议")
        problem(r, 409, "invalid_claim_transition")

    async def test_once_the_notice_has_ended_the_claim_is_paid_and_objections_are_late(
        self, factory: Factory, session: AsyncSession
    ) -> None:
        notice = await bureau(factory)
        claim = await approved(notice, await hired(factory))
        # Five days pass: the notice's last day is moved to today.
        await session.execute(
            update(Claim).where(col(Claim.id) == claim["id"]).values(notice_ends_on=today())
        )
        await session.commit()
        assert (await notice.admin.get(f"{CLAIMS}/public-notice")).json()["items"] == []
        late = await act(notice.admin, claim["id"], "objections", reason="迟到的异议")
        problem(late, 409, "invalid_claim_transition")
        out = await move_claim(notice.admin, claim["id"], "pay", payment_reference="GK-5")
        assert (out["status"], out["paid_amount_fen"]) == ("paid", 300_000)


class TestPay:
    async def test_without_a_notice_an_approved_claim_is_paid_at_once(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await approved(desk, job)
        out = await move_claim(desk.admin, claim["id"], "pay", payment_reference="GK-2026-0001")
        assert (out["status"], out["payment_reference"]) == ("paid", "GK-2026-0001")
        assert out["paid_amount_fen"] == out["approved_amount_fen"] == 300_000
        assert out["paid_at"] is not None
        r = await act(desk.admin, claim["id"], "pay", payment_reference="GK-2026-0002")
        problem(r, 409, "invalid_claim_transition")

    async def test_a_submitted_claim_is_not_paid(self, desk: Bureau, factory: Factory) -> None:
        claim = await submitted(await hired(factory))
        r = await act(desk.admin, claim["id"], "pay", payment_reference="GK-1")
        problem(r, 409, "invalid_claim_transition")

    async def test_a_payment_reference_is_required(self, desk: Bureau, factory: Factory) -> None:
        claim = await approved(desk, await hired(factory))
        for body in ({}, {"payment_reference": "付款 1"}):
            r = await desk.admin.post(f"{CLAIMS}/{claim['id']}/pay", json=body)
            assert error_fields(problem(r, 422, "validation_failed")) == {"body.payment_reference"}


class TestHistory:
    async def test_every_transition_shows_in_order(self, desk: Bureau, factory: Factory) -> None:
        job = await hired(factory)
        claim = await submitted(job)
        await move_claim(desk.reviewers[0], claim["id"], "return", reason="补充材料")
        url = f"{CLAIMS}/{claim['id']}"
        tag = (await job.boss.get(url)).headers["ETag"]
        r = await job.boss.patch(url, json={"notes": "已补充考勤表"}, headers={"If-Match": tag})
        assert r.status_code == 200, r.text
        await move_claim(job.boss, claim["id"], "submit")
        await approve_stages(desk.reviewers, claim["id"])
        await move_claim(desk.admin, claim["id"], "pay", payment_reference="GK-1")
        auditor = await factory.as_role("auditor", region=DISTRICT)
        for c in (auditor, job.boss):
            history = await c.get(f"{url}/history")
            assert history.status_code == 200, history.text
            assert [e["action"] for e in history.json()] == [
                "claim.create",
                "claim.submit",
                "claim.return",
                "claim.update",
                "claim.submit",
                "claim.approve",
                "claim.approve",
                "claim.pay",
            ]
        entries = (await auditor.get(f"{url}/history")).json()
        assert entries[2]["changes"]["decision_reason"] == {"before": None, "after": "补充材料"}
        assert entries[-1]["changes"]["status"] == {"before": "approved", "after": "paid"}
        assert entries[-1]["changes"]["payment_reference"]["after"] == "GK-1"


class TestAuditorsWriteNothing:
    @pytest.mark.parametrize(
        ("action", "body"),
        [("approve", {}), ("reject", {"reason": "x"}), ("return", {"reason": "x"})],
    )
    async def test_an_auditor_reviewing_gets_403(
        self, desk: Bureau, factory: Factory, action: str, body: dict[str, Any]
    ) -> None:
        claim = await submitted(await hired(factory))
        auditor = await factory.as_role("auditor")
        problem(await act(auditor, claim["id"], action, **body), 403, "forbidden")

    async def test_an_auditor_paying_gets_403(self, desk: Bureau, factory: Factory) -> None:
        claim = await approved(desk, await hired(factory))
        auditor = await factory.as_role("auditor")
        r = await act(auditor, claim["id"], "pay", payment_reference="GK-1")
        problem(r, 403, "forbidden")

    async def test_an_auditor_editing_or_filing_gets_403(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        auditor = await factory.as_role("auditor")
        url = f"{CLAIMS}/{claim['id']}"
        tag = (await auditor.get(url)).headers["ETag"]
        r = await auditor.patch(url, json={"notes": "改"}, headers={"If-Match": tag})
        problem(r, 403, "forbidden")
        cw = await factory.as_role("caseworker")
        person, post = await on_post(factory, cw)
        problem(await auditor.post(CLAIMS, json=post_claim(person, post)), 403, "forbidden")

    @pytest.mark.parametrize("role", ["employer", "caseworker"])
    async def test_exporting_is_for_auditors_and_admins(
        self, desk: Bureau, factory: Factory, role: str
    ) -> None:
        c = await factory.as_role(role)
        for fmt in ("csv", "xlsx"):
            r = await c.get(f"{CLAIMS}/export", params={"format": fmt})
            problem(r, 403, "forbidden")


class TestFindings:
    async def test_an_auditor_flags_a_claim_with_a_finding(
        self, desk: Bureau, factory: Factory
    ) -> None:
        claim = await approved(desk, await hired(factory))
        auditor, c = await signed_in(factory, "auditor", region=QIJI)
        note = "考勤表签名笔迹一致，疑似代签"
        r = await c.post(
            f"{CLAIMS}/{claim['id']}/findings", json={"severity": "high", "note": note}
        )
        assert r.status_code == 201, r.text
        found = await detail(c, claim["id"])
        assert found["flagged"] is True
        assert [(f["auditor_id"], f["severity"], f["note"]) for f in found["findings"]] == [
            (auditor.id, "high", note)
        ]
        assert await listed(c, flagged=True) == [claim["id"]]

    @pytest.mark.parametrize("role", ["admin", "caseworker", "employer"])
    async def test_others_flagging_get_403(self, desk: Bureau, factory: Factory, role: str) -> None:
        job = await hired(factory)
        claim = await submitted(job)
        c = job.boss if role == "employer" else await factory.as_role(role)
        r = await c.post(
            f"{CLAIMS}/{claim['id']}/findings", json={"severity": "low", "note": "看看"}
        )
        problem(r, 403, "forbidden")
        assert (await detail(desk.admin, claim["id"]))["flagged"] is False


@dataclass
class Spread:
    """Three claims to filter: on-the-job training (submitted), a workshop's absorption award
    (draft, a job that began 400 days ago) and a 平圩镇 assistance post (draft)."""

    training: dict[str, Any]
    absorption: dict[str, Any]
    post: dict[str, Any]
    absorption_employer: int


async def spread(factory: Factory) -> Spread:
    training = await submitted(await hired(factory))
    old = await hired(factory, days_ago=400)
    absorption = await file_claim(
        old.boss,
        {
            "policy_code": "workshop_absorption",
            "worker_id": old.worker["id"],
            "employment_id": old.employment["id"],
        },
    )
    cw = await factory.as_role("caseworker", region=PINGWEI)
    person, post = await on_post(factory, cw, region=PINGWEI_VILLAGE)
    post_claimed = await file_claim(cw, post_claim(person, post))
    return Spread(training, absorption, post_claimed, absorption["employer_id"])


class TestAuditorsRead:
    async def test_lists_filter_by_policy_status_region_employer_period_and_amount(
        self, desk: Bureau, factory: Factory
    ) -> None:
        s = await spread(factory)
        t, a, p = s.training["id"], s.absorption["id"], s.post["id"]
        auditor = await factory.as_role("auditor", region=DISTRICT)
        assert await listed(auditor) == [t, a, p]
        assert await listed(auditor, policy_code="workshop_absorption") == [a]
        assert await listed(auditor, status="submitted") == [t]
        assert await listed(auditor, region=PINGWEI) == [p]
        assert await listed(auditor, region=QIJI) == [t, a]
        assert await listed(auditor, employer_id=s.absorption_employer) == [a]
        assert await listed(auditor, period_from=month(3)) == [t, p]
        assert await listed(auditor, period_to=month(10)) == [a]
        assert await listed(auditor, min_amount_fen=150_000) == [t, p]
        assert await listed(auditor, max_amount_fen=150_000) == [a]
        assert await listed(auditor, min_amount_fen=150_000, max_amount_fen=200_000) == [p]
        r = await auditor.get(CLAIMS, params={"status": "lost"})
        assert error_fields(problem(r, 422, "validation_failed")) == {"query.status"}

    async def test_detail_has_evidence_reviews_findings_attachments_and_the_three_amounts(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        upload = await job.boss.post(
            f"{CLAIMS}/{claim['id']}/attachments",
            files={"file": ("考勤表.pdf", PDF, "application/pdf")},
        )
        assert upload.status_code == 201, upload.text
        await move_claim(job.boss, claim["id"], "submit")
        await approve_stages(desk.reviewers, claim["id"])
        await move_claim(desk.admin, claim["id"], "pay", payment_reference="GK-9")
        auditor = await factory.as_role("auditor")
        r = await auditor.post(
            f"{CLAIMS}/{claim['id']}/findings", json={"severity": "medium", "note": "抽查"}
        )
        assert r.status_code == 201, r.text
        found = await detail(auditor, claim["id"])
        amounts = pick(found, "amount_fen", "approved_amount_fen", "paid_amount_fen")
        assert amounts == (300_000, 300_000, 300_000)
        employment = found["evidence"]["employment"]
        assert pick(employment, "id", "confirmed_by_employer") == (job.employment["id"], True)
        assert [r["reviewer_id"] for r in found["reviews"]] == desk.reviewer_ids
        assert [f["note"] for f in found["findings"]] == ["抽查"]
        assert [a["filename"] for a in found["attachments"]] == ["考勤表.pdf"]
        assert found["attachments"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()

    async def test_a_pingwei_auditor_never_sees_a_qiji_claim(
        self, desk: Bureau, factory: Factory
    ) -> None:
        s = await spread(factory)
        auditor = await factory.as_role("auditor", region=PINGWEI)
        assert await listed(auditor) == [s.post["id"]]
        for path in ("", "/history", "/attachments"):
            r = await auditor.get(f"{CLAIMS}/{s.training['id']}{path}")
            problem(r, 404, "claim_not_found")
        r = await auditor.post(
            f"{CLAIMS}/{s.training['id']}/findings", json={"severity": "low", "note": "x"}
        )
        problem(r, 404, "claim_not_found")
        rows = await csv_rows(auditor)
        assert [row["claim_id"] for row in rows] == [str(s.post["id"])]

    async def test_employers_see_their_own_claims_and_caseworkers_their_townships(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        s = await spread(factory)
        mine = await file_claim(job.boss, claim_body(job, period_start=month(2)))
        assert await listed(job.boss) == [mine["id"]]
        problem(await job.boss.get(f"{CLAIMS}/{s.training['id']}"), 404, "claim_not_found")
        qiji = await factory.as_role("caseworker", region=QIJI)
        assert await listed(qiji) == [s.training["id"], s.absorption["id"], mine["id"]]
        problem(await qiji.get(f"{CLAIMS}/{s.post['id']}"), 404, "claim_not_found")


class TestAttachments:
    @pytest.mark.parametrize(
        ("name", "content", "mime"),
        [
            ("劳动合同.png", PNG, "image/png"),
            ("工资条.jpg", JPEG, "image/jpeg"),
            ("考勤表.pdf", PDF, "application/pdf"),
        ],
    )
    async def test_images_and_pdfs_are_stored_by_sha256_and_downloaded_as_sent(
        self, desk: Bureau, factory: Factory, name: str, content: bytes, mime: str
    ) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        url = f"{CLAIMS}/{claim['id']}/attachments"
        r = await job.boss.post(url, files={"file": (name, content, mime)})
        assert r.status_code == 201, r.text
        digest = hashlib.sha256(content).hexdigest()
        made = r.json()
        assert (made["filename"], made["content_type"]) == (name, mime)
        assert (made["size"], made["sha256"]) == (len(content), digest)
        stored = get_settings().attachments_path / digest[:2] / digest
        assert stored.read_bytes() == content
        for c in (job.boss, await factory.as_role("auditor")):
            got = await c.get(f"{url}/{made['id']}")
            assert got.status_code == 200, got.text
            assert got.content == content
            assert got.headers["content-type"] == mime
            assert got.headers["x-content-sha256"] == digest
            assert [a["id"] for a in (await c.get(url)).json()] == [made["id"]]

    @pytest.mark.parametrize(
        ("name", "content", "declared"),
        [
            ("合同.png", JPEG, "image/png"),
            ("合同.png", b"GIF89a" + bytes(100), "image/png"),
            ("合同.png", b"not a picture at all", "application/octet-stream"),
            ("说明.txt", "就业证明：张三在本车间工作".encode(), "text/plain"),
        ],
    )
    async def test_files_that_are_not_images_or_pdf_by_content_get_415(
        self,
        desk: Bureau,
        factory: Factory,
        session: AsyncSession,
        name: str,
        content: bytes,
        declared: str,
    ) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        r = await job.boss.post(
            f"{CLAIMS}/{claim['id']}/attachments", files={"file": (name, content, declared)}
        )
        problem(r, 415, "unsupported_attachment")
        assert await count_rows(session, ClaimAttachment) == 0

    async def test_a_file_over_the_size_limit_gets_413(
        self,
        desk: Bureau,
        factory: Factory,
        session: AsyncSession,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(get_settings(), "attachment_max_bytes", 2048)
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        big = PNG + bytes(2048)
        r = await job.boss.post(
            f"{CLAIMS}/{claim['id']}/attachments", files={"file": ("big.png", big, "image/png")}
        )
        problem(r, 413, "payload_too_large")
        assert await count_rows(session, ClaimAttachment) == 0
        digest = hashlib.sha256(big).hexdigest()
        assert not (get_settings().attachments_path / digest[:2] / digest).exists()

    async def test_another_scopes_claim_attachment_is_404(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        url = f"{CLAIMS}/{claim['id']}/attachments"
        made = (await job.boss.post(url, files={"file": ("a.png", PNG, "image/png")})).json()
        _, rival = await employer_user(factory)
        for c in (
            rival,
            await factory.as_role("auditor", region=PINGWEI),
            await factory.as_role("caseworker", region=PINGWEI),
        ):
            problem(await c.get(f"{url}/{made['id']}"), 404, "claim_not_found")
            problem(await c.get(url), 404, "claim_not_found")
            r = await c.post(url, files={"file": ("b.png", PNG, "image/png")})
            # Auditors never add evidence (403 whatever the claim); the others do not see it.
            if r.status_code == 403:
                problem(r, 403, "forbidden")
            else:
                problem(r, 404, "claim_not_found")
        problem(await job.boss.get(f"{url}/{made['id'] + 1}"), 404, "attachment_not_found")

    async def test_only_the_filers_side_adds_evidence(self, desk: Bureau, factory: Factory) -> None:
        job = await hired(factory)
        claim = await file_claim(job.boss, claim_body(job))
        url = f"{CLAIMS}/{claim['id']}/attachments"
        for c in (job.cw, desk.admin, await factory.as_role("auditor")):
            r = await c.post(url, files={"file": ("a.png", PNG, "image/png")})
            problem(r, 403, "forbidden")


async def csv_rows(c: AsyncClient, **params: Any) -> list[dict[str, str]]:
    r = await c.get(f"{CLAIMS}/export", params={"format": "csv", **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert FULL_ID.search(r.content) is None
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


class TestExport:
    async def test_csv_is_utf8_with_a_bom_keeps_chinese_names_and_masks_id_numbers(
        self, desk: Bureau, factory: Factory
    ) -> None:
        number = resident_id(2, born="19700101")
        job = await hired(factory, worker={"full_name": "李秀英", "id_number": number})
        claim = await paid(desk, job)
        auditor = await factory.as_role("auditor")
        r = await auditor.get(f"{CLAIMS}/export")
        assert r.headers["content-disposition"] == 'attachment; filename="claims.csv"'
        text = r.content.decode("utf-8")
        assert text.splitlines()[0] == "\ufeff" + ",".join(HEADER)
        [row] = await csv_rows(auditor)
        assert (row["claim_id"], row["worker_name"]) == (str(claim["id"]), "李秀英")
        assert row["id_number"] == number[:6] + "*" * 8 + number[-4:]
        assert pick(row, "claimed_fen", "approved_fen", "paid_fen") == ("300000",) * 3
        assert pick(row, "status", "currency") == ("paid", "CNY")
        assert row["payment_reference"] == claim["payment_reference"]

    async def test_xlsx_opens_with_its_header_and_rows(
        self, desk: Bureau, factory: Factory
    ) -> None:
        s = await spread(factory)
        auditor = await factory.as_role("auditor")
        r = await auditor.get(f"{CLAIMS}/export", params={"format": "xlsx"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(r.content), read_only=True)["claims"]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == HEADER
        assert [row[0] for row in rows[1:]] == [s.training["id"], s.absorption["id"], s.post["id"]]
        assert all(FULL_ID.search(str(cell).encode()) is None for row in rows for cell in row)

    async def test_filters_apply_to_both_formats(self, desk: Bureau, factory: Factory) -> None:
        s = await spread(factory)
        auditor = await factory.as_role("auditor")
        filters = {"policy_code": "on_job_training", "status": "submitted", "region": QIJI}
        rows = await csv_rows(auditor, **filters)
        assert [row["claim_id"] for row in rows] == [str(s.training["id"])]
        assert [row["claim_id"] for row in await csv_rows(auditor, region=PINGWEI)] == [
            str(s.post["id"])
        ]
        r = await auditor.get(
            f"{CLAIMS}/export", params={"format": "xlsx", "min_amount_fen": 150_000}
        )
        sheet = load_workbook(io.BytesIO(r.content), read_only=True)["claims"]
        assert [row[0] for row in list(sheet.iter_rows(values_only=True))[1:]] == [
            s.training["id"],
            s.post["id"],
        ]

    async def test_an_unknown_region_gets_404_before_anything_is_streamed(
        self, desk: Bureau, factory: Factory
    ) -> None:
        auditor = await factory.as_role("auditor")
        r = await auditor.get(f"{CLAIMS}/export", params={"region": "340406199"})
        problem(r, 404, "region_not_found")


async def alerts(c: AsyncClient, kind: str) -> list[dict[str, Any]]:
    r = await c.get(ALERTS)
    assert r.status_code == 200, r.text
    return [a for a in r.json() if a["kind"] == kind]


class TestAlerts:
    @pytest.mark.parametrize("role", ["caseworker", "employer"])
    async def test_are_for_auditors_and_admins(self, factory: Factory, role: str) -> None:
        problem(await (await factory.as_role(role)).get(ALERTS), 403, "forbidden")
        problem(await factory.client().get(ALERTS), 401, "unauthorized")

    async def test_a_clean_paid_claim_raises_none(self, desk: Bureau, factory: Factory) -> None:
        await paid(desk, await hired(factory))
        r = await (await factory.as_role("auditor")).get(ALERTS)
        assert r.json() == []

    async def test_a_paid_claim_whose_job_ended_before_its_months(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await paid(desk, job)
        ended = await job.boss.post(
            f"/api/v1/employments/{job.employment['id']}/end",
            json={"end_date": on(100), "end_reason": "resigned"},
        )
        assert ended.status_code == 200, ended.text
        [alert] = await alerts(await factory.as_role("auditor"), "paid_after_employment_ended")
        assert (alert["claim_ids"], alert["worker_ids"]) == ([claim["id"]], [job.worker["id"]])
        assert alert["severity"] == "high"

    async def test_a_claim_with_no_confirmed_employment_behind_it(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        job = await hired(factory)
        claim = await submitted(job)
        # The API never un-confirms an employment; a ghost placement is arranged in the database.
        await session.execute(
            update(Employment)
            .where(col(Employment.id) == job.employment["id"])
            .values(confirmed_by_employer=False)
        )
        await session.commit()
        [alert] = await alerts(await factory.as_role("auditor"), "no_evidence")
        assert (alert["claim_ids"], alert["worker_ids"]) == ([claim["id"]], [job.worker["id"]])

    async def test_a_claim_paying_on_history_an_admin_brought_in(
        self, desk: Bureau, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        admin = await factory.as_role("admin", region=QIJI)
        person = await new_worker(cw)
        r = await admin.post("/api/v1/backfill", json={"source": "乡镇台账", "entries": [
            {"kind": "registration", "worker_id": person["id"], "registered_on": on(400)},
            {"kind": "employment", "worker_id": person["id"],
             "employment_kind": "assistance_post", "start_date": on(250)},
        ]})  # fmt: skip
        assert r.status_code == 200, r.text
        post = {"id": r.json()["entries"][1]["resource_id"]}
        claim = await file_claim(cw, post_claim(person, post))
        auditor = await factory.as_role("auditor")
        assert await alerts(auditor, "claim_on_backfilled_history") == []  # a draft: not yet
        await move_claim(cw, claim["id"], "submit")
        [alert] = await alerts(auditor, "claim_on_backfilled_history")
        assert (alert["claim_ids"], alert["worker_ids"]) == ([claim["id"]], [person["id"]])
        assert alert["severity"] == "medium"
        # A claim on a job the caseworker recorded as it happened raises none.
        other, recorded = await on_post(factory, cw)
        await move_claim(cw, (await file_claim(cw, post_claim(other, recorded)))["id"], "submit")
        assert len(await alerts(auditor, "claim_on_backfilled_history")) == 1

    async def test_one_bank_account_on_claims_of_three_workers(
        self, desk: Bureau, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        made = []
        for _ in range(3):
            person, post = await on_post(factory, cw)
            made.append(
                (await file_claim(cw, post_claim(person, post, bank_account=ACCOUNT)), person["id"])
            )
        person, post = await on_post(factory, cw)
        await file_claim(cw, post_claim(person, post, bank_account="6222020000000000001"))
        [alert] = await alerts(await factory.as_role("auditor"), "shared_bank_account")
        assert alert["claim_ids"] == [claim["id"] for claim, _ in made]
        assert alert["worker_ids"] == [worker_id for _, worker_id in made]
        assert ACCOUNT not in alert["description"]

    async def test_one_phone_shared_by_three_workers_with_claims(
        self, desk: Bureau, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        sharing = []
        for _ in range(3):
            person, post = await on_post(factory, cw, phone="13955550000")
            await file_claim(cw, post_claim(person, post))
            sharing.append(person["id"])
        await on_post(factory, cw, phone="13955550000")  # the same phone, but no claim
        [alert] = await alerts(await factory.as_role("auditor"), "shared_phone")
        assert alert["worker_ids"] == sharing
        assert "13955550000" not in alert["description"]

    async def test_two_workers_sharing_a_phone_is_not_an_alert(
        self, desk: Bureau, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        for _ in range(2):
            person, post = await on_post(factory, cw, phone="13955550001")
            await file_claim(cw, post_claim(person, post, bank_account=ACCOUNT))
        auditor = await factory.as_role("auditor")
        assert await alerts(auditor, "shared_phone") == []
        assert await alerts(auditor, "shared_bank_account") == []

    async def test_a_shared_phone_lists_no_worker_outside_the_auditors_scope(
        self, desk: Bureau, factory: Factory
    ) -> None:
        pingwei = await factory.as_role("caseworker", region=PINGWEI)
        sharing = []
        for _ in range(3):
            person, post = await on_post(
                factory, pingwei, region=PINGWEI_VILLAGE, phone="13955550002"
            )
            await file_claim(pingwei, post_claim(person, post))
            sharing.append(person["id"])
        qiji = await factory.as_role("caseworker")
        person, post = await on_post(factory, qiji, phone="13955550002")
        await file_claim(qiji, post_claim(person, post))
        [alert] = await alerts(await factory.as_role("auditor", region=PINGWEI), "shared_phone")
        assert alert["worker_ids"] == sharing

    async def test_a_one_off_subsidy_paid_twice_under_two_policies(
        self, desk: Bureau, factory: Factory
    ) -> None:
        await new_policy(
            desk.admin, "job_seeking_once", code="job_seeking_once_2025", notice_days=0
        )
        cw = await factory.as_role("caseworker")
        person, job = await placed_away(factory, cw)
        ids = []
        for code in ("job_seeking_once", "job_seeking_once_2025"):
            claim = await file_claim(cw, seeking(person, job, policy_code=code))
            await move_claim(cw, claim["id"], "submit")
            await move_claim(desk.reviewers[0], claim["id"], "approve")
            await move_claim(desk.admin, claim["id"], "pay", payment_reference=f"GK-{code[-4:]}")
            ids.append(claim["id"])
        [alert] = await alerts(await factory.as_role("auditor"), "paid_twice")
        assert (alert["claim_ids"], alert["worker_ids"]) == (ids, [person["id"]])

    async def test_the_same_months_paid_twice_under_two_policies(
        self, desk: Bureau, factory: Factory
    ) -> None:
        await new_policy(desk.admin, "assistance_post", code="county_posts", notice_days=0)
        cw = await factory.as_role("caseworker")
        person, post = await on_post(factory, cw)
        ids = []
        for code, months in (("assistance_post", (3, 2)), ("county_posts", (2, 1))):
            body = post_claim(
                person,
                post,
                policy_code=code,
                period_start=month(months[0]),
                period_end=month(months[1]),
            )
            claim = await file_claim(cw, body)
            await move_claim(cw, claim["id"], "submit")
            await approve_stages(desk.reviewers, claim["id"])
            await move_claim(desk.admin, claim["id"], "pay", payment_reference=f"GK-{code[:4]}")
            ids.append(claim["id"])
        [alert] = await alerts(await factory.as_role("auditor"), "paid_twice")
        assert (alert["claim_ids"], alert["worker_ids"]) == (ids, [person["id"]])

    async def test_an_approved_claim_left_unpaid(
        self, desk: Bureau, factory: Factory, session: AsyncSession
    ) -> None:
        job = await hired(factory)
        claim = await approved(desk, job)
        auditor = await factory.as_role("auditor")
        assert await alerts(auditor, "approved_not_paid") == []
        days = get_settings().unpaid_alert_days
        # Time is moved by the notice's end: the claim has waited since ``days + 1`` days ago.
        await session.execute(
            update(Claim)
            .where(col(Claim.id) == claim["id"])
            .values(notice_ends_on=today() - timedelta(days=days + 1))
        )
        await session.commit()
        [alert] = await alerts(auditor, "approved_not_paid")
        assert (alert["claim_ids"], alert["worker_ids"]) == ([claim["id"]], [job.worker["id"]])


class TestTimeline:
    async def test_the_workers_timeline_shows_the_claim_and_its_payment(
        self, desk: Bureau, factory: Factory
    ) -> None:
        job = await hired(factory)
        claim = await paid(desk, job)
        r = await job.cw.get(f"/api/v1/workers/{job.worker['id']}/timeline")
        assert r.status_code == 200, r.text
        events = {e["kind"]: e for e in r.json()["events"] if e["resource_type"] == "claim"}
        assert events["claim"]["resource_id"] == events["payment"]["resource_id"] == claim["id"]
        assert events["claim"]["details"]["policy_code"] == "on_job_training"
        assert events["payment"]["details"] == {
            "paid_amount_fen": 300_000,
            "payment_reference": claim["payment_reference"],
        }
