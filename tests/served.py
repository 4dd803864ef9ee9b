"""The real server as a client team meets it: ``jobpath serve`` started as a process on a
SQLite database of its own with the demo data (the demo users' password ``DEMO_PASSWORD``),
answering on a free port of 127.0.0.1. Used by the browser tests and the generated-client
flows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.cli import ROOT

HOST = "127.0.0.1"
DEMO_PASSWORD = "Harbour-lantern-47-quietly"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /healthz within 60 s:\n{log.read_text()}")


@contextmanager
def demo_server(data: Path) -> Iterator[str]:
    """The base URL of `jobpath serve` on a fresh SQLite database in ``data``."""
    env = {
        **os.environ,
        "JOBPATH_DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite+aiosqlite:///{data / 'jobpath.db'}",
        "JOBPATH_DEMO_PASSWORD": DEMO_PASSWORD,
        "JOBPATH_DOCS_ENABLED": "true",
    }
    env.pop("JOBPATH_DATABASE_URL", None)
    port = _free_port()
    log = data / "server.log"
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve"]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [*command, "--host", HOST, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://{HOST}:{port}"
    try:
        _wait_until_up(base_url, process, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
