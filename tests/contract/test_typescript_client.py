"""A TypeScript client team's code (contract/client.ts on openapi-typescript's types and
openapi-fetch) works against the real server, not only under `tsc --strict`:
contract/flow.ts signs in, reads every page of a list, syncs twice, creates a worker and
retries it with its Idempotency-Key, edits with If-Match and reads a stale edit's 412."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from app.cli import ROOT
from tests.served import DEMO_PASSWORD, demo_server

# Compiled by scripts/contract-check (tsconfig.flow.json).
FLOW = ROOT / "contract" / "generated" / "flow" / "flow.js"

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("JOBPATH_TEST_DATABASE_URL")),
    reason="serves its own SQLite database: run in the SQLite pass only",
)


def test_the_typescript_client_signs_in_lists_syncs_creates_and_edits_against_the_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is missing (scripts/contract-check needs it too)"
    assert FLOW.exists(), "contract/flow.ts is not compiled: run scripts/contract-check"
    with demo_server(tmp_path_factory.mktemp("typescript-client")) as base_url:
        run = subprocess.run(  # noqa: S603 - Node on our compiled flow script
            [node, str(FLOW), base_url, DEMO_PASSWORD],
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert run.stdout.strip().endswith("flows: ok"), output
