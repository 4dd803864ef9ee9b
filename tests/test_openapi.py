"""The committed OpenAPI document is what the app serves."""

from __future__ import annotations

import json

from httpx import AsyncClient

from app.cli import ROOT


async def test_committed_openapi_matches_the_served_document(client: AsyncClient) -> None:
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    served = (await client.get("/openapi.json")).json()
    assert served == committed, (
        "openapi/openapi.json is stale: run `jobpath openapi --output openapi/openapi.json`"
    )


async def test_every_operation_has_a_stable_id_a_tag_and_a_description(
    client: AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("tags"), f"{method} {path} has no tag"
            assert operation.get("description") or operation.get("summary"), (
                f"{method} {path} has no description"
            )
            ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


async def test_docs_ui_offers_the_password_flow_for_authorize(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert (await client.get("/docs")).status_code == 200
