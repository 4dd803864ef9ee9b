from datetime import date

from tests.factories import Factory, new_worker


async def test_overview_breakdown_and_report(factory: Factory) -> None:
    admin = await factory.as_role("admin", region="340406")
    cw = await factory.as_role("caseworker")
    await new_worker(cw)
    w2 = await new_worker(cw)
    r = await cw.post(
        "/api/v1/employments",
        json={
            "worker_id": w2["id"],
            "kind": "self_employed",
            "start_date": date.today().isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    t = await admin.post(
        "/api/v1/targets",
        json={
            "region_code": "340406",
            "year": date.today().year,
            "metric": "training",
            "value": 100,
        },
    )
    assert t.status_code == 201, t.text
    o = await admin.get("/api/v1/stats/overview")
    assert o.status_code == 200, o.text
    figures = {i["key"]: i for i in o.json()["indicators"]}
    assert figures["registered_workers"]["numerator"] == 2
    assert figures["assisted"]["numerator"] == 1
    assert figures["assistance_rate"]["value"] == 0.5
    assert figures["training_target"]["denominator"] == 100
    for by in ("township", "month", "policy", "employer_kind"):
        b = await admin.get("/api/v1/stats/breakdown", params={"by": by})
        assert b.status_code == 200, (by, b.text)
    x = await admin.get("/api/v1/stats/overview.xlsx")
    assert x.status_code == 200, x.text
    assert x.content[:2] == b"PK"
    assert (
        await cw.get("/api/v1/stats/overview", params={"region": "340406100"})
    ).status_code == 404
