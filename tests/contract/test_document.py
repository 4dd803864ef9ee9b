"""What a generated client reads from the document besides paths: who may call without signing
in, what a download is, which answer fields are always there, and integers that are integers."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.openapi import objects, operations
from app.main import create_app
from tests.factories import Factory

PUBLIC = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def test_only_sign_in_refresh_and_the_probes_are_public(document: dict[str, Any]) -> None:
    public = {(m, p) for p, m, op in operations(document) if op["security"] == []}
    assert public == PUBLIC
    for path, method, operation in operations(document):
        if (method, path) not in PUBLIC:
            assert operation["security"] == [{"OAuth2PasswordBearer": []}], path


def test_the_document_names_its_server_licence_contact_and_each_tag(
    document: dict[str, Any],
) -> None:
    assert document["servers"]
    assert document["info"]["license"]["name"]
    assert document["info"]["contact"]["name"]
    described = {tag["name"] for tag in document["tags"] if tag["description"]}
    used = {tag for _, _, op in operations(document) for tag in op["tags"]}
    assert used == described


def test_every_download_is_typed_as_binary(document: dict[str, Any]) -> None:
    downloads = 0
    for path, _, operation in operations(document):
        for status, answer in operation["responses"].items():
            for media, content in answer.get("content", {}).items():
                if status.startswith("2") and "json" not in media:
                    downloads += 1
                    assert content["schema"] == {"type": "string", "format": "binary"}, path
    assert downloads >= 6  # claims as CSV and XLSX, the XLSX report, three kinds of evidence


def test_integer_bounds_are_integers_within_int64(document: dict[str, Any]) -> None:
    for schema in objects(document):
        if schema.get("type") == "integer":
            for key in ("minimum", "maximum", "default"):
                if key in schema:
                    assert isinstance(schema[key], int), schema
                    assert -(2**63) <= schema[key] < 2**63, schema


def test_an_answer_lists_its_defaulted_fields_as_required(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "currency" in schemas["ClaimFigures"]["required"]
    assert {"items", "next_cursor"} <= set(schemas["Page_WorkerSummary_"]["required"])


async def test_a_count_in_the_overview_is_an_integer(factory: Factory) -> None:
    admin = await factory.as_role("admin")
    r = await admin.get("/api/v1/stats/overview")
    assert r.status_code == 200, r.text
    indicators = r.json()["indicators"]
    counts = [i for i in indicators if i["denominator"] is None and i["value"] is not None]
    assert counts
    for indicator in counts:
        assert type(indicator["value"]) is int, indicator


def test_every_route_that_reads_the_database_may_answer_503_with_retry_after(
    document: dict[str, Any],
) -> None:
    for path, method, operation in operations(document):
        if "health" in operation["tags"]:
            continue
        unavailable = operation["responses"].get("503")
        assert unavailable is not None, f"{method} {path} does not declare its 503"
        assert "Retry-After" in unavailable["headers"]
        assert "application/problem+json" in unavailable["content"]


def test_an_idempotent_create_declares_the_409_of_an_unfinished_first_request(
    document: dict[str, Any],
) -> None:
    idempotent = [
        (path, method, operation)
        for path, method, operation in operations(document)
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", ()))
    ]
    assert idempotent
    for path, method, operation in idempotent:
        conflict = operation["responses"].get("409")
        assert conflict is not None, f"{method} {path} does not declare its 409"
        assert "Retry-After" in conflict["headers"]


def test_an_answer_that_is_no_named_model_is_titled_after_its_operation(
    document: dict[str, Any],
) -> None:
    titles = {str(node["title"]) for node in objects(document) if "title" in node}
    assert not [t for t in titles if t.startswith("Response ")]
    assert {"CreateWorker409Response", "ListAlertsResponse"} <= titles
