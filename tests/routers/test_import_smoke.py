from tests.factories import Factory, resident_id


async def test_import_gbk_csv(factory: Factory) -> None:
    cw = await factory.as_role("caseworker")
    good = resident_id(9002)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    rows = [
        "户编号,姓名,身份证号,联系电话,行政区划代码,就业状态,技能,是否有劳动能力",
        f"HH9001,张三,{resident_id(9001)},13812345678,340406107201,未就业,缝纫、家政,是",
        f"HH9001,李四,{bad},,340406107201,未就业,,是",
        f"HH9002,王五,{resident_id(9003)},,340406107201,已就业,面点,是",
    ]
    content = ("\r\n".join(rows) + "\r\n").encode("gb18030")
    r = await cw.post("/api/v1/workers/import", files={"file": ("reg.csv", content, "text/csv")})
    assert r.status_code == 200, r.text
    body = r.json()
    print(body)
    assert (body["created"], body["failed"]) == (2, 1)
    again = await cw.post(
        "/api/v1/workers/import", files={"file": ("reg.csv", content, "text/csv")}
    )
    assert again.json()["unchanged"] == 2, again.text
    png = await cw.post(
        "/api/v1/workers/import",
        files={"file": ("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "text/csv")},
    )
    assert png.status_code == 415, png.text
