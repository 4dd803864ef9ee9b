"""Demo data: the district of 潘集区 (Huainan, Anhui), its townships and villages, the default
subsidy policies, a demo workshop, one user per role, a few households, labourers and a
vacancy (:mod:`app.services.demo_people`), and work in progress for every role — claims under
review, referrals, a hire's follow-ups (:mod:`app.services.demo_activity`). People in it are
made up; township and village codes are illustrative (the real ones: docs/divisions.md)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import commit
from app.identifiers import credit_code_check_char
from app.models import Employer, EmployerKind, RegionLevel, Role, User
from app.models.base import utcnow
from app.services import (
    demo_activity,
    demo_people,
    password_policy,
    regions,
    subsidy_policies,
    users,
)

DISTRICT = ("340406", "潘集区")
# township code → (name, [village names])
TOWNSHIPS: dict[str, tuple[str, list[str]]] = {
    "340406001": ("田集街道", ["田集社区", "谢圩村"]),
    "340406100": ("平圩镇", ["平圩村", "马岗村", "新华村"]),
    "340406101": ("泥河镇", ["泥河村", "曹岗村"]),
    "340406102": ("高皇镇", ["高皇村", "刘集村"]),
    "340406103": ("潘集镇", ["潘集村", "后湖村"]),
    "340406104": ("芦集镇", ["芦集村", "大郢村"]),
    "340406105": ("架河镇", ["架河村", "童圩村"]),
    "340406106": ("夹沟镇", ["夹沟村", "王圩村"]),
    "340406107": ("祁集镇", ["许岗村", "祁集村", "郑圩村"]),
    "340406108": ("贺疃镇", ["贺疃村", "邵圩村"]),
    "340406200": ("古沟回族乡", ["古沟村", "洪圩村"]),
}
QIJI, XUGANG = "340406107", "340406107201"
WORKSHOP_CREDIT_17 = "93340406MA2TQJ001"
WORKSHOP_NAME, WORKSHOP_CONTACT = "祁集镇许岗村扶贫车间", "许经理"
# username, full name, role, region (the employer user's scope is the workshop)
PEOPLE = (
    ("admin", "区就业局管理员", Role.admin, DISTRICT[0]),
    ("caseworker", "祁集镇就业专干", Role.caseworker, QIJI),
    ("employer", "许岗村扶贫车间负责人", Role.employer, None),
    ("auditor", "区财政审计员", Role.auditor, DISTRICT[0]),
)


@dataclass(frozen=True)
class DemoResult:
    created: bool
    password: str | None
    generated_password: bool


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(User))


async def seed(session: AsyncSession, *, password: str | None) -> DemoResult:
    """Seed the demo district and users into an empty database; a no-op otherwise."""
    if not await is_empty(session):
        return DemoResult(created=False, password=None, generated_password=False)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    # Before anything is written: a refused JOBPATH_DEMO_PASSWORD leaves the database empty.
    await password_policy.ensure_strong(
        password, texts=_demo_words(), field="JOBPATH_DEMO_PASSWORD"
    )
    await _regions(session)
    await subsidy_policies.install_defaults(session, region_code=DISTRICT[0])
    workshop = Employer(
        name=WORKSHOP_NAME,
        credit_code=WORKSHOP_CREDIT_17 + credit_code_check_char(WORKSHOP_CREDIT_17),
        kind=EmployerKind.workshop.value,
        region_code=XUGANG,
        contact_name=WORKSHOP_CONTACT,
        contact_phone="13900000000",
        address="淮南市潘集区祁集镇许岗村",
        verified=True,
        verified_at=utcnow(),
    )
    session.add(workshop)
    await commit(session)
    made = {
        username: await users.create(
            session,
            actor=None,
            username=username,
            full_name=full_name,
            role=role,
            password=password,
            region_code=region_code,
            employer_id=workshop.id if role is Role.employer else None,
        )
        for username, full_name, role, region_code in PEOPLE
    }
    people = await demo_people.seed(session, admin=made["admin"], employer=made["employer"])
    await demo_activity.seed(
        session, people=people, admin=made["admin"], caseworker=made["caseworker"],
        employer=made["employer"], qiji=QIJI,
    )  # fmt: skip
    return DemoResult(created=True, password=password, generated_password=generated)


def _demo_words() -> list[str]:
    """What every demo account could be guessed from: the people, their places, the workshop."""
    people = [text for username, full_name, *_ in PEOPLE for text in (username, full_name)]
    places = [*DISTRICT, QIJI, TOWNSHIPS[QIJI][0], XUGANG, TOWNSHIPS[QIJI][1][0]]
    return [*people, *places, WORKSHOP_NAME, WORKSHOP_CONTACT, WORKSHOP_CREDIT_17]


async def _regions(session: AsyncSession) -> None:
    await regions.create(
        session,
        actor=None,
        code=DISTRICT[0],
        name=DISTRICT[1],
        level=RegionLevel.district,
        parent_code=None,
    )
    for code, (name, villages) in TOWNSHIPS.items():
        await regions.create(
            session,
            actor=None,
            code=code,
            name=name,
            level=RegionLevel.township,
            parent_code=DISTRICT[0],
        )
        for n, village in enumerate(villages, start=201):
            await regions.create(
                session,
                actor=None,
                code=f"{code}{n:03d}",
                name=village,
                level=RegionLevel.village,
                parent_code=code,
            )
