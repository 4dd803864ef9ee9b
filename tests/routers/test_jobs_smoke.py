from datetime import date

from tests.factories import Factory, new_worker


async def test_post_refer_hire_follow_up(factory: Factory) -> None:
    employer = await factory.employer()
    boss = await factory.as_role("employer", employer_id=employer.id)
    cw = await factory.as_role("caseworker")
    w = await new_worker(
        cw, skills=["sewing"], job_wishes=["garment"], work_location_wish="in_county"
    )
    v = await boss.post(
        "/api/v1/vacancies",
        json={
            "title": "缝纫工",
            "job_type": "garment",
            "required_skills": ["sewing"],
            "openings": 1,
            "wage_min_fen": 300000,
            "wage_max_fen": 450000,
            "work_region_code": "340406107201",
        },
    )
    assert v.status_code == 201, v.text
    m = await cw.get(f"/api/v1/workers/{w['id']}/matches")
    assert m.status_code == 200, m.text
    assert m.json()["items"][0]["score"] > 0, m.text
    c = await cw.get(f"/api/v1/vacancies/{v.json()['id']}/candidates")
    assert c.status_code == 200, c.text
    assert c.json()["items"][0]["worker"]["id"] == w["id"], c.text
    r = await cw.post(
        "/api/v1/referrals", json={"worker_id": w["id"], "vacancy_id": v.json()["id"]}
    )
    assert r.status_code == 201, r.text
    seen = await boss.get("/api/v1/referrals")
    assert seen.json()["items"][0]["worker"]["id_number"].count("*") == 8, seen.text
    h = await boss.post(
        f"/api/v1/referrals/{r.json()['id']}/hire",
        json={"start_date": date.today().isoformat(), "monthly_wage_fen": 380000},
    )
    assert h.status_code == 200, h.text
    assert (await cw.get(f"/api/v1/workers/{w['id']}")).json()["employment_status"] == "employed"
    assert (await boss.get(f"/api/v1/vacancies/{v.json()['id']}")).json()["status"] == "filled"
    f = await cw.get("/api/v1/follow-ups")
    assert len(f.json()["items"]) == 4, f.text
    done = await cw.post(
        f"/api/v1/follow-ups/{f.json()['items'][0]['id']}",
        json={"still_employed": False, "end_reason": "resigned"},
    )
    assert done.status_code == 200, done.text
    assert (await cw.get(f"/api/v1/workers/{w['id']}")).json()["employment_status"] == "unemployed"
    ev = await cw.post(
        "/api/v1/recruitment-events",
        json={
            "name": "春风行动",
            "campaign": "spring_breeze",
            "date": "2026-03-01",
            "place": "祁集镇",
            "region_code": "340406107",
            "vacancy_ids": [v.json()["id"]],
        },
    )
    assert ev.status_code == 201, ev.text
    t = await cw.get(f"/api/v1/workers/{w['id']}/timeline")
    assert t.status_code == 200
