"""The OpenAPI document as client generators need it, so that nobody has to guess.

FastAPI describes bodies and parameters; this adds what it cannot see: the response headers
the service sends (ETag, Idempotent-Replayed, Retry-After, X-Request-ID, Content-Disposition),
the 503 any database-reading route may answer and the 409 of an unfinished idempotent request,
If-Match as required where its absence gets 428, downloads typed as binary, integer bounds
written as integers, the public operations marked as such, the servers, tags, licence and
contact. Each rule is general (by status, media type, parameter or route class), so a new
route gets the same treatment without being listed here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.errors.render import PROBLEM_JSON
from app.versioning import carries_etag

_INT64 = (-(2**63), 2**63 - 1)
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "default")
_BINARY = {"type": "string", "format": "binary"}

TAGS = {
    "health": "Liveness and readiness probes for the load balancer; no sign-in.",
    "auth": "Sign in, refresh and sign out; the signed-in user and their password.",
    "users": "Accounts of caseworkers, employers' staff, auditors and admins (admin).",
    "regions": "The administrative divisions (province to village) that scope every record.",
    "households": "Registered poor households and their visits.",
    "workers": "Registered labourers: registry import, visits, timeline and job matches.",
    "visits": "Caseworkers' visits across households and workers.",
    "employers": "Employers and their verification.",
    "vacancies": "Job vacancies and the candidates ranked for them.",
    "referrals": "A worker put forward for a vacancy, through interview to hire or decline.",
    "employments": "Jobs held by workers, confirmed by the employer or a caseworker.",
    "follow-ups": "Scheduled checks that a hired worker is still employed.",
    "recruitment-events": "Job fairs: participating employers and vacancies, and attendees.",
    "training": "Courses, sessions, enrolments and attendance.",
    "subsidy-policies": "The rules that make a hire or a training completion payable.",
    "claims": "Subsidy claims from draft to payment, their evidence, export and public notice.",
    "photos": "Photos taken at visits and documents kept on households and workers; synced.",
    "audit": "The tamper-evident audit log, its checkpoints and the fraud alerts.",
    "stats": "Programme indicators, breakdowns, the spreadsheet report and yearly targets.",
    "assignments": "The labourers a city assigns to a district for a year (市下达任务).",
    "history": "History older than the everyday routes accept, brought in by an admin.",
    "agenda": "What is due for the signed-in caseworker: follow-ups, visits, claims returned.",
}

HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id (yours if you sent a valid `X-Request-ID`); quote it "
        "when reporting a problem. Every answer carries it.",
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": 'The record\'s version as a quoted decimal, e.g. `"3"`: strong on an '
        'uncompressed answer, weak (`W/"3"`) on a compressed one. Send it as `If-Match`, in '
        "either form, to update the record.",
        "schema": {"type": "string", "pattern": '^(W/)?"[0-9]{1,18}"$'},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key`; absent on a first answer.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "Content-Disposition": {
        "description": 'A download: `attachment; filename="…"` names the file to save.',
        "schema": {"type": "string"},
    },
}


def install(app: FastAPI) -> None:
    """Complete the document the app serves (once; later calls return the same document)."""
    build = app.openapi
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if completed and app.openapi_schema is completed[0]:
            return completed[0]
        document = build()
        complete(document, list(api_routes(app)))
        completed[:] = [document]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Each API route as declared, with its full path (routers are included lazily)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format is not None:
            yield context.path_format, route


def complete(document: dict[str, Any], routes: list[tuple[str, APIRoute]]) -> None:
    document["servers"] = [{"url": "/", "description": "The server that serves this document."}]
    document["info"]["contact"] = {"name": "JobPath maintainers"}
    # pyproject's licence, as an SPDX expression
    document["info"]["license"] = {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
    used = {tag for _, _, op in operations(document) for tag in op.get("tags", ())}
    document["tags"] = [
        {"name": name, "description": text} for name, text in TAGS.items() if name in used
    ]
    document.setdefault("components", {})["headers"] = HEADERS
    with_etag = {
        (path, method.lower())
        for path, route in routes
        if carries_etag(route)
        for method in route.methods or ()
    }
    for path, method, operation in operations(document):
        _describe_operation(operation, etag=(path, method) in with_etag)
        _name_inline_answers(operation)
    for schema in objects(document):
        _integer_bounds(schema)
        if schema.get("type") == "string" and "contentMediaType" in schema:
            schema["format"] = "binary"  # an uploaded file: generators type it as one


# Answers any route that reads the database may give, whatever the route raises itself.
_UNAVAILABLE = {
    "description": "The database cannot be reached or is overloaded, or every connection is "
    "busy (`database_unavailable`, `service_unavailable`); retry after `Retry-After` seconds.",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
_IN_FLIGHT = {
    "description": "The first request with this `Idempotency-Key` has not finished "
    "(`idempotency_in_flight`); retry after `Retry-After` seconds to get its answer.",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def _describe_operation(operation: dict[str, Any], *, etag: bool) -> None:
    if "security" not in operation:
        operation["security"] = []  # no sign-in: say so rather than leave it unsaid
    headers = {p["name"]: p for p in operation.get("parameters", ()) if p["in"] == "header"}
    responses: dict[str, dict[str, Any]] = operation["responses"]
    if "health" not in operation.get("tags", ()):
        responses.setdefault("503", copy.deepcopy(_UNAVAILABLE))
    if "Idempotency-Key" in headers:
        responses.setdefault("409", copy.deepcopy(_IN_FLIGHT))
    if "If-Match" in headers and "428" in responses:
        headers["If-Match"]["required"] = True
        headers["If-Match"]["schema"] = {
            "type": "string",
            "pattern": '^(W/)?"[0-9]{1,18}"$',
            "description": headers["If-Match"]["schema"].get("description", ""),
        }
    for status, answer in responses.items():
        declared = answer.setdefault("headers", {})
        _add(declared, "X-Request-ID")
        if status in ("429", "503") or (status == "409" and "Idempotency-Key" in headers):
            _add(declared, "Retry-After")
        if not status.startswith("2"):
            continue
        if etag:
            _add(declared, "ETag")
        if "Idempotency-Key" in headers:
            _add(declared, "Idempotent-Replayed")
        content = answer.get("content", {})
        if content and not any(_is_json(media) for media in content):
            _add(declared, "Content-Disposition")
            for media in content:
                content[media] = {"schema": dict(_BINARY)}


def _name_inline_answers(operation: dict[str, Any]) -> None:
    """FastAPI titles an answer that is not a named model (a list, one of several problems)
    "Response 409 Createworker"; generators make a type of it: ``CreateWorker409Response``
    (``ListAlertsResponse`` for a success) reads as what it is."""
    name = operation["operationId"][:1].upper() + operation["operationId"][1:]
    for status, answer in operation["responses"].items():
        for media in answer.get("content", {}).values():
            schema = media.get("schema", {})
            if str(schema.get("title", "")).startswith("Response"):
                schema["title"] = f"{name}{'' if status.startswith('2') else status}Response"


def _add(declared: dict[str, Any], name: str) -> None:
    declared[name] = {"$ref": f"#/components/headers/{name}"}


def _is_json(media_type: str) -> bool:
    essence = media_type.split(";")[0].strip()
    return essence == "application/json" or essence.endswith("+json")


def _integer_bounds(schema: dict[str, Any]) -> None:
    """FastAPI's document model stores bounds as floats (``1.0``, and 2**63-1 rounded up to
    9.223372036854776e18): an integer's are integers again, within int64 (the keys' range)."""
    if schema.get("type") != "integer":
        return
    for key in _BOUNDS:
        value = schema.get(key)
        if isinstance(value, float) and value.is_integer():
            schema[key] = min(max(int(value), _INT64[0]), _INT64[1])


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            yield path, method, operation


def objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the document (each schema among them)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects(value)
