"""Errors a phone can show: a caseworker reading Chinese gets Chinese titles, details and field
messages, the same stable codes and types as in English, the advice the situation needs, never a
regular expression and never the value they typed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from httpx import AsyncClient

from app.errors.family import AppError
from app.errors.language import Language, negotiate
from app.models import EmployerKind
from tests.factories import (
    Factory,
    credit_code,
    hired,
    new_household,
    new_policy,
    new_worker,
    problem,
    resident_id,
)

WORKERS = "/api/v1/workers"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
CJK = re.compile(r"[\u4e00-\u9fff]")
# Three English words in a row is an English sentence (a code such as ETag or CSV is not).
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[\s,]+[A-Za-z]{2,}){2,}\b")


def assert_chinese(body: dict[str, Any]) -> None:
    texts = [body["title"], body["detail"], *(e["message"] for e in body.get("errors") or [])]
    for text in texts:
        assert CJK.search(text), (text, body)
        assert not ENGLISH_RUN.search(text), (text, body)


def shape(body: dict[str, Any]) -> tuple[Any, ...]:
    """What a client's code reads: the same in every language."""
    fields = sorted((e["field"], e["type"]) for e in body.get("errors") or [])
    return body["status"], body["code"], body["type"], fields


class TestTheLanguageIsNegotiated:
    @pytest.mark.parametrize(
        ("header", "language"),
        [
            (None, Language.en),
            ("", Language.en),
            ("zh-CN", Language.zh),
            ("zh", Language.zh),
            ("zh-Hans-CN", Language.zh),
            ("zh-TW", Language.zh),
            ("ZH-cn", Language.zh),
            ("zh-CN,zh;q=0.9,en;q=0.8", Language.zh),
            ("en;q=0.9, zh;q=0.8", Language.en),
            ("zh;q=0.8, en;q=0.9", Language.en),
            ("en-US,en;q=0.9,zh-CN;q=0.8", Language.en),
            ("fr, zh;q=0.5", Language.zh),
            ("zh;q=0, en", Language.en),
            ("zh;q=0", Language.en),
            ("zh;q=banana", Language.en),
            ("*", Language.en),
            ("de-DE", Language.en),
        ],
    )
    def test_the_highest_weighted_language_we_write_wins(
        self, header: str | None, language: Language
    ) -> None:
        assert negotiate(header) is language


