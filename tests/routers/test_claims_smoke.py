from datetime import date, timedelta

from tests.factories import Factory, new_worker


async def test_employer_claims_on_job_training_through_review_and_payment(
    factory: Factory,
) -> None:
    root = await factory.as_role("admin")
    await root.post(
        "/api/v1/subsidy-policies",
        json={
            "code": "on_job_training",
            "name": "以工代训补贴",
            "rule": "on_job_training",
            "payee": "employer",
            "amount_fen": 50000,
            "unit": "per_month",
            "max_units": 6,
            "review_stages": ["township_check", "district_approval"],
            "notice_days": 0,
            "valid_from": "2025-01-01",
            "region_code": "340406",
        },
    )
    employer = await factory.employer()
    boss = await factory.as_role("employer", employer_id=employer.id)
    cw = await factory.as_role("caseworker")
    w = await new_worker(cw)
    v = await boss.post(
        "/api/v1/vacancies",
        json={
            "title": "缝纫工",
            "job_type": "garment",
            "openings": 1,
            "wage_min_fen": 300000,
            "work_region_code": "340406107201",
        },
    )
    r = await cw.post(
        "/api/v1/referrals", json={"worker_id": w["id"], "vacancy_id": v.json()["id"]}
    )
    start = (date.today() - timedelta(days=120)).replace(day=1)
    # The hire is months old: so are the worker and the referral.
    age = (date.today() - start).days
    await factory.backdate(worker_id=w["id"], referral_id=r.json()["id"], days=age)
    h = await boss.post(
        f"/api/v1/referrals/{r.json()['id']}/hire", json={"start_date": start.isoformat()}
    )
    assert h.status_code == 200, h.text
    employment_id = h.json()["employment_id"]
    last = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    body = {
        "policy_code": "on_job_training",
        "worker_id": w["id"],
        "employment_id": employment_id,
        "period_start": start.isoformat(),
        "period_end": last.isoformat(),
    }
    c = await boss.post("/api/v1/claims", json=body)
    assert c.status_code == 201, c.text
    claim = c.json()
    assert claim["amount_fen"] == 50000 * claim["units"]
    again = await boss.post("/api/v1/claims", json=body)
    assert again.status_code == 409, again.text
    assert (await boss.post(f"/api/v1/claims/{claim['id']}/submit")).status_code == 200
    a1 = await factory.as_role("admin")
    a2 = await factory.as_role("admin")
    assert (await a1.post(f"/api/v1/claims/{claim['id']}/approve")).status_code == 200
    same = await a1.post(f"/api/v1/claims/{claim['id']}/approve")
    assert same.status_code == 403, same.text
    ok = await a2.post(f"/api/v1/claims/{claim['id']}/approve")
    assert ok.json()["status"] == "approved", ok.text
    paid = await a1.post(f"/api/v1/claims/{claim['id']}/pay", json={"payment_reference": "PAY-1"})
    assert paid.status_code == 200, paid.text
    auditor = await factory.as_role("auditor", region="340406")
    d = await auditor.get(f"/api/v1/claims/{claim['id']}")
    assert d.status_code == 200, d.text
    assert d.json()["paid_amount_fen"] == claim["amount_fen"]
    hist = await auditor.get(f"/api/v1/claims/{claim['id']}/history")
    assert [e["action"] for e in hist.json()] == [
        "claim.create",
        "claim.submit",
        "claim.approve",
        "claim.approve",
        "claim.pay",
    ]
    exp = await auditor.get("/api/v1/claims/export")
    assert exp.status_code == 200, exp.text
    assert exp.content.startswith(b"\xef\xbb\xbf")
    x = await auditor.get("/api/v1/claims/export", params={"format": "xlsx"})
    assert x.status_code == 200
    assert x.content[:2] == b"PK"
    al = await auditor.get("/api/v1/audit/alerts")
    assert al.status_code == 200, al.text
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    up = await boss.post(
        f"/api/v1/claims/{claim['id']}/attachments", files={"file": ("a.png", png, "image/png")}
    )
    assert up.status_code == 409, up.text
    assert (await boss.get("/api/v1/claims/export")).status_code == 403
