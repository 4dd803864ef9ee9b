"""Factories: build users, employers and signed-in clients the way the product does."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database
from app.identifiers import CREDIT_ALPHABET, credit_code_check_char, resident_id_check_char
from app.models import Employer, EmployerKind, Region, RegionLevel, Role, User
from app.services import demo, users
from tests.pii import SCAN

DISTRICT = demo.DISTRICT[0]  # 潘集区
QIJI = "340406107"  # 祁集镇
XUGANG = "340406107201"  # 许岗村, in 祁集镇
PINGWEI = "340406100"  # 平圩镇
PINGWEI_VILLAGE = "340406100201"  # 平圩村
PASSWORD = "correct horse battery staple"
IDENTITY = {"Accept-Encoding": "identity"}


def _base_regions() -> dict[str, tuple[str, str, str | None]]:
    out: dict[str, tuple[str, str, str | None]] = {
        DISTRICT: (demo.DISTRICT[1], RegionLevel.district.value, None)
    }
    for code, (name, villages) in demo.TOWNSHIPS.items():
        out[code] = (name, RegionLevel.township.value, DISTRICT)
        for n, village in enumerate(villages, start=201):
            out[f"{code}{n:03d}"] = (village, RegionLevel.village.value, code)
    return out


BASE_REGIONS = _base_regions()


async def seed_regions(session: AsyncSession) -> None:
    """The demo district's tree, inserted directly (no audit entries) for speed."""
    for code, (name, level, parent) in BASE_REGIONS.items():
        path = f"{code}/" if parent is None else _path(parent) + f"{code}/"
        session.add(Region(code=code, name=name, level=level, parent_code=parent, path=path))
    await session.commit()


def _path(code: str) -> str:
    parent = BASE_REGIONS[code][2]
    return f"{code}/" if parent is None else _path(parent) + f"{code}/"


