"""The locked dependency set (requirements/*.txt, written by ./scripts/lock) is the one
pyproject.toml asks for, and the one this environment runs on: a fresh machine next month
installs exactly what was tested today."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.cli import ROOT

_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def _locked(name: str) -> dict[str, str]:
    """Package → pinned version, for the entries whose markers hold on this interpreter."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line):
            package, version, marker = match.groups()
            if marker is None or Marker(marker).evaluate():
                pins[canonicalize_name(package)] = version
    return pins


def _project() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    return {"app.txt": project["dependencies"], "dev.txt": project["dependencies"]
            + project["optional-dependencies"]["dev"]}  # fmt: skip


@pytest.mark.parametrize("lock", ["app.txt", "dev.txt"])
def test_every_dependency_of_pyproject_is_pinned_within_its_range(lock: str) -> None:
    pins = _locked(lock)
    for line in _project()[lock]:
        wanted = Requirement(line)
        if wanted.marker is not None and not wanted.marker.evaluate():
            continue
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{name} is not in requirements/{lock}: run ./scripts/lock"
        assert wanted.specifier.contains(pins[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pins[name]} outside {wanted.specifier}: "
            "run ./scripts/lock"
        )


def test_every_pin_carries_its_hashes() -> None:
    for lock in ("app.txt", "dev.txt"):
        text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
        for block in re.split(r"\n(?=\S)", text):
            if "==" in block.split("\n", 1)[0]:
                assert "--hash=sha256:" in block, f"{block.splitlines()[0]} has no hash"


def test_the_runtime_lock_is_the_development_lock_without_the_tools() -> None:
    app, dev = _locked("app.txt"), _locked("dev.txt")
    assert {name: dev.get(name) for name in app} == app


def test_this_environment_runs_the_locked_versions() -> None:
    for name, version in _locked("dev.txt").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name}=={version} is locked but not installed: run ./scripts/test")
        assert installed == version, (
            f"{name} {installed} is installed, the lock says {version}: install from "
            "requirements/dev.txt"
        )


def test_the_lock_files_are_where_the_install_commands_read_them() -> None:
    for script, lock in (("scripts/start", "app.txt"), ("scripts/test", "dev.txt")):
        assert f"--require-hashes -r requirements/{lock}" in Path(ROOT / script).read_text()
    assert "--require-hashes -r requirements/app.txt" in (ROOT / "Dockerfile").read_text()
