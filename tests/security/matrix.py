"""Calling every operation of the OpenAPI document as each role, with placeholder ids and an
empty body: what comes back before any business rule is reached is who may call it.

`python -m tests.security.matrix --write` regenerates role_matrix.json from the app (review
the diff: it is the permission table); the test compares the live app with the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

# "admin" is an admin of the whole district; "township_admin" one scoped to a township, who
# is refused district-wide writes (policies, courses, payments) by the route itself.
ROLES = ("anonymous", "caseworker", "employer", "auditor", "admin", "township_admin")
TABLE = Path(__file__).with_name("role_matrix.json")
PUBLIC = {"GET /healthz", "GET /readyz", "POST /api/v1/auth/token", "POST /api/v1/auth/refresh"}
_PLACEHOLDERS = {"code": "340406", "user_id": "1"}


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation the app documents."""
    out = []
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            out.append((method.upper(), path, operation))
    # Signing out ends the callers' sessions: it goes last.
    return sorted(out, key=lambda o: (o[1] == "/api/v1/auth/logout", o[1], o[0]))


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _PLACEHOLDERS.get(m.group(1), "1"), path)


def verdict(status: int) -> str:
    return {401: "401", 403: "403"}.get(status, "allowed")


async def observe(clients: dict[str, AsyncClient], app: FastAPI) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for method, path, operation in operations(app):
        has_json = "application/json" in operation.get("requestBody", {}).get("content", {})
        row = {}
        for role in ROLES:
            kwargs: dict[str, Any] = {"json": {}} if has_json else {}
            response = await clients[role].request(method, concrete(path), **kwargs)
            assert response.status_code < 500, (method, path, role, response.text)
            row[role] = verdict(response.status_code)
        table[f"{method} {path}"] = row
    return table


def load() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = json.loads(TABLE.read_text(encoding="utf-8"))
    return table


def write(table: dict[str, dict[str, str]]) -> None:
    TABLE.write_text(json.dumps(table, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
