"""How errors appear in the OpenAPI document: each route's problem answers, their schemas and
the catalogue's codes."""

from __future__ import annotations

import copy
import json
from functools import reduce
from operator import or_
from typing import Any

from fastapi import FastAPI

from app.errors.catalogue import CATALOGUE
from app.errors.family import AppError, Unprocessable
from app.errors.render import PROBLEM_JSON
from app.errors.shapes import Problem


def responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route that may raise these errors.

    An error with extension fields documents its own problem schema (``VersionMismatchProblem``
    …); when errors of one status have different schemas, the answer is one of them.
    """
    out: dict[int | str, dict[str, Any]] = {}
    models: dict[int, list[type[Problem]]] = {}
    for err in sorted(errors, key=lambda e: e.status):
        found = models.setdefault(err.status, [])
        if err.problem not in found:
            found.append(err.problem)
        out.setdefault(err.status, {"description": err.title, "content": {PROBLEM_JSON: {}}})
        out[err.status]["model"] = reduce(or_, found) if len(found) > 1 else found[0]
    return out


def _problem_answers(document: dict[str, Any]) -> None:
    unprocessable = {
        "description": Unprocessable.title,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            found = operation.get("responses", {}).get("422")
            if found is not None and PROBLEM_JSON not in found.get("content", {}):
                operation["responses"]["422"] = copy.deepcopy(unprocessable)
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {})
                # Errors are sent as problem+json only: the schema goes there.
                if str(status)[0] in "45" and PROBLEM_JSON in content:
                    schema = content.pop("application/json", {}).get("schema")
                    if schema is not None:
                        content[PROBLEM_JSON] = {"schema": schema}


def _catalogued_codes(schemas: dict[str, Any]) -> None:
    codes = sorted(CATALOGUE)
    for name, schema in schemas.items():
        code = schema.get("properties", {}).get("code")
        if code is not None and (name == "Problem" or name.endswith("Problem")):
            code["enum"] = codes
            code["description"] = "Stable machine-readable code; docs/errors.md lists each."


def document_problems(app: FastAPI) -> None:
    """Make every operation's 422 the problem document the handler sends, and the problem's
    ``code`` an enum of the catalogue's codes.

    FastAPI documents its own validation body (``HTTPValidationError``, ``application/json``)
    on each operation that declares no 422 of its own, but this service never sends it.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        _problem_answers(document)
        schemas = document.get("components", {}).get("schemas", {})
        _catalogued_codes(schemas)
        for unused in ("HTTPValidationError", "ValidationError"):
            if f"#/components/schemas/{unused}" not in json.dumps(document):
                schemas.pop(unused, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
