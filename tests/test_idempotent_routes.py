"""Every route that takes an ``Idempotency-Key`` answers a retry with exactly its first
answer: same status, same body, same ETag, and no second row.

A phone on one bar of signal resends a create whose answer it never got. The stored answer is
written in the create's own transaction, so it must be built from what the route returns; a
route whose service hands back something else would answer the first request and then fail the
retry. Each route below is driven for real, and a route that takes the header but has no case
here fails the suite."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from httpx import AsyncClient

from app.idempotency import idempotency
from tests.factories import (
    DISTRICT,
    QIJI,
    XUGANG,
    Factory,
    claim_body,
    credit_code,
    employer_user,
    hired,
    new_course,
    new_household,
    new_policy,
    new_training_session,
    new_vacancy,
    new_visit,
    new_worker,
    on,
    policy_body,
    resident_id,
    visit_body,
)
from tests.routes import api_routes

Case = tuple[AsyncClient, str, dict[str, Any]]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


class Form(dict[str, Any]):
    """A multipart body (a photo taken offline): sent as a file and fields, not as JSON."""


def _sent(body: dict[str, Any]) -> dict[str, Any]:
    """How a case's body goes out: each send of a form draws a new multipart boundary."""
    if isinstance(body, Form):
        return {"files": {"file": ("走访.png", PNG, "image/png")}, "data": dict(body)}
    return {"json": body}


_n = iter(range(700, 10_000))


async def _claim(f: Factory) -> Case:
    await new_policy(await f.as_role("admin"), "on_job_training")
    job = await hired(f)
    return job.boss, "/api/v1/claims", claim_body(job)


async def _employer(f: Factory) -> Case:
    body = {
        "name": "重放测试车间",
        "credit_code": credit_code(next(_n)),
        "kind": "workshop",
        "region_code": XUGANG,
    }
    return await f.as_role("admin"), "/api/v1/employers", body


async def _employment(f: Factory) -> Case:
    cw = await f.as_role("caseworker")
    worker = await new_worker(cw)
    await f.backdate(worker_id=worker["id"], days=3)  # registered before the job began
    body = {"worker_id": worker["id"], "kind": "self_employed", "start_date": on(3)}
    return cw, "/api/v1/employments", body


async def _household(f: Factory) -> Case:
    body = {
        "household_number": f"HHR{next(_n)}",
        "region_code": XUGANG,
        "poverty_status": "in_poverty",
    }
    return await f.as_role("caseworker"), "/api/v1/households", body


async def _household_visit(f: Factory) -> Case:
    cw = await f.as_role("caseworker")
    household = await new_household(cw)
    return cw, f"/api/v1/households/{household['id']}/visits", visit_body()


async def _event(f: Factory) -> Case:
    employer, boss = await employer_user(f)
    vacancy = await new_vacancy(boss)
    body = {
        "name": "春风行动专场",
        "campaign": "spring_breeze",
        "date": on(-7),
        "place": "祁集镇政府",
        "region_code": QIJI,
        "employer_ids": [employer.id],
        "vacancy_ids": [vacancy["id"]],
    }
    return await f.as_role("caseworker"), "/api/v1/recruitment-events", body


async def _referral(f: Factory) -> Case:
    _employer, boss = await employer_user(f)
    vacancy = await new_vacancy(boss)
    cw = await f.as_role("caseworker")
    worker = await new_worker(cw)
    return cw, "/api/v1/referrals", {"worker_id": worker["id"], "vacancy_id": vacancy["id"]}


async def _region(f: Factory) -> Case:
    body = {"code": "340406107299", "name": "重放村", "level": "village", "parent_code": QIJI}
    return await f.as_role("admin"), "/api/v1/regions", body


async def _target(f: Factory) -> Case:
    body = {"region_code": DISTRICT, "year": 2026, "metric": "training", "value": 100}
    return await f.as_role("admin"), "/api/v1/targets", body


async def _station(f: Factory) -> Case:
    body = {"name": "祁集镇就业服务站", "region_code": QIJI, "address": "祁集镇人民路1号"}
    return await f.as_role("admin"), "/api/v1/service-stations", body


async def _policy(f: Factory) -> Case:
    body = policy_body("skills_training", code="skills_training_replay")
    return await f.as_role("admin"), "/api/v1/subsidy-policies", body


async def _course(f: Factory) -> Case:
    body = {"type": "childcare", "name": "育婴员", "hours": 60}
    return await f.as_role("admin"), "/api/v1/training/courses", body


async def _session(f: Factory) -> Case:
    admin = await f.as_role("admin")
    course = await new_course(admin)
    body = {
        "course_id": course["id"],
        "provider": "潘集区职业技能培训中心",
        "township_code": QIJI,
        "start_date": on(-3),
        "end_date": on(-20),
        "capacity": 20,
    }
    return admin, "/api/v1/training/sessions", body


