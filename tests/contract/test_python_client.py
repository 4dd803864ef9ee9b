"""A Python client team generates from the document with openapi-python-client: it must do so
without a warning (each warning is a piece it left out), with one module per operation, and
the generated code must work against the real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.cli import ROOT
from app.main import create_app
from tests.served import DEMO_PASSWORD, demo_server

CONFIG = ROOT / "contract" / "openapi-python-client.yaml"
# scripts/contract-check installs the generator (and the ruff it runs) in a venv of its own.
TOOLS = ROOT / "contract" / ".python-client" / "bin"
GENERATOR = TOOLS / "openapi-python-client"
FLOW = Path(__file__).parent / "flows" / "python_client_flow.py"


def _module_name(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


@dataclass(frozen=True)
class Generated:
    document: dict[str, Any]
    output: str  # what the generator printed
    package: Path  # the generated package, jobpath_client


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """The client openapi-python-client generates from the served document, once."""
    document = create_app().openapi()
    where = tmp_path_factory.mktemp("python-client")
    source = where / "openapi.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    package = where / "jobpath_client"
    assert GENERATOR.exists(), "openapi-python-client is missing: run scripts/contract-check"
    command = [str(GENERATOR), "generate", "--path", str(source), "--meta", "none"]
    command += ["--output-path", str(package), "--config", str(CONFIG)]
    run = subprocess.run(  # noqa: S603 - the generator, on a document we wrote
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    return Generated(document, output, package)


def test_openapi_python_client_generates_every_operation_without_a_warning(
    generated: Generated,
) -> None:
    assert "warning" not in generated.output.lower(), generated.output
    operations = {
        _module_name(operation["operationId"])
        for operations in generated.document["paths"].values()
        for operation in operations.values()
    }
    modules = {p.stem for p in (generated.package / "api").glob("*/*.py") if p.stem != "__init__"}
    assert modules == operations


@pytest.mark.skipif(
    bool(os.environ.get("JOBPATH_TEST_DATABASE_URL")),
    reason="serves its own SQLite database: run in the SQLite pass only",
)
def test_the_generated_client_signs_in_lists_syncs_creates_and_edits_against_the_server(
    generated: Generated, tmp_path: Path
) -> None:
    """The flows a phone team builds first (tests/contract/flows/python_client_flow.py): sign
    in, a list read by cursor, an offline sync, a create retried with its Idempotency-Key, an
    edit with If-Match and a stale one read as a typed 412 — through the generated code."""
    with demo_server(tmp_path) as base_url:
        run = subprocess.run(  # noqa: S603 - the generator's own Python, on our flow script
            [str(TOOLS / "python"), str(FLOW), base_url, DEMO_PASSWORD],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(generated.package.parent)},
        )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert run.stdout.strip().endswith("flows: ok"), output
