"""A Python client team generates from the document with openapi-python-client: it must do so
without a warning (each warning is a piece it left out) and with one module per operation."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from app.cli import ROOT
from app.main import create_app

CONFIG = ROOT / "contract" / "openapi-python-client.yaml"
# scripts/contract-check installs the generator (and the ruff it runs) in a venv of its own.
TOOLS = ROOT / "contract" / ".python-client" / "bin"
GENERATOR = TOOLS / "openapi-python-client"


def _module_name(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def test_openapi_python_client_generates_every_operation_without_a_warning(
    tmp_path: Path,
) -> None:
    document = create_app().openapi()
    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "client"
    assert GENERATOR.exists(), "openapi-python-client is missing: run scripts/contract-check"
    command = [str(GENERATOR), "generate", "--path", str(source), "--meta", "none"]
    command += ["--output-path", str(out), "--config", str(CONFIG)]
    generated = subprocess.run(  # noqa: S603 - the generator, on a document we wrote
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "warning" not in output.lower(), output

    operations = {
        _module_name(operation["operationId"])
        for operations in document["paths"].values()
        for operation in operations.values()
    }
    modules = {p.stem for p in (out / "api").glob("*/*.py") if p.stem != "__init__"}
    assert modules == operations