async def _enrolment(f: Factory) -> Case:
    training = await new_training_session(await f.as_role("admin"))
    cw = await f.as_role("caseworker")
    worker = await new_worker(cw)
    path = f"/api/v1/training/sessions/{training['id']}/enrolments"
    return cw, path, {"worker_id": worker["id"]}


async def _user(f: Factory) -> Case:
    body = {
        "username": f"replay.{next(_n)}",
        "full_name": "重放",
        "role": "auditor",
        "password": "correct horse battery staple",
    }
    return await f.as_role("admin"), "/api/v1/users", body


async def _vacancy(f: Factory) -> Case:
    _employer, boss = await employer_user(f)
    body = {
        "title": "面点师",
        "job_type": "catering",
        "required_skills": ["pastry"],
        "openings": 2,
        "wage_min_fen": 300000,
        "wage_max_fen": 400000,
        "work_region_code": XUGANG,
    }
    return boss, "/api/v1/vacancies", body


async def _worker(f: Factory) -> Case:
    cw = await f.as_role("caseworker")
    household = await new_household(cw)
    body = {
        "household_id": household["id"],
        "full_name": "李重放",
        "id_number": resident_id(next(_n)),
        "region_code": XUGANG,
        "phone": "13912345678",
    }
    return cw, "/api/v1/workers", body


async def _worker_visit(f: Factory) -> Case:
    cw = await f.as_role("caseworker")
    worker = await new_worker(cw)
    return cw, f"/api/v1/workers/{worker['id']}/visits", visit_body()


async def _backfill(f: Factory) -> Case:
    admin = await f.as_role("admin", region=QIJI)
    worker = await new_worker(await f.as_role("caseworker"))
    entry = {"kind": "registration", "worker_id": worker["id"], "registered_on": on(400)}
    return admin, "/api/v1/backfill", {"source": "县扶贫办台账", "entries": [entry]}


async def _visit_photo(f: Factory) -> Case:
    cw = await f.as_role("caseworker")
    visit = await new_visit(cw, (await new_worker(cw))["id"])
    return cw, f"/api/v1/visits/{visit['id']}/photos", Form(caption="入户")


async def _household_photo(f: Factory) -> Case:
    cw = await f.as_role("caseworker")
    household = await new_household(cw)
    return cw, f"/api/v1/households/{household['id']}/photos", Form(caption="户口本")


async def _worker_photo(f: Factory) -> Case:
    cw = await f.as_role("caseworker")
    worker = await new_worker(cw)
    return cw, f"/api/v1/workers/{worker['id']}/photos", Form(caption="证件")


CASES: dict[str, Callable[[Factory], Awaitable[Case]]] = {
    "/backfill": _backfill,
    "/claims": _claim,
    "/employers": _employer,
    "/employments": _employment,
    "/households": _household,
    "/households/{household_id}/photos": _household_photo,
    "/households/{household_id}/visits": _household_visit,
    "/recruitment-events": _event,
    "/referrals": _referral,
    "/regions": _region,
    "/targets": _target,
    "/service-stations": _station,
    "/subsidy-policies": _policy,
    "/training/courses": _course,
    "/training/sessions": _session,
    "/training/sessions/{session_id}/enrolments": _enrolment,
    "/users": _user,
    "/vacancies": _vacancy,
    "/workers": _worker,
    "/visits/{visit_id}/photos": _visit_photo,
    "/workers/{worker_id}/photos": _worker_photo,
    "/workers/{worker_id}/visits": _worker_visit,
}


def _dependencies(route: APIRoute) -> Iterator[Any]:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        yield dependency.call
        pending.extend(dependency.dependencies)


def idempotent_routes() -> set[str]:
    """The paths (under /api/v1) of every route that takes an Idempotency-Key."""
    return {route.path for route in api_routes() if idempotency in _dependencies(route)}


def test_every_route_that_takes_an_idempotency_key_has_a_replay_case() -> None:
    assert idempotent_routes() == set(CASES)


@pytest.mark.parametrize("route", sorted(CASES))
async def test_a_retried_create_gets_its_first_answer_again(factory: Factory, route: str) -> None:
    client, path, body = await CASES[route](factory)
    headers = {"Idempotency-Key": f"replay-{uuid.uuid4()}"}
    first = await client.post(path, **_sent(body), headers=headers)
    assert first.status_code in (200, 201), first.text  # 200: a backfill's report
    again = await client.post(path, **_sent(body), headers=headers)
    assert again.status_code == first.status_code, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers.get("ETag") == first.headers.get("ETag")
    # A fresh key is a new request: the service's own rules answer it (a duplicate, or a second
    # record where duplicates are allowed), never the stored answer.
    fresh = await client.post(path, **_sent(body), headers={"Idempotency-Key": str(uuid.uuid4())})
    assert "Idempotent-Replayed" not in fresh.headers
    assert fresh.status_code < 500, fresh.text
