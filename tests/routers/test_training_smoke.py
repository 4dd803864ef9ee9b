import asyncio
from datetime import date, timedelta

from tests.factories import Factory, new_household, new_worker


async def test_course_session_enrol_attend_complete(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    cw = await factory.as_role("caseworker")
    course = await admin.post(
        "/api/v1/training/courses", json={"type": "pastry", "name": "中式面点", "hours": 80}
    )
    assert course.status_code == 201, course.text
    today = date.today()
    s = await admin.post(
        "/api/v1/training/sessions",
        json={
            "course_id": course.json()["id"],
            "provider": "潘集区职业技能培训中心",
            "township_code": "340406107",
            "start_date": (today - timedelta(days=3)).isoformat(),
            "end_date": (today + timedelta(days=10)).isoformat(),
            "capacity": 20,
        },
    )
    assert s.status_code == 201, s.text
    sid = s.json()["id"]
    household = await new_household(cw)
    people = [
        await new_worker(cw, household_id=household["id"], training_wishes=["pastry"])
        for _ in range(25)
    ]
    sug = await cw.get(f"/api/v1/training/sessions/{sid}/suggested-workers", params={"limit": 200})
    assert len(sug.json()["items"]) == 25, sug.text
    results = await asyncio.gather(
        *(
            cw.post(f"/api/v1/training/sessions/{sid}/enrolments", json={"worker_id": p["id"]})
            for p in people
        )
    )
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 20, [r.text for r in results if r.status_code != 201][:2]
    assert codes.count(409) == 5
    enrolment = next(r.json() for r in results if r.status_code == 201)
    a = await cw.post(
        f"/api/v1/training/enrolments/{enrolment['id']}/attendance", json={"day": today.isoformat()}
    )
    assert a.status_code == 200, a.text
    assert a.json()["attendance_days"] == 1
    c = await cw.post(
        f"/api/v1/training/enrolments/{enrolment['id']}/complete",
        json={"certificate_number": "CERT-0001"},
    )
    assert c.status_code == 200, c.text
    w = await cw.get(f"/api/v1/workers/{enrolment['worker_id']}")
    assert "pastry" in w.json()["skills"]
    assert w.json()["employment_status"] == "unemployed"
    employer = await factory.as_role("employer")
    assert (await employer.get("/api/v1/training/sessions")).status_code == 403
