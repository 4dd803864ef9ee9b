"""Who may call what, proven for every operation of the OpenAPI document and every role
against the checked-in table tests/security/role_matrix.json (401 / 403 / allowed).

A new route missing from the table fails; so does any cell that differs. Regenerate with
`python -m tests.security.regenerate` and review the diff.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from tests.factories import DISTRICT, QIJI, Factory
from tests.security import matrix


async def _clients(factory: Factory) -> dict[str, object]:
    return {
        "anonymous": factory.client(),
        "caseworker": await factory.as_role("caseworker"),
        "employer": await factory.as_role("employer"),
        "auditor": await factory.as_role("auditor", region=DISTRICT),
        "admin": await factory.as_role("admin", region=DISTRICT),
        "township_admin": await factory.as_role("admin", region=QIJI),
    }


async def test_every_operation_answers_each_role_as_the_table_says(
    factory: Factory, app: FastAPI
) -> None:
    observed = await matrix.observe(await _clients(factory), app)  # type: ignore[arg-type]
    if os.environ.get("JOBPATH_WRITE_ROLE_MATRIX"):
        matrix.write(observed)
    expected = matrix.load()
    assert sorted(observed) == sorted(expected), (
        "operations and table differ: missing from the table "
        f"{sorted(set(observed) - set(expected))}, gone from the app "
        f"{sorted(set(expected) - set(observed))}"
    )
    differing = {op: (expected[op], row) for op, row in observed.items() if row != expected[op]}
    assert not differing, differing


def test_only_sign_in_and_health_are_open_to_anonymous_callers() -> None:
    opened = {op for op, row in matrix.load().items() if row["anonymous"] != "401"}
    assert opened == matrix.PUBLIC


def test_a_township_admin_may_not_change_district_wide_records() -> None:
    table = matrix.load()
    for op in ("POST /api/v1/subsidy-policies", "PATCH /api/v1/subsidy-policies/{policy_id}",
               "POST /api/v1/training/courses", "PATCH /api/v1/training/courses/{course_id}",
               "POST /api/v1/claims/{claim_id}/pay"):  # fmt: skip
        assert table[op]["township_admin"] == "403", op
        assert table[op]["admin"] == "allowed", op


def test_employers_never_reach_worker_lists_or_exports() -> None:
    table = matrix.load()
    for op in ("GET /api/v1/workers", "GET /api/v1/claims/export", "GET /api/v1/households",
               "GET /api/v1/audit-log", "GET /api/v1/audit/alerts"):  # fmt: skip
        assert table[op]["employer"] == "403", op
