"""The catalogue of problem codes is complete and written in both languages: a code raised
without a row fails here (statically) or at the end of the run (tests/problem_codes.py), and
docs/errors.md is what the catalogue generates."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from httpx import AsyncClient

from app.core.http_limits import BodyRefused
from app.errors import doc, fields, render
from app.errors.catalogue import CATALOGUE
from app.errors.family import AppError
from app.errors.labels import LABELS
from app.errors.shapes import Problem

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[\s,]+[A-Za-z]{2,}){2,}\b")


def error_classes() -> list[type[Any]]:
    import app.main  # noqa: F401  (every service module, so every error class)

    found: list[type[Any]] = []
    todo: list[type[Any]] = [AppError, BodyRefused]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "code" in vars(cls) or cls in (AppError,):
            found.append(cls)
    return found


def _class_codes(node: ast.ClassDef) -> list[ast.expr]:
    """The values a class body assigns to ``code`` (``code = …`` or ``status, code, … = …``)."""
    values = []
    for stmt in node.body:
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            if isinstance(target, ast.Name) and target.id == "code":
                values.append(stmt.value)
            elif isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple):
                names = [t.id if isinstance(t, ast.Name) else "" for t in target.elts]
                if "code" in names:
                    values.append(stmt.value.elts[names.index("code")])
    return values


def _call_codes(node: ast.Call) -> list[ast.expr]:
    name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
    return [k.value for k in node.keywords if k.arg == "code" and name == "problem_response"]


def literal_codes() -> set[tuple[str, str]]:
    """Every code written in app/: in an error class's body, or passed to problem_response."""
    found = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                values = _class_codes(node)
            elif isinstance(node, ast.Call):
                values = _call_codes(node)
            else:
                continue
            found |= {
                (str(path.relative_to(ROOT)), v.value)
                for v in values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            }
    return found


class TestEveryCodeIsCatalogued:
    def test_every_error_class_has_a_row_and_its_title_is_the_rows(self) -> None:
        classes = error_classes()
        assert len(classes) > 60
        for cls in classes:
            assert cls.code in CATALOGUE, f"{cls.__module__}.{cls.__name__}: {cls.code}"
            if issubclass(cls, AppError):
                assert cls.title == CATALOGUE[cls.code].title_en, cls
                assert cls.status == CATALOGUE[cls.code].status, cls

    def test_every_code_written_in_the_source_has_a_row(self) -> None:
        codes = literal_codes() | {("render", c) for c in render._HTTP_CODES.values()}
        assert len(codes) > 60
        assert sorted((where, code) for where, code in codes if code not in CATALOGUE) == []

    def test_every_row_is_written_in_both_languages(self) -> None:
        for code, entry in CATALOGUE.items():
            assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code
            assert 400 <= entry.status <= 599, code
            for english in (entry.title_en, entry.meaning_en, entry.action_en):
                assert english, code
                assert not CJK.search(english), (code, english)
            for chinese in (entry.title_zh, entry.detail_zh({}), entry.action_zh):
                assert CJK.search(chinese), (code, chinese)
                assert not ENGLISH_RUN.search(chinese), (code, chinese)

    def test_a_chinese_detail_is_filled_only_with_fields_its_answer_carries(self) -> None:
        by_code = {cls.code: cls for cls in error_classes() if issubclass(cls, AppError)}
        for code, entry in CATALOGUE.items():
            if not entry.placeholders():
                continue
            problem = by_code[code].problem
            extension = set(problem.model_fields) - set(Problem.model_fields)
            assert entry.placeholders() <= extension, (code, entry.placeholders(), problem)

    def test_every_field_error_type_has_a_chinese_message(self) -> None:
        for name, (english, chinese) in fields.TYPES.items():
            assert english, name
            assert not CJK.search(english), name
            assert CJK.search(chinese), name
            assert not ENGLISH_RUN.search(chinese), name


