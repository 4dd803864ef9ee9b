from tests.factories import Factory, new_worker


async def test_register_read_list_update_delete(factory: Factory) -> None:
    cw = await factory.as_role("caseworker")
    w = await new_worker(cw, phone="13812345678", skills=["sewing", "sewing"])
    assert w["skills"] == ["sewing"]
    assert w["sex"] == "male"
    r = await cw.get(f"/api/v1/workers/{w['id']}")
    assert r.status_code == 200, r.text
    assert r.json()["id_number"] != w["id_number"]
    assert r.json()["id_number"].endswith(w["id_number"][-4:])
    assert "*" in w["id_number"]
    lst = await cw.get("/api/v1/workers")
    assert lst.status_code == 200, lst.text
    assert lst.json()["items"][0]["id_number"].count("*") == 8
    p = await cw.patch(
        f"/api/v1/workers/{w['id']}",
        json={"employment_status": "employed"},
        headers={"If-Match": r.headers["ETag"]},
    )
    assert p.status_code == 200, p.text
    s = await cw.get("/api/v1/workers", params={"updated_since": "2020-01-01T00:00:00Z"})
    assert s.status_code == 200, s.text
    assert s.json()["sync_token"]
    f = await cw.get("/api/v1/workers", params={"skill": "sewing", "name": "王"})
    assert len(f.json()["items"]) == 1, f.text
    t = await cw.get(f"/api/v1/workers/{w['id']}/timeline")
    assert t.status_code == 200, t.text
    v = await cw.post(
        f"/api/v1/workers/{w['id']}/visits",
        json={
            "kind": "survey",
            "visited_at": "2026-11-20T08:00:00Z",
            "latitude": 32.8,
            "longitude": 116.8,
            "status_changes": {"employment_status": "unemployed"},
        },
    )
    assert v.status_code == 201, v.text
    admin = await factory.as_role("admin", region="340406")
    d = await admin.delete(f"/api/v1/workers/{w['id']}")
    assert d.status_code == 204, d.text