def credit_code(n: int) -> str:
    body = "9134040" + "".join(CREDIT_ALPHABET[(n // 31**i) % 31] for i in range(10))
    return body + credit_code_check_char(body)


_seq = itertools.count(1)


@dataclass
class Factory:
    app: FastAPI
    db: Database
    _clients: list[AsyncClient] = field(default_factory=list)

    async def user(
        self,
        role: Role | str,
        *,
        username: str | None = None,
        region: str | None = None,
        employer_id: int | None = None,
        password: str = PASSWORD,
        full_name: str | None = None,
    ) -> User:
        role = Role(role)
        if region is None and role is Role.caseworker:
            region = QIJI
        if employer_id is None and role is Role.employer:
            employer_id = (await self.employer()).id
        n = next(_seq)
        async with self.db.sessionmaker() as session:
            return await users.create(
                session,
                actor=None,
                username=username or f"{role.value}{n}",
                full_name=full_name or f"测试用户{n}",
                role=role,
                password=password,
                region_code=region,
                employer_id=employer_id,
            )

    async def employer(
        self,
        *,
        name: str | None = None,
        region: str = XUGANG,
        kind: EmployerKind = EmployerKind.workshop,
        verified: bool = True,
    ) -> Employer:
        n = next(_seq)
        async with self.db.sessionmaker() as session:
            employer = Employer(
                name=name or f"测试扶贫车间{n}",
                credit_code=credit_code(n),
                kind=kind.value,
                region_code=region,
                verified=verified,
            )
            session.add(employer)
            await session.commit()
            return employer

    def client(self, *, token: str | None = None, address: str = "203.0.113.7") -> AsyncClient:
        transport = ASGITransport(app=self.app, client=(address, 50000))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        c = AsyncClient(
            transport=transport,
            base_url="http://jobpath.test",
            # Answers uncompressed (and ETags strong) unless a test asks for a coding itself:
            # tests/test_compression.py does; a phone asks for gzip.
            headers={**IDENTITY, **headers},
            event_hooks={"response": [SCAN.response]},
        )
        self._clients.append(c)
        return c

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.client().post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    async def as_user(self, user: User) -> AsyncClient:
        tokens = await self.login(user.username)
        return self.client(token=tokens["access_token"])

    async def as_role(self, role: Role | str, **kw: Any) -> AsyncClient:
        """A signed-in client of a new user with ``role`` (caseworkers default to 祁集镇)."""
        return await self.as_user(await self.user(role, **kw))

    async def close(self) -> None:
        for c in self._clients:
            await c.aclose()

    async def backdate(
        self,
        *,
        days: int,
        worker_id: int | None = None,
        referral_id: int | None = None,
        enrolment_id: int | None = None,
    ) -> None:
        """Age records by ``days``: their ``created_at`` moves back in the database, as if that
        time had passed since they were made — the service bounds the dates users set by a
        record's own history, so a test of older history needs a world that has it."""
        from datetime import timedelta

        from sqlalchemy import select, update
        from sqlmodel import col

        from app.models import Enrolment, Referral, Worker

        aged: tuple[tuple[Any, int | None], ...] = (
            (Worker, worker_id),
            (Referral, referral_id),
            (Enrolment, enrolment_id),
        )
        async with self.db.sessionmaker() as session:
            for model, record_id in aged:
                if record_id is None:
                    continue
                made = await session.scalar(select(model.created_at).where(model.id == record_id))
                assert made is not None, f"no {model.__name__} {record_id}"
                values: dict[str, Any] = {"created_at": made - timedelta(days=days)}
                if model is Worker:  # and the day it entered the register (建档立卡)
                    registered = await session.scalar(
                        select(col(Worker.registered_on)).where(col(Worker.id) == record_id)
                    )
                    assert registered is not None
                    values["registered_on"] = registered - timedelta(days=days)
                await session.execute(update(model).where(model.id == record_id).values(values))
            await session.commit()


def resident_id(n: int, *, born: str = "19850312", male: bool = True, area: str = "340406") -> str:
    """A valid GB 11643 number: ``area`` + birth date + a sequence derived from ``n``."""
    seq = (n * 2) % 1000 + (1 if male else 0)
    seq = seq if seq % 2 == (1 if male else 0) else seq + 1
    body = f"{area}{born}{seq % 1000:03d}"
    return body + resident_id_check_char(body)


_people = itertools.count(1)


async def new_household(c: AsyncClient, *, region: str = XUGANG, **fields: Any) -> dict[str, Any]:
    """Register a household through the API as the client's user."""
    body = {
        "household_number": f"HH{next(_people):08d}",
        "region_code": region,
        "poverty_status": "in_poverty",
        "poverty_causes": ["lack_of_skills"],
        **fields,
    }
    r = await c.post("/api/v1/households", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def new_worker(
    c: AsyncClient, *, household_id: int | None = None, region: str = XUGANG, **fields: Any
) -> dict[str, Any]:
    """Register a worker (and a household for them unless given) through the API."""
    if household_id is None:
        household_id = (await new_household(c, region=region))["id"]
    n = next(_people)
    body = {
        "household_id": household_id,
        "full_name": fields.pop("full_name", f"王{n}明"),
        "id_number": fields.pop("id_number", resident_id(n)),
        "region_code": region,
        **fields,
    }
    r = await c.post("/api/v1/workers", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def registered_worker(
    factory: Factory, c: AsyncClient, *, days_ago: int, **fields: Any
) -> dict[str, Any]:
    """A worker registered through the API ``days_ago`` days ago (aged by
    :meth:`Factory.backdate`): history such as a job recorded since then can be entered."""
    worker = await new_worker(c, **fields)
    await factory.backdate(worker_id=worker["id"], days=days_ago)
    return worker


async def signed_in(factory: Factory, role: Role | str, **kw: Any) -> tuple[User, AsyncClient]:
    """A new user with ``role`` and a client signed in as them (for tests that need the id)."""
    user = await factory.user(role, **kw)
    return user, await factory.as_user(user)


def problem(response: Response, status: int, code: str) -> dict[str, Any]:
    """The problem document of ``response``, once its status, media type and code are checked."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    assert body["code"] == code, body
    assert all(body[k] for k in ("type", "title", "detail")), body
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    """The ``field`` of every per-field error in a problem document."""
    return {e["field"] for e in body.get("errors") or []}


# Jobs: employers' users, vacancies, referrals, hires and employments, made through the API.


def on(days_ago: int = 0) -> str:
    """The ISO date ``days_ago`` days before today, as the service counts days (UTC)."""
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC).date() - timedelta(days=days_ago)).isoformat()


def days_since(day: str) -> int:
    """How many days ago the ISO date ``day`` was (the inverse of :func:`on`)."""
    from datetime import UTC, date, datetime

    return (datetime.now(UTC).date() - date.fromisoformat(day)).days


async def employer_user(factory: Factory, **employer: Any) -> tuple[Employer, AsyncClient]:
    """A new employer (verified 扶贫车间 of 许岗村 unless told) and a client of one of its users."""
    made = await factory.employer(**employer)
    return made, await factory.as_role("employer", employer_id=made.id)


async def new_vacancy(boss: AsyncClient, **fields: Any) -> dict[str, Any]:
    """Post a vacancy as the employer user ``boss`` (one sewing job in 许岗村 unless told)."""
    body = {
        "title": "缝纫工",
        "job_type": "garment",
        "required_skills": ["sewing"],
        "openings": 1,
        "wage_min_fen": 300000,
        "wage_max_fen": 450000,
        "work_region_code": XUGANG,
        **fields,
    }
    r = await boss.post("/api/v1/vacancies", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def refer(cw: AsyncClient, worker_id: int, vacancy_id: int, **fields: Any) -> dict[str, Any]:
    """Refer a worker to a vacancy as the caseworker ``cw``."""
    r = await cw.post(
        "/api/v1/referrals", json={"worker_id": worker_id, "vacancy_id": vacancy_id, **fields}
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def hire(boss: AsyncClient, referral_id: int, **fields: Any) -> Response:
    """The employer hires a referred worker (starting today unless told); the raw response."""
    return await boss.post(
        f"/api/v1/referrals/{referral_id}/hire", json={"start_date": on(), **fields}
    )


async def new_employment(cw: AsyncClient, worker_id: int, **fields: Any) -> dict[str, Any]:
    """Record a job found without a referral (self-employment from today unless told)."""
    body = {"worker_id": worker_id, "kind": "self_employed", "start_date": on(), **fields}
    r = await cw.post("/api/v1/employments", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


@dataclass
class Referred:
    """An employer's user, its open vacancy, and a 祁集镇 caseworker's worker referred to it."""

    employer: Employer
    boss: AsyncClient
    cw: AsyncClient
    worker: dict[str, Any]
    vacancy: dict[str, Any]
    referral: dict[str, Any]


async def referred(
    factory: Factory, *, worker: dict[str, Any] | None = None, **vacancy: Any
) -> Referred:
    """A fresh employer with one vacancy (``vacancy`` fields) and a worker referred to it."""
    employer, boss = await employer_user(factory)
    cw = await factory.as_role("caseworker")
    posted = await new_vacancy(boss, **vacancy)
    person = await new_worker(cw, phone="13812345678", **(worker or {}))
    referral = await refer(cw, person["id"], posted["id"])
    return Referred(employer, boss, cw, person, posted, referral)


async def count_rows(session: AsyncSession, model: Any, *where: Any) -> int:
    """How many rows of ``model`` meet ``where`` (the read is ended at once: on SQLite an open
    transaction would hold the lock the app needs next)."""
    from sqlalchemy import func, select

    found = await session.scalar(select(func.count()).select_from(model).where(*where))
    await session.rollback()
    return int(found or 0)


async def worker_status(cw: AsyncClient, worker_id: int) -> str:
    """The worker's employment status as their caseworker reads it."""
    r = await cw.get(f"/api/v1/workers/{worker_id}")
    assert r.status_code == 200, r.text
    status: str = r.json()["employment_status"]
    return status


# Training: courses, sessions and enrolments, made through the API.


async def new_course(admin: AsyncClient, **fields: Any) -> dict[str, Any]:
    """Add a course as the admin ``admin`` (an 80-hour pastry class unless told)."""
    r = await admin.post(
        "/api/v1/training/courses",
        json={"type": "pastry", "name": "中式面点", "hours": 80, **fields},
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def new_training_session(
    admin: AsyncClient, *, course_type: str = "pastry", **fields: Any
) -> dict[str, Any]:
    """Schedule a session as ``admin``: of a new course of ``course_type`` unless ``course_id``
    is given, in 祁集镇, 20 seats, running from 10 days ago to 10 days ahead unless told."""
    if "course_id" not in fields:
        fields["course_id"] = (await new_course(admin, type=course_type))["id"]
    body = {
        "provider": "潘集区职业技能培训中心",
        "township_code": QIJI,
        "start_date": on(10),
        "end_date": on(-10),
        "capacity": 20,
        **fields,
    }
    r = await admin.post("/api/v1/training/sessions", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def enrol(cw: AsyncClient, session_id: int, worker_id: int) -> Response:
    """Enrol a worker in a training session as ``cw``; the raw response."""
    return await cw.post(
        f"/api/v1/training/sessions/{session_id}/enrolments", json={"worker_id": worker_id}
    )


# Workers, households and visits: IDs with a given ending, audit entries, visits.


def ago(**delta: float) -> str:
    """The UTC instant ``delta`` (hours=…, minutes=…) before now, as ISO 8601 with ``Z``."""
    from datetime import UTC, datetime, timedelta

    moment = datetime.now(UTC) - timedelta(**delta)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def id_number_ending_in(
    check: str, *, born: str = "19900101", area: str = "340406", seq_from: int = 0
) -> str:
    """A valid resident ID number whose check character is ``check`` (e.g. "X")."""
    for seq in range(seq_from, 1000):
        body = f"{area}{born}{seq:03d}"
        if resident_id_check_char(body) == check:
            return body + check
    raise AssertionError(f"no sequence from {seq_from} gives the check character {check}")


async def audit_entries(
    session: AsyncSession,
    *,
    action: str | None = None,
    resource_type: str | None = None,
    resource_id: object = None,
) -> list[Any]:
    """The audit entries that match, oldest first (the read is ended at once, as in
    ``count_rows``)."""
    from sqlalchemy import select
    from sqlmodel import col

    from app.models import AuditEntry

    stmt = select(AuditEntry).order_by(col(AuditEntry.id))
    if action is not None:
        stmt = stmt.where(col(AuditEntry.action) == action)
    if resource_type is not None:
        stmt = stmt.where(col(AuditEntry.resource_type) == resource_type)
    if resource_id is not None:
        stmt = stmt.where(col(AuditEntry.resource_id) == str(resource_id))
    entries = list((await session.scalars(stmt)).all())
    for entry in entries:  # detached, so the rollback does not expire what the test reads
        session.expunge(entry)
    await session.rollback()
    return entries


def visit_body(**fields: Any) -> dict[str, Any]:
    """A survey visit an hour ago at 许岗村, unless told otherwise."""
    return {
        "kind": "survey",
        "visited_at": ago(hours=1),
        "latitude": 32.7912,
        "longitude": 116.8651,
        "notes": "入户走访",
        **fields,
    }


async def new_visit(cw: AsyncClient, worker_id: int, **fields: Any) -> dict[str, Any]:
    """Record a visit to a worker as the caseworker ``cw``."""
    r = await cw.post(f"/api/v1/workers/{worker_id}/visits", json=visit_body(**fields))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


# Subsidy policies and claims, made through the API.


def policy_body(rule: str, /, **overrides: Any) -> dict[str, Any]:
    """The programme's default policy of ``rule`` (its code the rule's name) for all of 潘集区,
    in force since 2020, with ``overrides``."""
    from app.services.subsidy_policies import DEFAULTS

    [default] = [d for d in DEFAULTS if d["rule"] == rule]
    return {**default, "region_code": DISTRICT, "valid_from": "2020-01-01", **overrides}


async def new_policy(admin: AsyncClient, rule: str, /, **overrides: Any) -> dict[str, Any]:
    """Add a subsidy policy as ``admin`` (see :func:`policy_body`)."""
    r = await admin.post("/api/v1/subsidy-policies", json=policy_body(rule, **overrides))
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def month(months_ago: int) -> str:
    """The first day of the month ``months_ago`` months before this one (UTC), ISO."""
    from datetime import UTC, date, datetime

    today = datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 - months_ago
    return date(index // 12, index % 12 + 1, 1).isoformat()


@dataclass
class Hired(Referred):
    """A :class:`Referred` worker whom the employer hired: ``employment`` is confirmed."""

    employment: dict[str, Any]


async def hired(
    factory: Factory,
    *,
    days_ago: int = 250,
    kind: EmployerKind = EmployerKind.workshop,
    worker: dict[str, Any] | None = None,
) -> Hired:
    """A worker of 许岗村 hired ``days_ago`` days ago through a referral by a fresh employer of
    ``kind``: the employment is confirmed by the employer."""
    employer, boss = await employer_user(factory, kind=kind)
    cw = await factory.as_role("caseworker")
    posted = await new_vacancy(boss)
    person = await new_worker(cw, **(worker or {}))
    referral = await refer(cw, person["id"], posted["id"])
    await factory.backdate(worker_id=person["id"], referral_id=referral["id"], days=days_ago)
    r = await hire(boss, referral["id"], start_date=on(days_ago))
    assert r.status_code == 200, r.text
    job = await boss.get(f"/api/v1/employments/{r.json()['employment_id']}")
    assert job.status_code == 200, job.text
    return Hired(employer, boss, cw, person, posted, referral, job.json())


def claim_body(job: Hired, policy_code: str = "on_job_training", **fields: Any) -> dict[str, Any]:
    """A claim of ``policy_code`` on ``job``'s employment: on-the-job training for the six
    months before this one unless told."""
    return {
        "policy_code": policy_code,
        "worker_id": job.worker["id"],
        "employment_id": job.employment["id"],
        "period_start": month(6),
        "period_end": month(1),
        **fields,
    }


async def file_claim(c: AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    """File a claim (a draft) as ``c``."""
    r = await c.post("/api/v1/claims", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def move_claim(c: AsyncClient, claim_id: int, action: str, **body: Any) -> dict[str, Any]:
    """``action`` (submit, approve, reject, return, objections, pay) on a claim as ``c``."""
    r = await c.post(f"/api/v1/claims/{claim_id}/{action}", json=body or None)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def approve_stages(admins: list[AsyncClient], claim_id: int) -> dict[str, Any]:
    """Each admin in turn approves the claim's next review stage; the claim as the last left
    it."""
    claim: dict[str, Any] = {}
    for admin in admins:
        claim = await move_claim(admin, claim_id, "approve")
    return claim


def pick(data: dict[str, Any], *keys: str) -> tuple[Any, ...]:
    """The values of ``keys`` in ``data``, to check several fields in one assert."""
    return tuple(data[key] for key in keys)


async def draft_claim_attachments(factory: Factory) -> tuple[AsyncClient, str]:
    """An employer's client and the attachments URL of its draft on-the-job-training claim."""
    await new_policy(await factory.as_role("admin"), "on_job_training")
    job = await hired(factory)
    claim = await file_claim(job.boss, claim_body(job))
    return job.boss, f"/api/v1/claims/{claim['id']}/attachments"
