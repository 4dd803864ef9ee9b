"""The programme's indicators (README "Indicators", SPEC section 4): a small district is built
through the API with known facts, and every figure of ``GET /stats/overview`` — numerator,
denominator and value of each indicator, claims by policy and status with their amounts,
organisations — is checked for the district, for a township and for a township where nobody
is registered; then the breakdowns, the XLSX report, targets and service stations, and each
edge case of the definitions on its own.

Dates: the service counts days in UTC and "this year" is the real current year, so the facts
are laid out relative to today: jobs of this year start on 1 January or recently (never in
the future), jobs of last year are fixed dates of last year. The service takes no date before
a record's own history, so a worker with past jobs or training was registered by then: the
test ages them in the database (``Factory.backdate``), as if that time had passed.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from httpx import AsyncClient, Response
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from app.models import EmployerKind
from tests.factories import (
    BASE_REGIONS,
    DISTRICT,
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    employer_user,
    enrol,
    error_fields,
    hire,
    new_course,
    new_training_session,
    new_vacancy,
    new_worker,
    problem,
    refer,
)

OVERVIEW = "/api/v1/stats/overview"
BREAKDOWN = "/api/v1/stats/breakdown"
REPORT = "/api/v1/stats/overview.xlsx"
TARGETS = "/api/v1/targets"
STATIONS = "/api/v1/service-stations"
EMPLOYMENTS = "/api/v1/employments"
ENROLMENTS = "/api/v1/training/enrolments"
POLICIES = "/api/v1/subsidy-policies"
CLAIMS = "/api/v1/claims"
WORKERS = "/api/v1/workers"

QIJI_VILLAGE = "340406107202"  # 祁集村, the other village of 祁集镇 used here
GAOHUANG = "340406102"  # 高皇镇: nobody is registered there
TOWNSHIPS = sorted(code for code, (_, level, _) in BASE_REGIONS.items() if level == "township")
INDICATORS = [
    "registered_workers",
    "willing_and_able",
    "assisted",
    "assistance_rate",
    "stable_employment_rate",
    "trained",
    "training_target",
    "employment_target",
    "assigned",
    "assigned_and_assisted",
    "assisted_beyond_list",
    "assigned_assistance_rate",
]
STABLE_DAYS = 180  # JOBPATH_STABLE_EMPLOYMENT_DAYS, the default
SKILLS_FEN = 80_000  # the skills-training subsidy of these tests, once per certificate
POST_FEN = 50_000  # the assistance-post subsidy of these tests, per month

Figure = tuple[int, int | None, float | None]
ClaimRow = tuple[int, int, int, int]


def utc_today() -> date:
    """Today as the service counts it (UTC)."""
    return datetime.now(UTC).date()


# -- reading the figures -------------------------------------------------------------------


async def ok_json(response: Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def overview(c: AsyncClient, **params: Any) -> dict[str, Any]:
    return await ok_json(await c.get(OVERVIEW, params=params))


async def breakdown(c: AsyncClient, by: str, **params: Any) -> dict[str, Any]:
    return await ok_json(await c.get(BREAKDOWN, params={"by": by, **params}))


def figures(body: dict[str, Any]) -> dict[str, Figure]:
    """Each indicator as (numerator, denominator, value), the keys in the order served."""
    assert [i["key"] for i in body["indicators"]] == INDICATORS, body["indicators"]
    assert all(i["label"] for i in body["indicators"]), body["indicators"]
    return {i["key"]: (i["numerator"], i["denominator"], i["value"]) for i in body["indicators"]}


def claim_figures(body: dict[str, Any]) -> dict[tuple[str, str], ClaimRow]:
    """Claims as {(policy, status): (claims, claimed, approved, paid fen)}, in CNY."""
    assert all(c["currency"] == "CNY" for c in body["claims"]), body["claims"]
    out = {
        (c["policy_code"], c["status"]): (
            c["claims"], c["claimed_fen"], c["approved_fen"], c["paid_fen"]
        )
        for c in body["claims"]
    }  # fmt: skip
    assert len(out) == len(body["claims"]), body["claims"]
    return out


def rate(numerator: int, denominator: int) -> Figure:
    return numerator, denominator, round(numerator / denominator, 4) if denominator else None


def expected(
    *,
    registered: int,
    willing: int,
    assisted: int,
    assisted_willing: int,
    stable: int,
    trained: int,
    training_target: int | None = None,
    employment_target: int | None = None,
) -> dict[str, Figure]:
    """What the overview must say, from the facts counted by hand (README definitions)."""
    return {
        "registered_workers": (registered, None, registered),
        "willing_and_able": (willing, None, willing),
        "assisted": (assisted, None, assisted),
        "assistance_rate": rate(assisted_willing, willing),
        "stable_employment_rate": rate(stable, assisted),
        "trained": (trained, None, trained),
        "training_target": (
            rate(trained, training_target) if training_target is not None
            else (trained, None, None)
        ),
        "employment_target": (
            rate(assisted, employment_target) if employment_target is not None
            else (assisted, None, None)
        ),
        # No assigned list here (tests/routers/test_assignments.py has one): every assisted
        # labourer is assisted beyond it.
        "assigned": (0, None, 0),
        "assigned_and_assisted": (0, None, 0),
        "assisted_beyond_list": (assisted, None, assisted),
        "assigned_assistance_rate": rate(0, 0),
    }  # fmt: skip


NOTHING = expected(registered=0, willing=0, assisted=0, assisted_willing=0, stable=0, trained=0)
NO_ORGANISATIONS = {"workshops": 0, "bases": 0, "service_stations": 0}


# -- making the facts through the API ------------------------------------------------------


async def created(response: Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def job(
    cw: AsyncClient, worker: dict[str, Any], start: date, kind: str = "self_employed"
) -> dict[str, Any]:
    """A job recorded by the caseworker without a referral, started on ``start``."""
    return await created(await cw.post(EMPLOYMENTS, json={
        "worker_id": worker["id"], "kind": kind, "start_date": start.isoformat()}))  # fmt: skip


async def end_job(c: AsyncClient, employment: dict[str, Any], on: date) -> dict[str, Any]:
    return await ok_json(await c.post(
        f"{EMPLOYMENTS}/{employment['id']}/end",
        json={"end_date": on.isoformat(), "end_reason": "resigned"},
    ))  # fmt: skip


async def employment(c: AsyncClient, employment_id: int) -> dict[str, Any]:
    return await ok_json(await c.get(f"{EMPLOYMENTS}/{employment_id}"))


async def classroom(admin: AsyncClient, township: str, start: date, end: date) -> int:
    """A pastry session of ``township`` running from ``start`` to ``end``."""
    course = await new_course(admin)
    made = await new_training_session(
        admin, course_id=course["id"], township_code=township,
        start_date=start.isoformat(), end_date=end.isoformat(),
    )  # fmt: skip
    session_id: int = made["id"]
    return session_id


async def enrolled(cw: AsyncClient, session_id: int, worker: dict[str, Any]) -> dict[str, Any]:
    return await created(await enrol(cw, session_id, worker["id"]))


def days_before_today(day: date) -> int:
    return (utc_today() - day).days


async def registered_on(factory: Factory, worker: dict[str, Any], day: date) -> None:
    """Age the worker: registered on ``day`` (so their history since then can be recorded)."""
    await factory.backdate(worker_id=worker["id"], days=days_before_today(day))


async def completed(
    cw: AsyncClient, enrolment: dict[str, Any], on: date, certificate: str
) -> dict[str, Any]:
    return await ok_json(await cw.post(
        f"{ENROLMENTS}/{enrolment['id']}/complete",
        json={"certificate_number": certificate, "completed_on": on.isoformat()},
    ))  # fmt: skip


async def trained_on(
    factory: Factory,
    cw: AsyncClient,
    session_id: int,
    worker: dict[str, Any],
    on: date,
    certificate: str,
) -> dict[str, Any]:
    """Enrol the worker and complete the enrolment with a certificate on ``on`` (the enrolment
    aged to that day, so a completion of the past can be recorded)."""
    enrolment = await enrolled(cw, session_id, worker)
    await factory.backdate(enrolment_id=enrolment["id"], days=days_before_today(on))
    return await completed(cw, enrolment, on, certificate)


async def add_policies(admin: AsyncClient, valid_from: date) -> None:
    """A skills-training subsidy (once per certificate) and an assistance-post subsidy (per
    month), paid to the worker, one review stage, no public notice."""
    common = {"payee": "worker", "review_stages": ["district_approval"], "notice_days": 0,
              "valid_from": valid_from.isoformat(), "region_code": DISTRICT}  # fmt: skip
    await created(await admin.post(POLICIES, json={
        "code": "skills_training", "name": "职业培训补贴", "rule": "skills_training",
        "amount_fen": SKILLS_FEN, "unit": "once", "max_units": 1, **common}))  # fmt: skip
    await created(await admin.post(POLICIES, json={
        "code": "assistance_post", "name": "公益性岗位补贴", "rule": "assistance_post",
        "amount_fen": POST_FEN, "unit": "per_month", "max_units": 12, **common}))  # fmt: skip


async def claim(cw: AsyncClient, **body: Any) -> dict[str, Any]:
    return await created(await cw.post(CLAIMS, json=body))


async def claim_step(
    c: AsyncClient, claim_id: int, step: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    return await ok_json(await c.post(f"{CLAIMS}/{claim_id}/{step}", json=body))


async def target(admin: AsyncClient, region: str, year: int, metric: str, value: int) -> Response:
    return await admin.post(
        TARGETS, json={"region_code": region, "year": year, "metric": metric, "value": value}
    )


async def station(admin: AsyncClient, name: str, region: str) -> dict[str, Any]:
    return await created(await admin.post(STATIONS, json={"name": name, "region_code": region}))


# -- the district --------------------------------------------------------------------------


@dataclass
class District:
    """The facts, this year (Y) and last year (P); names are the workers of the docstring of
    :func:`build`."""

    admin: AsyncClient
    cw_qiji: AsyncClient
    cw_pingwei: AsyncClient
    today: date
    workers: dict[str, dict[str, Any]]
    # (worker name, start date) of every job started this year / last year
    starts: list[tuple[str, date]]
    starts_last_year: list[tuple[str, date]]
    # (worker name, completion date) of every completed enrolment this year / last year
    completions: list[tuple[str, date]]
    completions_last_year: list[tuple[str, date]]

    @property
    def year(self) -> int:
        return self.today.year

    @property
    def last_year(self) -> int:
        return self.today.year - 1

    @property
    def q1_stable(self) -> int:
        """q1's job, started on 1 January and still running, is stable once it has lasted
        180 days — from early July on; earlier in the year nothing started this year can be."""
        return int(self.today >= date(self.year, 1, 1) + timedelta(days=STABLE_DAYS))

    # What the overview must say (README definitions applied to the facts by hand).

    def qiji(self) -> dict[str, Figure]:
        # registered q1–q8, q10 (q9 deleted); willing: not q4, q5, q6; assisted this year
        # q1, q2 (twice), q3, q6; of those willing q1, q2, q3; stable q1 at most; trained
        # q7, q8; only an employment target for 祁集镇 (8).
        return expected(registered=9, willing=6, assisted=4, assisted_willing=3,
                        stable=self.q1_stable, trained=2, employment_target=8)  # fmt: skip

    def pingwei(self) -> dict[str, Figure]:
        # registered p1–p4, all willing; assisted p1 (young job); trained p2; no target.
        return expected(registered=4, willing=4, assisted=1, assisted_willing=1, stable=0,
                        trained=1)  # fmt: skip

    def district(self) -> dict[str, Figure]:
        return expected(registered=13, willing=10, assisted=5, assisted_willing=4,
                        stable=self.q1_stable, trained=3, training_target=5,
                        employment_target=10)  # fmt: skip

    def district_last_year(self) -> dict[str, Figure]:
        # Registered last year, by their first job: q10, p3, p4 (all able); last year's jobs:
        # q10 (running, stable), p3 (180 days, stable), p4 (179 days, not); q10 trained; no
        # targets for last year.
        return expected(registered=3, willing=3, assisted=3, assisted_willing=3, stable=2,
                        trained=1)  # fmt: skip

    def qiji_claims(self) -> dict[tuple[str, str], ClaimRow]:
        return {
            ("skills_training", "approved"): (1, SKILLS_FEN, SKILLS_FEN, 0),
            ("skills_training", "paid"): (1, SKILLS_FEN, SKILLS_FEN, SKILLS_FEN),
        }

    def pingwei_claims(self) -> dict[tuple[str, str], ClaimRow]:
        return {("skills_training", "rejected"): (1, SKILLS_FEN, 0, 0)}

    def claims_last_year(self) -> dict[tuple[str, str], ClaimRow]:
        return {
            ("assistance_post", "submitted"): (1, 3 * POST_FEN, 0, 0),
            ("skills_training", "draft"): (1, SKILLS_FEN, 0, 0),
        }


async def build(factory: Factory) -> District:
    """潘集区 with known facts, made through the API.

    祁集镇 (workers in 许岗村 unless said otherwise):
      q1 able, self-employed since 1 January, still working; enrolled this year, not finished
      q2 able, migrant work from 1 January ended after 30 days (or today), then an assistance
         post from today — assisted twice this year; enrolled and dropped out
      q3 able, migrant work from 1 January ended after 179 days (or today) — never stable
      q4 not able to work (able_to_work false)
      q5 marked unable_to_work
      q6 not able to work, yet self-employed from today (assisted, but not in the rate)
      q7 able, trained: certificate on 1 January
      q8 able, of 祁集村, trained: certificate today
      q9 registered, then deleted by an admin
      q10 able, registered 1 March last year; assistance post since then, still on it; trained
          last year (30 June); claims: assistance post March–May last year (submitted),
          training (draft)
    平圩镇 (平圩村):
      p1 able, hired by a base of 平圩村 ten days ago (or on 1 January)
      p2 able, trained: certificate today
      p3 able, registered and self-employed from 15 January last year for exactly 180 days —
         stable
      p4 able, registered and in migrant work from 1 February last year for 179 days — not
         stable
    Everyone else was registered this year: q1, q2, q3, q7 and p1 on 1 January.
    Claims this year (skills training, 800 yuan each): q7 paid, q8 approved, p2 rejected.
    Organisations: 祁集镇 2 workshops, 1 base, 1 enterprise, 1 station; 平圩镇 1 workshop,
    2 bases, 1 cooperative, 1 station; 1 station of the district itself.
    Targets this year: district training 5 and employment 10; 祁集镇 employment 8.
    """
    today = utc_today()
    jan = date(today.year, 1, 1)
    last = today.year - 1
    admin = await factory.as_role("admin")
    reviewer = await factory.as_role("admin")
    cw_q = await factory.as_role("caseworker", region=QIJI)
    cw_p = await factory.as_role("caseworker", region=PINGWEI)

    w: dict[str, dict[str, Any]] = {}
    people: dict[str, dict[str, Any]] = {
        "q1": {}, "q2": {}, "q3": {}, "q4": {"able_to_work": False},
        "q5": {"employment_status": "unable_to_work"}, "q6": {"able_to_work": False},
        "q7": {}, "q8": {"region": QIJI_VILLAGE}, "q9": {}, "q10": {},
    }  # fmt: skip
    for name, fields in people.items():
        w[name] = await new_worker(cw_q, **fields)
    for name in ("p1", "p2", "p3", "p4"):
        w[name] = await new_worker(cw_p, region=PINGWEI_VILLAGE)
    r = await admin.delete(f"{WORKERS}/{w['q9']['id']}")
    assert r.status_code == 204, r.text
    p3_start, p4_start = date(last, 1, 15), date(last, 2, 1)
    for name, day in (("q1", jan), ("q2", jan), ("q3", jan), ("q7", jan), ("p1", jan),
                      ("q10", date(last, 3, 1)), ("p3", p3_start), ("p4", p4_start)):  # fmt: skip
        await registered_on(factory, w[name], day)

    # Jobs.
    await job(cw_q, w["q1"], jan)
    await end_job(cw_q, await job(cw_q, w["q2"], jan, "migrant"), min(jan + timedelta(30), today))
    await job(cw_q, w["q2"], today, "assistance_post")
    q3_job = await job(cw_q, w["q3"], jan, "migrant")
    await end_job(cw_q, q3_job, min(jan + timedelta(STABLE_DAYS - 1), today))
    await job(cw_q, w["q6"], today)
    q10_job = await job(cw_q, w["q10"], date(last, 3, 1), "assistance_post")
    base, boss = await employer_user(factory, region=PINGWEI_VILLAGE, kind=EmployerKind.base)
    vacancy = await new_vacancy(boss, work_region_code=PINGWEI_VILLAGE)
    referral = await refer(cw_p, w["p1"]["id"], vacancy["id"])
    p1_start = max(jan, today - timedelta(10))
    await factory.backdate(referral_id=referral["id"], days=days_before_today(p1_start))
    hired = await hire(boss, referral["id"], start_date=p1_start.isoformat())
    assert hired.status_code == 200, hired.text
    await end_job(cw_p, await job(cw_p, w["p3"], p3_start), p3_start + timedelta(STABLE_DAYS))
    p4_job = await job(cw_p, w["p4"], p4_start, "migrant")
    await end_job(cw_p, p4_job, p4_start + timedelta(STABLE_DAYS - 1))

    # Training.
    soon = today + timedelta(10)
    qiji_class = await classroom(admin, QIJI, jan, soon)
    q7_cert = await trained_on(factory, cw_q, qiji_class, w["q7"], jan, "Q-1")
    q8_cert = await trained_on(factory, cw_q, qiji_class, w["q8"], today, "Q-2")
    await enrolled(cw_q, qiji_class, w["q1"])
    dropped = await enrolled(cw_q, qiji_class, w["q2"])
    await ok_json(await cw_q.post(f"{ENROLMENTS}/{dropped['id']}/drop", json={"reason": "病"}))
    pingwei_class = await classroom(admin, PINGWEI, jan, soon)
    p2_cert = await trained_on(factory, cw_p, pingwei_class, w["p2"], today, "P-1")
    old_class = await classroom(admin, QIJI, date(last, 6, 1), date(last, 6, 30))
    q10_cert = await trained_on(factory, cw_q, old_class, w["q10"], date(last, 6, 30), "Q-OLD-1")

    # Claims.
    await add_policies(admin, date(last, 1, 1))
    skills = {"policy_code": "skills_training"}
    paid = await claim(cw_q, **skills, worker_id=w["q7"]["id"], enrolment_id=q7_cert["id"])
    approved = await claim(cw_q, **skills, worker_id=w["q8"]["id"], enrolment_id=q8_cert["id"])
    rejected = await claim(cw_p, **skills, worker_id=w["p2"]["id"], enrolment_id=p2_cert["id"])
    for filed, by in ((paid, cw_q), (approved, cw_q), (rejected, cw_p)):
        assert filed["amount_fen"] == SKILLS_FEN, filed
        await claim_step(by, filed["id"], "submit")
    await claim_step(admin, paid["id"], "approve")
    await claim_step(reviewer, paid["id"], "pay", {"payment_reference": "PAY-1"})
    await claim_step(admin, approved["id"], "approve")
    await claim_step(admin, rejected["id"], "reject", {"reason": "证书与花名册不符"})
    await claim(cw_q, **skills, worker_id=w["q10"]["id"], enrolment_id=q10_cert["id"])
    post = await claim(
        cw_q, policy_code="assistance_post", worker_id=w["q10"]["id"],
        employment_id=q10_job["id"], period_start=date(last, 3, 1).isoformat(),
        period_end=date(last, 5, 1).isoformat(),
    )  # fmt: skip
    assert post["amount_fen"] == 3 * POST_FEN, post
    await claim_step(cw_q, post["id"], "submit")

    # Organisations.
    for region, kind in (
        (XUGANG, EmployerKind.workshop), (QIJI, EmployerKind.workshop),
        (XUGANG, EmployerKind.base), (XUGANG, EmployerKind.enterprise),
        (PINGWEI_VILLAGE, EmployerKind.workshop), (PINGWEI, EmployerKind.base),
        (PINGWEI_VILLAGE, EmployerKind.cooperative),
    ):  # fmt: skip
        await factory.employer(region=region, kind=kind)
    assert base.kind == EmployerKind.base.value  # the second base of 平圩镇
    await station(admin, "许岗村就业服务站", XUGANG)
    await station(admin, "平圩镇就业服务站", PINGWEI)
    await station(admin, "潘集区人力资源市场", DISTRICT)

    # Targets.
    for region, metric, value in (
        (DISTRICT, "training", 5), (DISTRICT, "employment_assistance", 10),
        (QIJI, "employment_assistance", 8),
    ):  # fmt: skip
        await created(await target(admin, region, today.year, metric, value))

    return District(
        admin=admin, cw_qiji=cw_q, cw_pingwei=cw_p, today=today, workers=w,
        starts=[("q1", jan), ("q2", jan), ("q2", today), ("q3", jan), ("q6", today),
                ("p1", p1_start)],
        starts_last_year=[("q10", date(last, 3, 1)), ("p3", p3_start), ("p4", p4_start)],
        completions=[("q7", jan), ("q8", today), ("p2", today)],
        completions_last_year=[("q10", date(last, 6, 30))],
    )  # fmt: skip


QIJI_ORGANISATIONS = {"workshops": 2, "bases": 1, "service_stations": 1}
PINGWEI_ORGANISATIONS = {"workshops": 1, "bases": 2, "service_stations": 1}
DISTRICT_ORGANISATIONS = {"workshops": 3, "bases": 3, "service_stations": 3}


# -- the overview --------------------------------------------------------------------------


async def test_district_overview_every_figure(factory: Factory) -> None:
    d = await build(factory)
    body = await overview(d.admin, region=DISTRICT, year=d.year)
    assert body["region_code"] == DISTRICT
    assert body["region_name"] == "潘集区"
    assert body["year"] == d.year
    assert body["as_of"] == d.today.isoformat()
    assert figures(body) == d.district()
    assert claim_figures(body) == {**d.qiji_claims(), **d.pingwei_claims()}
    assert body["organisations"] == DISTRICT_ORGANISATIONS
    # With no parameters an unscoped admin gets the whole district and this year.
    assert await overview(d.admin) == body
    # An auditor of the district reads the same figures.
    auditor = await factory.as_role("auditor", region=DISTRICT)
    assert await overview(auditor) == body


async def test_township_overview_every_figure(factory: Factory) -> None:
    d = await build(factory)
    qiji = await overview(d.admin, region=QIJI, year=d.year)
    assert (qiji["region_code"], qiji["region_name"]) == (QIJI, "祁集镇")
    assert figures(qiji) == d.qiji()
    assert claim_figures(qiji) == d.qiji_claims()
    assert qiji["organisations"] == QIJI_ORGANISATIONS
    pingwei = await overview(d.admin, region=PINGWEI, year=d.year)
    assert figures(pingwei) == d.pingwei()
    assert claim_figures(pingwei) == d.pingwei_claims()
    assert pingwei["organisations"] == PINGWEI_ORGANISATIONS
    # A caseworker gets their own township by default, and may narrow it to a village.
    assert await overview(d.cw_qiji) == qiji
    assert await overview(d.cw_pingwei) == pingwei
    village = await overview(d.cw_qiji, region=QIJI_VILLAGE)
    assert figures(village) == expected(registered=1, willing=1, assisted=0,
                                        assisted_willing=0, stable=0, trained=1)  # fmt: skip
    assert claim_figures(village) == {("skills_training", "approved"): (1, SKILLS_FEN,
                                                                        SKILLS_FEN, 0)}  # fmt: skip
    assert village["organisations"] == NO_ORGANISATIONS


async def test_township_without_workers_is_all_zeros_with_null_rates(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    # Before anything is recorded the whole district is empty too.
    empty = await overview(admin)
    assert figures(empty) == NOTHING
    assert empty["claims"] == []
    assert empty["organisations"] == NO_ORGANISATIONS
    d = await build(factory)
    body = await overview(d.admin, region=GAOHUANG, year=d.year)
    assert (body["region_code"], body["region_name"]) == (GAOHUANG, "高皇镇")
    assert figures(body) == NOTHING
    rates = {k: v for k, v in figures(body).items() if k.endswith("_rate")}
    assert rates == {"assistance_rate": (0, 0, None), "stable_employment_rate": (0, 0, None),
                     "assigned_assistance_rate": (0, 0, None)}  # fmt: skip
    assert body["claims"] == []
    assert body["organisations"] == NO_ORGANISATIONS
    assert figures(await overview(d.admin, region=GAOHUANG, year=d.last_year)) == NOTHING


async def test_last_year_through_the_year_parameter(factory: Factory) -> None:
    d = await build(factory)
    body = await overview(d.admin, year=d.last_year)
    assert body["year"] == d.last_year
    assert figures(body) == d.district_last_year()
    assert claim_figures(body) == d.claims_last_year()
    assert body["organisations"] == DISTRICT_ORGANISATIONS
    qiji = await overview(d.admin, region=QIJI, year=d.last_year)
    assert figures(qiji) == expected(registered=1, willing=1, assisted=1, assisted_willing=1,
                                     stable=1, trained=1)  # fmt: skip
    assert claim_figures(qiji) == d.claims_last_year()
    pingwei = await overview(d.admin, region=PINGWEI, year=d.last_year)
    assert figures(pingwei) == expected(registered=2, willing=2, assisted=2, assisted_willing=2,
                                        stable=1, trained=0)  # fmt: skip
    assert pingwei["claims"] == []
    # Two years ago nothing happened at all.
    assert figures(await overview(d.admin, year=d.year - 2)) == NOTHING


# -- breakdowns ----------------------------------------------------------------------------


def township_values(figs: dict[str, Figure]) -> dict[str, Any]:
    """A township row as the overview of that township says it must be."""
    return {
        "registered_workers": figs["registered_workers"][0],
        "willing_and_able": figs["willing_and_able"][0],
        "assisted": figs["assisted"][0],
        "stable": figs["stable_employment_rate"][0],
        "trained": figs["trained"][0],
        "stable_employment_rate": figs["stable_employment_rate"][2],
    }


async def test_breakdown_by_township(factory: Factory) -> None:
    d = await build(factory)
    for year in (d.year, d.last_year):
        body = await breakdown(d.admin, "township", year=year)
        assert (body["region_code"], body["year"], body["by"]) == (DISTRICT, year, "township")
        assert [row["key"] for row in body["rows"]] == TOWNSHIPS
        assert [row["label"] for row in body["rows"]] == [BASE_REGIONS[t][0] for t in TOWNSHIPS]
        assert body["columns"] == list(township_values(NOTHING))
        for row in body["rows"]:
            town = figures(await overview(d.admin, region=row["key"], year=year))
            assert row["values"] == township_values(town), row
    rows = {r["key"]: r["values"] for r in (await breakdown(d.admin, "township"))["rows"]}
    assert rows[QIJI] == township_values(d.qiji())
    assert rows[PINGWEI] == township_values(d.pingwei())
    assert rows[GAOHUANG] == township_values(NOTHING)
    assert sum(int(r["registered_workers"] or 0) for r in rows.values()) == 13
    # A township's own breakdown is its one row; a caseworker gets theirs by default.
    own = await breakdown(d.cw_qiji, "township")
    assert [(r["key"], r["label"]) for r in own["rows"]] == [(QIJI, "祁集镇")]
    assert own["rows"][0]["values"] == township_values(d.qiji())


def per_month(events: list[tuple[str, date]], year: int) -> dict[int, int]:
    """Distinct workers per month of ``year`` (a worker counts once in a month)."""
    return Counter(month for _, month in {(who, on.month) for who, on in events
                                          if on.year == year})  # fmt: skip


async def test_breakdown_by_month(factory: Factory) -> None:
    d = await build(factory)
    for year, starts, completions in (
        (d.year, d.starts, d.completions),
        (d.last_year, d.starts_last_year, d.completions_last_year),
    ):
        body = await breakdown(d.admin, "month", year=year)
        assert (body["by"], body["columns"]) == ("month", ["assisted", "trained"])
        months = [f"{year}-{m:02d}" for m in range(1, 13)]
        assert [r["key"] for r in body["rows"]] == months
        assert [r["label"] for r in body["rows"]] == months
        assisted, trained = per_month(starts, year), per_month(completions, year)
        assert [r["values"] for r in body["rows"]] == [
            {"assisted": assisted.get(m, 0), "trained": trained.get(m, 0)} for m in range(1, 13)
        ]
    last = {r["key"][-2:]: r["values"] for r in
            (await breakdown(d.admin, "month", year=d.last_year))["rows"]}  # fmt: skip
    assert (last["01"], last["02"], last["03"], last["06"]) == (
        {"assisted": 1, "trained": 0}, {"assisted": 1, "trained": 0},
        {"assisted": 1, "trained": 0}, {"assisted": 0, "trained": 1},
    )  # fmt: skip
    # In January of this year q1, q2 and q3 started work and q7 finished training.
    january = (await breakdown(d.admin, "month", year=d.year))["rows"][0]["values"]
    assert int(january["assisted"] or 0) >= 3
    assert int(january["trained"] or 0) >= 1
    # 平圩镇 alone: p1's job and p2's certificate.
    town = await breakdown(d.admin, "month", region=PINGWEI)
    assert sum(int(r["values"]["assisted"] or 0) for r in town["rows"]) == 1
    assert sum(int(r["values"]["trained"] or 0) for r in town["rows"]) == 1


async def test_breakdown_by_policy(factory: Factory) -> None:
    d = await build(factory)
    body = await breakdown(d.admin, "policy", year=d.year)
    assert body["columns"] == ["claims", "claimed_fen", "approved_fen", "paid_fen"]
    assert [(r["key"], r["values"]) for r in body["rows"]] == [
        ("skills_training", {"claims": 3, "claimed_fen": 3 * SKILLS_FEN,
                             "approved_fen": 2 * SKILLS_FEN, "paid_fen": SKILLS_FEN}),
    ]  # fmt: skip
    last = await breakdown(d.admin, "policy", year=d.last_year)
    assert [(r["key"], r["values"]) for r in last["rows"]] == [
        ("assistance_post", {"claims": 1, "claimed_fen": 3 * POST_FEN, "approved_fen": 0,
                             "paid_fen": 0}),
        ("skills_training", {"claims": 1, "claimed_fen": SKILLS_FEN, "approved_fen": 0,
                             "paid_fen": 0}),
    ]  # fmt: skip
    pingwei = await breakdown(d.cw_pingwei, "policy")
    assert [(r["key"], r["values"]) for r in pingwei["rows"]] == [
        ("skills_training", {"claims": 1, "claimed_fen": SKILLS_FEN, "approved_fen": 0,
                             "paid_fen": 0}),
    ]  # fmt: skip
    assert (await breakdown(d.admin, "policy", region=GAOHUANG))["rows"] == []


async def test_breakdown_by_employer_kind(factory: Factory) -> None:
    d = await build(factory)
    body = await breakdown(d.admin, "employer_kind", year=d.year)
    assert body["columns"] == ["assisted", "stable", "stable_employment_rate"]
    s = d.q1_stable
    # The employer's kind where there is an employer, else the kind of the job; q2 had two
    # kinds of job this year and is counted under each.
    assert {r["key"]: r["values"] for r in body["rows"]} == {
        "self_employed": {"assisted": 2, "stable": s, "stable_employment_rate": rate(s, 2)[2]},
        "migrant": {"assisted": 2, "stable": 0, "stable_employment_rate": 0.0},
        "assistance_post": {"assisted": 1, "stable": 0, "stable_employment_rate": 0.0},
        "base": {"assisted": 1, "stable": 0, "stable_employment_rate": 0.0},
    }
    assert [r["key"] for r in body["rows"]] == sorted(r["key"] for r in body["rows"])
    last = await breakdown(d.admin, "employer_kind", year=d.last_year)
    assert {r["key"]: r["values"] for r in last["rows"]} == {
        "assistance_post": {"assisted": 1, "stable": 1, "stable_employment_rate": 1.0},
        "self_employed": {"assisted": 1, "stable": 1, "stable_employment_rate": 1.0},
        "migrant": {"assisted": 1, "stable": 0, "stable_employment_rate": 0.0},
    }
    assert (await breakdown(d.admin, "employer_kind", region=GAOHUANG))["rows"] == []


# -- the spreadsheet -----------------------------------------------------------------------


async def test_overview_report_xlsx(factory: Factory) -> None:
    d = await build(factory)
    r = await d.admin.get(REPORT, params={"region": QIJI})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert f"jobpath-{QIJI}-{d.year}.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["overview", "monthly", "by poverty_status", "by assigned"]
    sheet = book["overview"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(n for n, row in enumerate(rows) if row[0] == "indicator")
    assert rows[header][:5] == ["indicator", "label", "numerator", "denominator", "value"]
    indicator_rows = rows[header + 1 : header + 1 + len(INDICATORS)]
    assert {row[0]: (row[2], row[3], row[4]) for row in indicator_rows} == d.qiji()
    cells = {row[0]: row[1] for row in rows if row and row[0] in NO_ORGANISATIONS}
    assert cells == QIJI_ORGANISATIONS
    claim_rows = {(row[0], row[1]): (row[2], row[3], row[4], row[5]) for row in rows
                  if row and row[0] == "skills_training"}  # fmt: skip
    assert claim_rows == d.qiji_claims()
    monthly = book["monthly"]
    assert isinstance(monthly, Worksheet)
    lines = [list(row) for row in monthly.iter_rows(values_only=True)]
    assert lines[0] == ["month", "assisted", "trained"]
    assert len(lines) == 13
    qiji_months = await breakdown(d.admin, "month", region=QIJI)
    assert lines[1:] == [
        [row["label"], row["values"]["assisted"], row["values"]["trained"]]
        for row in qiji_months["rows"]
    ]
    assert len(monthly._charts) == 1  # type: ignore[attr-defined]  # not in the stubs
    # Last year's report, and the scope rules of the overview, hold for the file too.
    old = await d.admin.get(REPORT, params={"year": d.last_year})
    assert old.status_code == 200, old.text
    assert f"jobpath-{DISTRICT}-{d.last_year}.xlsx" in old.headers["content-disposition"]
    problem(await d.cw_qiji.get(REPORT, params={"region": PINGWEI}), 404, "region_not_found")


# -- the request rules ---------------------------------------------------------------------


async def test_bad_parameters_and_who_may_read(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker", region=QIJI)
    for by in ("village", "", "TOWNSHIP"):
        body = problem(await admin.get(BREAKDOWN, params={"by": by}), 422, "validation_failed")
        assert error_fields(body) == {"query.by"}
    body = problem(await admin.get(BREAKDOWN), 422, "validation_failed")
    assert error_fields(body) == {"query.by"}
    for path, extra in ((OVERVIEW, {}), (BREAKDOWN, {"by": "month"}), (REPORT, {})):
        for year in (1999, 2101, "last"):
            r = await admin.get(path, params={"year": year, **extra})
            assert error_fields(problem(r, 422, "validation_failed")) == {"query.year"}, path
        r = await admin.get(path, params={"region": "34040", **extra})
        assert error_fields(problem(r, 422, "validation_failed")) == {"query.region"}, path
        # Another township is outside a caseworker's scope: it does not exist for them.
        problem(await cw.get(path, params={"region": PINGWEI, **extra}), 404, "region_not_found")
        problem(await cw.get(path, params={"region": DISTRICT, **extra}), 404, "region_not_found")
        problem(await admin.get(path, params={"region": "340406999", **extra}), 404,
                "region_not_found")  # fmt: skip
        employer = await factory.as_role("employer")
        problem(await employer.get(path, params=extra), 403, "forbidden")
        r = await factory.client().get(path, params=extra)
        assert r.status_code == 401, r.text


# -- the edge cases, one at a time ---------------------------------------------------------


async def test_no_target_set_means_no_denominator_and_no_value(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker", region=QIJI)
    year = utc_today().year
    await job(cw, await new_worker(cw), utc_today())
    # Targets of another year, and of a township, are not the district's target for this year.
    await created(await target(admin, DISTRICT, year - 1, "training", 50))
    await created(await target(admin, DISTRICT, year + 1, "employment_assistance", 50))
    await created(await target(admin, QIJI, year, "training", 20))
    await created(await target(admin, QIJI, year, "employment_assistance", 20))
    figs = figures(await overview(admin, year=year))
    assert figs["training_target"] == (0, None, None)
    assert figs["employment_target"] == (1, None, None)
    # 祁集镇 has both.
    town = figures(await overview(admin, region=QIJI, year=year))
    assert town["training_target"] == (0, 20, 0.0)
    assert town["employment_target"] == (1, 20, 0.05)
    # Once set for the district and year, the figure gets its denominator.
    await created(await target(admin, DISTRICT, year, "employment_assistance", 4))
    figs = figures(await overview(admin, year=year))
    assert figs["employment_target"] == (1, 4, 0.25)
    assert figs["training_target"] == (0, None, None)


async def test_a_worker_assisted_twice_in_a_year_counts_once(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker", region=QIJI)
    today = utc_today()
    jan = date(today.year, 1, 1)
    worker = await new_worker(cw)
    await registered_on(factory, worker, jan)
    first = await job(cw, worker, jan, "migrant")
    await end_job(cw, first, jan)
    await job(cw, worker, today, "assistance_post")
    await job(cw, worker, today, "self_employed")
    await new_worker(cw)  # willing, not assisted
    figs = figures(await overview(admin, year=today.year))
    assert figs["assisted"] == (1, None, 1)
    assert figs["assistance_rate"] == (1, 2, 0.5)
    assert figs["stable_employment_rate"] == (0, 1, 0.0)
    assert figs["employment_target"] == (1, None, None)
    rows = {r["key"]: r["values"] for r in (await breakdown(admin, "township"))["rows"]}
    assert rows[QIJI]["assisted"] == 1
    months = (await breakdown(admin, "month"))["rows"]
    assert sum(int(r["values"]["assisted"] or 0) for r in months) == (
        1 if today.month == 1 else 2
    )  # once in January and once this month, or once when both are January
    assert months[today.month - 1]["values"]["assisted"] == 1


async def test_stable_only_after_180_days_and_not_if_ended_sooner(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker", region=QIJI)
    last = utc_today().year - 1
    start = date(last, 2, 1)
    people = [await new_worker(cw) for _ in range(4)]
    for person in people:
        await registered_on(factory, person, start)
    ended_179 = await job(cw, people[0], start)
    await end_job(cw, ended_179, start + timedelta(STABLE_DAYS - 1))
    ended_180 = await job(cw, people[1], start, "migrant")
    await end_job(cw, ended_180, start + timedelta(STABLE_DAYS))
    ended_early = await job(cw, people[2], start, "assistance_post")
    await end_job(cw, ended_early, start + timedelta(10))
    running = await job(cw, people[3], start)  # 181 days and more by now
    # The employments say the same as the indicator.
    stable = {e["id"]: (await employment(cw, e["id"]))["stable"]
              for e in (ended_179, ended_180, ended_early, running)}  # fmt: skip
    assert stable == {ended_179["id"]: False, ended_180["id"]: True, ended_early["id"]: False,
                      running["id"]: True}  # fmt: skip
    figs = figures(await overview(admin, year=last))
    assert figs["assisted"] == (4, None, 4)
    assert figs["stable_employment_rate"] == (2, 4, 0.5)
    # A job started today is too young to be stable.
    await job(cw, await new_worker(cw), utc_today())
    figs = figures(await overview(admin))
    assert figs["stable_employment_rate"] == (0, 1, 0.0)


async def test_a_job_started_last_year_does_not_count_this_year(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker", region=QIJI)
    today = utc_today()
    worker = await new_worker(cw)
    await registered_on(factory, worker, date(today.year - 1, 12, 31))
    await job(cw, worker, date(today.year - 1, 12, 31))
    this_year = figures(await overview(admin, year=today.year))
    assert this_year["registered_workers"] == (1, None, 1)
    assert this_year["assisted"] == (0, None, 0)
    assert this_year["assistance_rate"] == (0, 1, 0.0)
    assert this_year["stable_employment_rate"] == (0, 0, None)
    assert figures(await overview(admin)) == this_year  # the default year is this year
    last_year = figures(await overview(admin, year=today.year - 1))
    assert last_year["assisted"] == (1, None, 1)
    # Registered on the job's first day, so already registered at the end of last year.
    assert last_year["registered_workers"] == (1, None, 1)
    months = (await breakdown(admin, "month", year=today.year - 1))["rows"]
    assert [r["values"]["assisted"] for r in months] == [0] * 11 + [1]


async def test_a_worker_unable_to_work_is_not_willing_and_able(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker", region=QIJI)
    today = utc_today()
    await new_worker(cw)
    await new_worker(cw, able_to_work=False)
    await new_worker(cw, employment_status="unable_to_work")
    disabled_but_working = await new_worker(cw, able_to_work=False)
    await job(cw, disabled_but_working, today)
    figs = figures(await overview(admin))
    assert figs["registered_workers"] == (4, None, 4)
    assert figs["willing_and_able"] == (1, None, 1)
    assert figs["assisted"] == (1, None, 1)
    # The assisted worker is not among the willing and able: the rate counts only those.
    assert figs["assistance_rate"] == (0, 1, 0.0)
    # A worker marked unable later on leaves the figure.
    able = await new_worker(cw)
    r = await cw.get(f"{WORKERS}/{able['id']}")
    r = await cw.patch(f"{WORKERS}/{able['id']}", json={"employment_status": "unable_to_work"},
                       headers={"If-Match": r.headers["ETag"]})  # fmt: skip
    assert r.status_code == 200, r.text
    figs = figures(await overview(admin))
    assert figs["registered_workers"] == (5, None, 5)
    assert figs["willing_and_able"] == (1, None, 1)


async def test_a_deleted_worker_is_not_registered(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker", region=QIJI)
    kept = await new_worker(cw)
    gone = await new_worker(cw)
    assert figures(await overview(admin))["registered_workers"] == (2, None, 2)
    r = await admin.delete(f"{WORKERS}/{gone['id']}")
    assert r.status_code == 204, r.text
    figs = figures(await overview(admin))
    assert figs["registered_workers"] == (1, None, 1)
    assert figs["willing_and_able"] == (1, None, 1)
    assert figs["assistance_rate"] == (0, 1, 0.0)
    rows = {r["key"]: r["values"] for r in (await breakdown(admin, "township"))["rows"]}
    assert rows[QIJI]["registered_workers"] == 1
    assert kept["id"] != gone["id"]


async def test_trained_counts_completed_enrolments_only(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker", region=QIJI)
    today = utc_today()
    room = await classroom(admin, QIJI, date(today.year, 1, 1), today + timedelta(5))
    await trained_on(factory, cw, room, await new_worker(cw), today, "C-1")
    await enrolled(cw, room, await new_worker(cw))
    dropped = await enrolled(cw, room, await new_worker(cw))
    await ok_json(await cw.post(f"{ENROLMENTS}/{dropped['id']}/drop", json={"reason": "搬家"}))
    # The same worker twice in a year: two completed enrolments, both count.
    twice = await new_worker(cw)
    await trained_on(factory, cw, room, twice, today, "C-2")
    other = await classroom(admin, QIJI, date(today.year, 1, 1), today + timedelta(5))
    await trained_on(factory, cw, other, twice, today, "C-3")
    await created(await target(admin, DISTRICT, today.year, "training", 4))
    figs = figures(await overview(admin))
    assert figs["trained"] == (3, None, 3)
    assert figs["training_target"] == (3, 4, 0.75)


# -- targets and service stations ---------------------------------------------------------


async def test_targets(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    year = utc_today().year
    r = await target(admin, DISTRICT, year, "training", 100)
    made = await created(r)
    assert {k: made[k] for k in ("region_code", "year", "metric", "value", "version")} == {
        "region_code": DISTRICT, "year": year, "metric": "training", "value": 100, "version": 1,
    }  # fmt: skip
    problem(await target(admin, DISTRICT, year, "training", 120), 409, "duplicate_target")
    other = await created(await target(admin, DISTRICT, year, "employment_assistance", 551))
    older = await created(await target(admin, DISTRICT, year - 1, "training", 80))
    town = await created(await target(admin, QIJI, year, "training", 30))
    # Bad bodies.
    body = problem(await target(admin, DISTRICT, 1999, "training", 1), 422, "validation_failed")
    assert error_fields(body) == {"body.year"}
    body = problem(await target(admin, DISTRICT, year, "visits", 1), 422, "validation_failed")
    assert error_fields(body) == {"body.metric"}
    body = problem(await target(admin, DISTRICT, year, "training", -1), 422, "validation_failed")
    assert error_fields(body) == {"body.value"}
    problem(await target(admin, "340406999", year, "training", 1), 422, "unknown_region")
    # Lists, filtered by year and metric.
    listed = await ok_json(await admin.get(TARGETS))
    assert [t["id"] for t in listed["items"]] == [made["id"], other["id"], older["id"],
                                                  town["id"]]  # fmt: skip
    assert listed["next_cursor"] is None
    by_year = await ok_json(await admin.get(TARGETS, params={"year": year, "metric": "training"}))
    assert [t["id"] for t in by_year["items"]] == [made["id"], town["id"]]
    # A caseworker of 祁集镇 reads the targets of their scope only.
    cw = await factory.as_role("caseworker", region=QIJI)
    assert [t["id"] for t in (await ok_json(await cw.get(TARGETS)))["items"]] == [town["id"]]
    problem(await cw.get(f"{TARGETS}/{made['id']}"), 404, "target_not_found")
    # Only admins set targets.
    for role, kw in (("caseworker", {"region": QIJI}), ("auditor", {}), ("employer", {})):
        someone = await factory.as_role(role, **kw)
        problem(await target(someone, DISTRICT, year + 1, "training", 1), 403, "forbidden")
        r = await someone.patch(f"{TARGETS}/{made['id']}", json={"value": 1},
                                headers={"If-Match": '"1"'})  # fmt: skip
        problem(r, 403, "forbidden")
    # Changing a value needs If-Match.
    r = await admin.get(f"{TARGETS}/{made['id']}")
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"1"'
    problem(await admin.patch(f"{TARGETS}/{made['id']}", json={"value": 206}), 428,
            "if_match_required")  # fmt: skip
    r = await admin.patch(f"{TARGETS}/{made['id']}", json={"value": 206},
                          headers={"If-Match": '"7"'})  # fmt: skip
    problem(r, 412, "version_mismatch")
    r = await admin.patch(f"{TARGETS}/{made['id']}", json={"value": 200},
                          headers={"If-Match": '"1"'})  # fmt: skip
    changed = await ok_json(r)
    assert (changed["value"], changed["version"]) == (200, 2)
    r = await admin.patch(f"{TARGETS}/{made['id']}", json={"value": 1},
                          headers={"If-Match": '"1"'})  # fmt: skip
    problem(r, 412, "version_mismatch")
    assert (await ok_json(await admin.get(f"{TARGETS}/{made['id']}")))["value"] == 200
    # The overview divides by the target as it is now.
    figs = figures(await overview(admin))
    assert figs["training_target"] == (0, 200, 0.0)
    assert figs["employment_target"] == (0, 551, 0.0)


async def test_service_stations(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    qiji = await station(admin, "许岗村就业服务站", XUGANG)
    assert (qiji["name"], qiji["region_code"], qiji["address"]) == ("许岗村就业服务站", XUGANG,
                                                                    None)  # fmt: skip
    pingwei = await created(await admin.post(STATIONS, json={
        "name": "平圩镇就业服务站", "region_code": PINGWEI, "address": "平圩镇政府一楼",
    }))  # fmt: skip
    assert pingwei["address"] == "平圩镇政府一楼"
    district = await station(admin, "潘集区人力资源市场", DISTRICT)
    body = problem(await admin.post(STATIONS, json={"name": "", "region_code": QIJI}), 422,
                   "validation_failed")  # fmt: skip
    assert error_fields(body) == {"body.name"}
    r = await admin.post(STATIONS, json={"name": "x", "region_code": "340406999"})
    problem(r, 422, "unknown_region")

    async def listed(c: AsyncClient) -> list[int]:
        return [s["id"] for s in (await ok_json(await c.get(STATIONS)))["items"]]

    everyone = [qiji["id"], pingwei["id"], district["id"]]
    assert await listed(admin) == everyone
    assert await listed(await factory.as_role("auditor", region=DISTRICT)) == everyone
    assert await listed(await factory.as_role("caseworker", region=QIJI)) == [qiji["id"]]
    assert await listed(await factory.as_role("caseworker", region=PINGWEI)) == [pingwei["id"]]
    assert await listed(await factory.as_role("auditor", region=PINGWEI)) == [pingwei["id"]]
    # Only admins register stations; employers do not read them.
    for role, kw in (("caseworker", {"region": QIJI}), ("auditor", {}), ("employer", {})):
        someone = await factory.as_role(role, **kw)
        r = await someone.post(STATIONS, json={"name": "站", "region_code": XUGANG})
        problem(r, 403, "forbidden")
    problem(await (await factory.as_role("employer")).get(STATIONS), 403, "forbidden")
    # They are what the overview counts (the employer users above brought workshops along).
    assert (await overview(admin))["organisations"]["service_stations"] == 3
    assert (await overview(admin, region=QIJI))["organisations"]["service_stations"] == 1
    assert (await overview(admin, region=GAOHUANG))["organisations"]["service_stations"] == 0


async def test_a_worker_removed_from_the_register_is_not_counted_as_assisted(
    factory: Factory,
) -> None:
    admin = await factory.as_role("admin", region=DISTRICT)
    cw = await factory.as_role("caseworker")
    kept, removed = await new_worker(cw), await new_worker(cw)
    for person in (kept, removed):
        r = await cw.post("/api/v1/employments", json={
            "worker_id": person["id"], "kind": "self_employed",
            "start_date": date.today().isoformat()})  # fmt: skip
        assert r.status_code == 201, r.text
    assert (await admin.delete(f"/api/v1/workers/{removed['id']}")).status_code == 204
    overview = (await admin.get("/api/v1/stats/overview", params={"region": QIJI})).json()
    figures = {i["key"]: i for i in overview["indicators"]}
    assert figures["registered_workers"]["numerator"] == 1
    assert figures["assisted"]["numerator"] == 1