class TestProblemsInChinese:
    async def test_a_missing_worker_reads_in_chinese_with_the_same_code(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        zh = await cw.get(f"{WORKERS}/987654", headers=ZH)
        en = await cw.get(f"{WORKERS}/987654", headers=EN)
        chinese, english = (
            problem(zh, 404, "worker_not_found"),
            problem(en, 404, "worker_not_found"),
        )
        assert_chinese(chinese)
        assert not CJK.search(english["title"] + english["detail"])
        assert (zh.headers["content-language"], en.headers["content-language"]) == ("zh-CN", "en")
        for response in (zh, en):
            assert "accept-language" in response.headers["vary"].lower()

    async def test_every_status_a_caseworker_can_meet_reads_in_chinese(
        self, factory: Factory
    ) -> None:
        """One representative answer of every client-error status, asked for in both
        languages: the Chinese one has no English sentence, and both carry the same code,
        field locations and types."""
        cw = await factory.as_role("caseworker")
        auditor = await factory.as_role("auditor")
        worker = await new_worker(cw)
        url = f"{WORKERS}/{worker['id']}"
        await cw.patch(url, json={"notes": "第一次"}, headers={"If-Match": '"1"'})
        household = (await new_household(cw))["id"]
        taken = {"household_id": household, "full_name": "李四",
                 "region_code": worker["region_code"], "id_number": resident_id(1)}  # fmt: skip
        await cw.post(WORKERS, json=taken)
        asks: list[tuple[int, str, AsyncClient, str, str, dict[str, Any]]] = [
            (401, "unauthorized", factory.client(), "GET", WORKERS, {}),
            (403, "forbidden", auditor, "POST", WORKERS, {"json": taken}),
            (404, "worker_not_found", cw, "GET", f"{WORKERS}/987654", {}),
            (405, "method_not_allowed", cw, "PUT", url, {"json": {}}),
            (409, "duplicate_id_number", cw, "POST", WORKERS, {"json": taken}),
            (412, "version_mismatch", cw, "PATCH", url,
             {"json": {"notes": "第二次"}, "headers": {"If-Match": '"1"'}}),
            (413, "payload_too_large", cw, "POST", WORKERS,
             {"content": b'{"notes": "' + b"x" * 3_000_000 + b'"}',
              "headers": {"Content-Type": "application/json"}}),
            (415, "not_a_spreadsheet", cw, "POST", f"{WORKERS}/import",
             {"files": {"file": ("名册.xlsx", b"%PDF-1.4 not a sheet", "application/pdf")}}),
            (422, "validation_failed", cw, "POST", WORKERS, {"json": {"full_name": ""}}),
            (422, "unknown_reference", cw, "POST", WORKERS,
             {"json": {**taken, "household_id": 987654, "id_number": resident_id(2)}}),
            (428, "if_match_required", cw, "PATCH", url, {"json": {"notes": "无版本"}}),
        ]  # fmt: skip
        for status, code, client, method, path, kw in asks:
            extra_headers = kw.pop("headers", {})
            zh = await client.request(method, path, headers={**ZH, **extra_headers}, **kw)
            en = await client.request(method, path, headers={**EN, **extra_headers}, **kw)
            chinese, english = problem(zh, status, code), problem(en, status, code)
            assert_chinese(chinese)
            assert shape(chinese) == shape(english)
            assert zh.headers["content-language"] == "zh-CN"

    async def test_an_empty_region_tree_is_not_a_missing_worker(self, factory: Factory) -> None:
        """A region code that does not exist, named in a query: the same code either way."""
        cw = await factory.as_role("caseworker")
        r = await cw.get("/api/v1/regions/340406999999", headers=ZH)
        assert_chinese(problem(r, 404, "region_not_found"))


def errors_by_field(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["field"]: e for e in body["errors"]}


class TestFieldMessages:
    async def test_pydantic_messages_name_the_field_in_chinese(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        body = {"full_name": "", "household_id": "一号", "region_code": "12", "hobby": "钓鱼",
                "id_number": resident_id(3), "birthday": 5}  # fmt: skip
        r = await cw.post(WORKERS, json=body, headers=ZH)
        found = errors_by_field(problem(r, 422, "validation_failed"))
        assert_chinese(problem(r, 422, "validation_failed"))
        assert found["body.full_name"]["type"] == "string_too_short"
        assert "姓名" in found["body.full_name"]["message"]
        assert found["body.household_id"]["type"] == "int_parsing"
        assert "家庭户" in found["body.household_id"]["message"]
        assert found["body.region_code"]["type"] == "string_pattern_mismatch"
        assert "行政区划代码" in found["body.region_code"]["message"]
        assert found["body.hobby"]["type"] == "extra_forbidden"

    async def test_a_pattern_never_reaches_the_reader_in_either_language(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        for headers in (ZH, EN):
            r = await cw.get(WORKERS, params={"region": "12a", "id_suffix": "1"}, headers=headers)
            body = problem(r, 422, "validation_failed")
            messages = " ".join(e["message"] for e in body["errors"])
            assert "pattern" not in messages.lower(), messages
            assert "^" not in messages, messages
            assert "\\d" not in r.text, r.text
            assert "[0-9" not in r.text, r.text
        english = errors_by_field(problem(r, 422, "validation_failed"))
        assert english["query.region"]["message"] == (
            "has the wrong format; expected a division code of 6 to 12 digits"
        )

    async def test_what_was_typed_is_never_repeated(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        typed = {"full_name": "张" * 300, "id_number": "34040619850312ABCD", "phone": "1380013800"}
        for headers in (ZH, EN):
            r = await cw.post(WORKERS, json={"household_id": 1, "region_code": "340406", **typed},
                              headers=headers)  # fmt: skip
            problem(r, 422, "validation_failed")
            for value in typed.values():
                assert value not in r.text

    async def test_unreadable_json_names_the_body_and_the_position(self, factory: Factory) -> None:
        cw = await factory.as_role("caseworker")
        raw = b'{"full_name": "\xe7\x8e\x8b\xe4\xba\x94", "a": 1,,}'
        for headers in (ZH, EN):
            r = await cw.post(
                WORKERS, content=raw, headers={**headers, "Content-Type": "application/json"}
            )
            [error] = problem(r, 422, "validation_failed")["errors"]
            assert (error["field"], error["type"]) == ("body", "json_invalid")
            assert isinstance(error["position"], int)
            assert 0 < error["position"] <= len(raw)

    async def test_a_body_that_cannot_be_read_at_all_is_explained_in_chinese(
        self, factory: Factory
    ) -> None:
        cw = await factory.as_role("caseworker")
        raw = b'{"full_name": "\xff\xfe"}'  # not UTF-8: the framework cannot read it
        r = await cw.post(WORKERS, content=raw, headers={**ZH, "Content-Type": "application/json"})
        body = r.json()
        [error] = problem(r, 422, "validation_failed")["errors"]
        assert (error["field"], error["type"]) == ("body", "body_unreadable")
        assert_chinese(body)


def _mistyped(number: str) -> str:
    """``number`` with its check character wrong."""
    return number[:17] + ("1" if number[17] == "0" else "0")


def _id_with(body17: str) -> str:
    from app.identifiers import resident_id_check_char

    return body17 + resident_id_check_char(body17)


class TestIdentifiersSayWhatIsWrong:
    @pytest.mark.parametrize(
        ("number", "kind"),
        [
            ("34040619850312001", "id_number_length"),
            (_mistyped(resident_id(4)), "id_number_checksum"),
            (_id_with("34040619851332001"), "id_number_birth_date"),
            (_id_with("34040621000101001"), "id_number_birth_date"),
            (_id_with("04040619850312001"), "id_number_division"),
            ("3404061985031200A1", "id_number_characters"),
        ],
    )  # fmt: skip
    async def test_a_resident_id_number(self, factory: Factory, number: str, kind: str) -> None:
        cw = await factory.as_role("caseworker")
        household = (await new_household(cw))["id"]
        body = {"household_id": household, "full_name": "赵六", "region_code": "340406",
                "id_number": number}  # fmt: skip
        zh = await cw.post(WORKERS, json=body, headers=ZH)
        en = await cw.post(WORKERS, json=body, headers=EN)
        [chinese] = problem(zh, 422, "validation_failed")["errors"]
        [english] = problem(en, 422, "validation_failed")["errors"]
        assert chinese["type"] == english["type"] == kind
        assert "身份证号" in chinese["message"]
        assert number not in zh.text + en.text

    @pytest.mark.parametrize(
        ("mobile", "kind"),
        [("1380013800", "mobile_length"), ("1380013800a", "mobile_digits"),
         ("12800138000", "mobile_prefix")],
    )  # fmt: skip
    async def test_a_mobile_number(self, factory: Factory, mobile: str, kind: str) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        r = await cw.patch(f"{WORKERS}/{worker['id']}", json={"phone": mobile},
                           headers={**ZH, "If-Match": '"1"'})  # fmt: skip
        [error] = problem(r, 422, "validation_failed")["errors"]
        assert (error["field"], error["type"]) == ("body.phone", kind)
        assert "手机号" in error["message"]

    @pytest.mark.parametrize(
        ("code", "kind"),
        [(credit_code(7)[:17], "credit_code_length"),
         (credit_code(7)[:16] + "I" + credit_code(7)[17], "credit_code_characters"),
         (_mistyped(credit_code(7)), "credit_code_checksum")],
    )  # fmt: skip
    async def test_a_credit_code(self, factory: Factory, code: str, kind: str) -> None:
        admin = await factory.as_role("admin")
        body = {"name": "潘集区某某公司", "credit_code": code, "kind": "enterprise",
                "region_code": "340406"}  # fmt: skip
        r = await admin.post("/api/v1/employers", json=body, headers=ZH)
        [error] = problem(r, 422, "validation_failed")["errors"]
        assert (error["field"], error["type"]) == ("body.credit_code", kind)
        assert "统一社会信用代码" in error["message"]


def _subclasses() -> list[type[AppError]]:
    import app.main  # noqa: F401  (every service module, so every error class)

    found, todo = [], [AppError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


class TestExtensionsAreTypedAndDocumented:
    async def test_a_stale_edit_answers_the_documented_version_mismatch(
        self, factory: Factory, client: AsyncClient
    ) -> None:
        cw = await factory.as_role("caseworker")
        worker = await new_worker(cw)
        url = f"{WORKERS}/{worker['id']}"
        await cw.patch(url, json={"notes": "第一次"}, headers={"If-Match": '"1"'})
        r = await cw.patch(url, json={"notes": "第二次"}, headers={**ZH, "If-Match": '"1"'})
        body = problem(r, 412, "version_mismatch")
        document = (await client.get("/openapi.json")).json()
        schema = await documented(document, "updateWorker", "412")
        assert "VersionMismatchProblem" in schema
        conforms(document, "VersionMismatchProblem", body)
        assert (body["current_version"], body["differing_fields"]) == (2, ["notes"])

    async def test_a_duplicate_worker_answers_the_documented_conflict(
        self, factory: Factory, client: AsyncClient
    ) -> None:
        cw = await factory.as_role("caseworker")
        number = resident_id(5)
        worker = await new_worker(cw, id_number=number)
        household = (await new_household(cw))["id"]
        again = {"household_id": household, "full_name": "李四",
                 "region_code": worker["region_code"], "id_number": number}  # fmt: skip
        body = problem(await cw.post(WORKERS, json=again), 409, "duplicate_id_number")
        document = (await client.get("/openapi.json")).json()
        assert "DuplicateWorkerProblem" in await documented(document, "createWorker", "409")
        conforms(document, "DuplicateWorkerProblem", body)
        assert body["existing_worker_id"] == worker["id"]

    async def test_an_ineligible_claim_answers_the_documented_reasons(
        self, factory: Factory, client: AsyncClient
    ) -> None:
        admin = await factory.as_role("admin")
        await new_policy(admin, "workshop_absorption")
        job = await hired(factory, days_ago=200, kind=EmployerKind.enterprise)
        claim = {"policy_code": "workshop_absorption", "worker_id": job.worker["id"],
                 "employment_id": job.employment["id"]}  # fmt: skip
        r = await job.boss.post("/api/v1/claims", json=claim, headers=ZH)
        body = problem(r, 422, "claim_ineligible")
        assert_chinese(body)
        document = (await client.get("/openapi.json")).json()
        for operation in ("createClaim", "submitClaim"):
            assert "ClaimIneligibleProblem" in await documented(document, operation, "422")
        assert "DuplicateClaimProblem" in await documented(document, "createClaim", "409")
        conforms(document, "ClaimIneligibleProblem", body)
        assert body["reasons"]
        for reason in body["reasons"]:  # the conditions unmet, in Chinese too
            assert CJK.search(reason), reason
            assert not ENGLISH_RUN.search(reason), reason
        english = (await job.boss.post("/api/v1/claims", json=claim, headers=EN)).json()
        assert len(english["reasons"]) == len(body["reasons"])

    async def test_every_edit_with_if_match_documents_the_version_mismatch(
        self, client: AsyncClient
    ) -> None:
        document = (await client.get("/openapi.json")).json()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                answer = operation.get("responses", {}).get("412")
                if answer is not None:
                    schema = answer["content"]["application/problem+json"]["schema"]
                    assert "VersionMismatchProblem" in str(schema), (method, path)

    def test_every_class_with_extension_fields_names_a_problem_subschema(self) -> None:
        for cls in _subclasses():
            fields = set(cls.problem.model_fields)
            assert {"code", "detail", "title", "status"} <= fields, cls


async def documented(document: dict[str, Any], operation_id: str, status: str) -> str:
    for operations in document["paths"].values():
        for operation in operations.values():
            if operation.get("operationId") == operation_id:
                schema = operation["responses"][status]["content"]["application/problem+json"]
                return str(schema["schema"])
    raise AssertionError(f"no operation {operation_id}")


def conforms(document: dict[str, Any], name: str, body: dict[str, Any]) -> None:
    """The answer holds the schema's required fields and no field the schema does not name,
    each of the JSON type it declares."""
    schema = document["components"]["schemas"][name]
    properties = schema["properties"]
    assert set(schema.get("required", [])) <= set(body), (name, body)
    assert set(body) <= set(properties), (name, set(body) - set(properties))
    kinds = {"string": str, "integer": int, "array": list, "object": dict}
    for key, value in body.items():
        declared = properties[key]
        options = declared.get("anyOf", [declared])
        allowed = tuple(kinds[o["type"]] for o in options if o.get("type") in kinds)
        if value is not None and allowed:
            assert isinstance(value, allowed), (key, value, declared)