class TestTheDocument:
    def test_docs_errors_md_is_what_the_catalogue_generates(self) -> None:
        committed = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
        assert committed == doc.render(), (
            "docs/errors.md is stale: run `jobpath errors-doc --output docs/errors.md`"
        )

    async def test_the_problem_code_is_an_enum_of_the_catalogue(self, client: AsyncClient) -> None:
        document = (await client.get("/openapi.json")).json()
        schemas = document["components"]["schemas"]
        assert schemas["Problem"]["properties"]["code"]["enum"] == sorted(CATALOGUE)
        assert "position" in schemas["FieldError"]["properties"]

    async def test_every_request_field_and_parameter_has_a_chinese_label(
        self, client: AsyncClient
    ) -> None:
        document = (await client.get("/openapi.json")).json()
        names = set()
        for operations in document["paths"].values():
            for operation in operations.values():
                names |= {p["name"] for p in operation.get("parameters", [])}
                names |= {
                    field
                    for schema in request_schemas(document, operation)
                    for field in schema.get("properties", {})
                }
        assert len(names) > 100
        assert sorted(names - set(LABELS)) == []

    async def test_every_format_the_document_declares_is_described_in_words(
        self, client: AsyncClient
    ) -> None:
        document = (await client.get("/openapi.json")).json()
        patterns = set(_patterns(document))
        assert patterns
        assert sorted(patterns - set(fields.FORMATS)) == []


def request_schemas(document: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas a request body of ``operation`` may hold, nested ones included."""
    schemas = document["components"]["schemas"]
    todo = re.findall(r"#/components/schemas/([\w.-]+)", str(operation.get("requestBody", {})))
    seen: dict[str, dict[str, Any]] = {}
    while todo:
        name = todo.pop()
        if name not in seen:
            seen[name] = schemas[name]
            todo += re.findall(r"#/components/schemas/([\w.-]+)", str(schemas[name]))
    return list(seen.values())


def _patterns(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["pattern"]] if isinstance(value.get("pattern"), str) else []
        return found + [p for v in value.values() for p in _patterns(v)]
    if isinstance(value, list):
        return [p for v in value for p in _patterns(v)]
    return []


# The error types pydantic raises for each JSON-schema keyword of a request field.
_TYPES_OF_KEYWORD = {
    ("type", "string"): {"string_type", "string_unicode"},
    ("type", "integer"): {"int_type", "int_parsing", "int_from_float", "int_parsing_size"},
    ("type", "number"): {"float_type", "float_parsing", "finite_number"},
    ("type", "boolean"): {"bool_type", "bool_parsing"},
    ("type", "array"): {"list_type", "set_type", "set_item_not_hashable"},
    ("type", "object"): {"model_type", "model_attributes_type", "dict_type"},
    ("format", "date"): {"date_type", "date_parsing", "date_from_datetime_parsing",
                         "date_from_datetime_inexact", "date_not_text"},
    ("format", "date-time"): {"datetime_type", "datetime_parsing", "datetime_from_date_parsing",
                              "datetime_object_invalid", "timezone_aware", "date_not_text"},
    ("minLength", None): {"string_too_short"},
    ("maxLength", None): {"string_too_long"},
    ("pattern", None): {"string_pattern_mismatch"},
    ("minimum", None): {"greater_than_equal"},
    ("maximum", None): {"less_than_equal"},
    ("exclusiveMinimum", None): {"greater_than"},
    ("exclusiveMaximum", None): {"less_than"},
    ("minItems", None): {"too_short"},
    ("maxItems", None): {"too_long"},
    ("enum", None): {"enum", "literal_error"},
    ("const", None): {"literal_error"},
}  # fmt: skip
_EVERY_REQUEST = {"missing", "extra_forbidden", "json_invalid", "json_type", "value_error",
                  "body_unreadable", "control_characters"}  # fmt: skip


def _keyword_types(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            named = item if key in ("type", "format") and isinstance(item, str) else None
            found |= _TYPES_OF_KEYWORD.get((key, named), set())
            found |= _keyword_types(item)
    elif isinstance(value, list):
        for item in value:
            found |= _keyword_types(item)
    return found


async def test_every_error_type_a_request_can_meet_is_worded(client: AsyncClient) -> None:
    """Each kind of check the request schemas and parameters declare (a length, a pattern, a
    date, an enum …) has its own message in both languages: no field message falls back to the
    generic "is not valid"."""
    document = (await client.get("/openapi.json")).json()
    declared: set[str] = set(_EVERY_REQUEST)
    for operations in document["paths"].values():
        for operation in operations.values():
            declared |= _keyword_types(operation.get("parameters", []))
            declared |= _keyword_types(request_schemas(document, operation))
    assert len(declared) > 30
    assert sorted(declared - set(fields.TYPES)) == []
