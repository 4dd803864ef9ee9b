"""Made-up households and labourers of 祁集镇 (and one of 平圩镇, outside the demo caseworker's
scope), and a vacancy of the demo workshop: enough for the phone app's screens to show
something on first start. Registered through the services, so they are audited and synced
like any record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.identifiers import resident_id_check_char
from app.models import Role, User
from app.scope import Actor
from app.services import households, regions, vacancies, workers

# (household number, village, poverty status, causes, its people); a person is
# (name, birth date, sequence — odd for a man —, phone, skills, training wish, job wish, status)
HOUSEHOLDS: list[tuple[str, str, str, list[str], list[tuple[Any, ...]]]] = [
    ("3404061072010001", "340406107201", "in_poverty", ["lack_of_skills"], [
        ("许桂英", "19780312", 24, "13856001201", ["sewing"], ["pastry"], ["garment"],
         "unemployed"),
        ("许大明", "19760805", 13, "13856001202", ["construction"], [], ["construction"],
         "employed"),
    ]),
    ("3404061072010002", "340406107201", "monitored", ["illness"], [
        ("王秀兰", "19850120", 42, "13956001203", [], ["housekeeping"], ["housekeeping"],
         "unemployed"),
    ]),
    ("3404061072020003", "340406107202", "lifted", ["lack_of_labour"], [
        ("祁建国", "19700611", 31, "15856001204", ["agriculture"], [], ["agriculture"],
         "self_employed"),
        ("祁小燕", "19960909", 58, "15856001205", [], ["childcare"], ["childcare"],
         "in_training"),
    ]),
    ("3404061072030004", "340406107203", "in_poverty", ["disability"], [
        ("郑伟", "19881101", 77, None, ["handicraft"], ["e_commerce"], ["e_commerce"],
         "unemployed"),
    ]),
    ("3404061002010005", "340406100201", "in_poverty", ["education_costs"], [
        ("马红梅", "19820214", 64, "18756001207", ["sewing"], [], ["garment"], "unemployed"),
    ]),
]  # fmt: skip


def _id_number(born: str, sequence: int) -> str:
    body = f"340406{born}{sequence:03d}"
    return body + resident_id_check_char(body)


@dataclass(frozen=True)
class DemoPeople:
    workers: dict[str, int]  # full name → worker id
    vacancy_id: int


async def actor_of(session: AsyncSession, user: User) -> Actor:
    """``user`` acting, as their signed-in requests would."""
    region = await regions.get(session, code=user.region_code) if user.region_code else None
    assert user.id is not None
    return Actor(
        id=user.id,
        username=user.username,
        role=Role(user.role),
        region_code=user.region_code,
        region_path=region.path if region else None,
        employer_id=user.employer_id,
        session_id="demo-seed",
        region_level=region.level if region else None,
    )


async def seed(session: AsyncSession, *, admin: User, employer: User) -> DemoPeople:
    """Register the demo people as the admin and post the workshop's vacancy."""
    registrar = await actor_of(session, admin)
    ids: dict[str, int] = {}
    for number, village, status, causes, people in HOUSEHOLDS:
        home = await households.insert(
            session,
            actor=registrar,
            data={"household_number": number, "region_code": village,
                  "poverty_status": status, "poverty_causes": causes},
        )  # fmt: skip
        for name, born, sequence, phone, skills, wishes, jobs, employment in people:
            worker = await workers.insert(
                session,
                actor=registrar,
                data={"household_id": home.id, "full_name": name,
                      "id_number": _id_number(born, sequence), "phone": phone,
                      "region_code": village, "skills": skills, "training_wishes": wishes,
                      "job_wishes": jobs, "employment_status": employment,
                      "able_to_work": True, "work_location_wish": "local"},
            )  # fmt: skip
            assert worker.id is not None
            ids[name] = worker.id
    vacancy = await vacancies.create(
        session,
        actor=await actor_of(session, employer),
        data={"title": "缝纫工", "job_type": "garment", "required_skills": ["sewing"],
              "description": "扶贫车间服装加工，计件加底薪，可照顾家庭。", "openings": 5,
              "wage_min_fen": 250_000, "wage_max_fen": 400_000,
              "work_region_code": "340406107201", "housing_offered": False,
              "disability_friendly": True},
    )  # fmt: skip
    assert vacancy.id is not None
    return DemoPeople(workers=ids, vacancy_id=vacancy.id)
