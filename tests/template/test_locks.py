"""The hashed locks agree with pyproject.toml, and pyproject.toml declares what the code imports.

Offline: the locks are read as text, and the import check asks the installed distributions'
metadata which distribution provides which import name. After a change to the dependencies in
pyproject.toml, `make lock` brings both requirements files back in step.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])
RUNTIME_LOCK, DEV_LOCK = "requirements.txt", "requirements-dev.txt"
# The image's Python and the oldest one pyproject allows: a lock line must serve both.
PYTHONS = ("3.11", "3.12")


def lock_entries(name: str) -> list[tuple[str, Version, Marker | None, list[str]]]:
    """(distribution, pinned version, marker, hashes) for each requirement line of a lock."""
    entries = []
    # Continuation lines (`\\` then `--hash=...`) belong to the requirement they follow.
    joined = (REPO / name).read_text(encoding="utf-8").replace("\\\n", " ")
    for raw in joined.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *options = line.split(" --hash=")
        requirement = Requirement(spec.strip())
        (pin,) = requirement.specifier
        assert pin.operator == "==", f"{name}: {line[:80]} is not pinned with =="
        hashes = [option.strip() for option in options]
        entries.append(
            (canonicalize_name(requirement.name), Version(pin.version), requirement.marker, hashes)
        )
    return entries


def declared(extras: set[str]) -> Iterator[tuple[Requirement, str]]:
    """pyproject's requirements for the runtime plus ``extras``, with the extra each came from,
    following the project's references to its own extras (`dev` names the others)."""
    optional = PYPROJECT["project"]["optional-dependencies"]
    seen: set[str] = set()
    pending = [("", text) for text in PYPROJECT["project"]["dependencies"]]
    pending += [(extra, text) for extra in sorted(extras) for text in optional[extra]]
    while pending:
        extra, text = pending.pop()
        requirement = Requirement(text)
        if canonicalize_name(requirement.name) == PROJECT:
            for named in sorted(requirement.extras - seen):
                seen.add(named)
                pending += [(named, inner) for inner in optional[named]]
            continue
        yield requirement, extra


def applies(marker: Marker | None, python: str, extra: str) -> bool:
    if marker is None:
        return True
    return marker.evaluate({"python_version": python, "extra": extra, "sys_platform": "linux"})


@pytest.mark.parametrize(
    ("lock", "extras"), [(RUNTIME_LOCK, set()), (DEV_LOCK, {"dev"})], ids=["runtime", "dev"]
)
def test_every_requirement_of_pyproject_is_met_by_exactly_one_pin(
    lock: str, extras: set[str]
) -> None:
    entries = lock_entries(lock)
    problems = []
    for requirement, extra in declared(extras):
        for python in PYTHONS:
            if not applies(requirement.marker, python, extra):
                continue
            pins = [
                version
                for name, version, marker, _ in entries
                if name == canonicalize_name(requirement.name) and applies(marker, python, "")
            ]
            if len(pins) != 1 or pins[0] not in requirement.specifier:
                problems.append(f"{requirement} (Python {python}): locked {pins or 'nowhere'}")
    assert not problems, f"{lock} disagrees with pyproject.toml; run `make lock`: {problems}"


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK])
def test_every_pin_carries_sha256_hashes(lock: str) -> None:
    entries = lock_entries(lock)
    assert entries
    for name, version, _, hashes in entries:
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{name}=={version}"


def test_the_runtime_lock_pins_what_the_dev_lock_pins() -> None:
    # What is tested (the dev lock) is what ships (the runtime lock).
    # A runtime pin may carry a marker the dev lock drops (another dev dependency needs the same
    # package everywhere): the versions must agree, whatever the markers.
    dev: dict[str, set[Any]] = {}
    for name, version, _, _ in lock_entries(DEV_LOCK):
        dev.setdefault(name, set()).add(version)
    for name, version, _, _ in lock_entries(RUNTIME_LOCK):
        assert dev.get(name) == {version}, name


def shipped_packages() -> list[str]:
    found = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({pattern.rstrip("*").rstrip(".") for pattern in found})


class ImportNames(ast.NodeVisitor):
    """Top-level names of absolute imports, leaving out `if TYPE_CHECKING:` blocks (never run)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", "")
        if name == "TYPE_CHECKING":
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.names.update(alias.name.split(".")[0] for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.names.add(node.module.split(".")[0])


def imported_top_names(package: str) -> set[str]:
    visitor = ImportNames()
    for path in (REPO / package).rglob("*.py"):
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
    return visitor.names


def test_every_third_party_module_the_shipped_packages_import_is_declared() -> None:
    packages = shipped_packages()
    assert {"app", "flasklite"} <= set(packages)
    imported = set().union(*(imported_top_names(package) for package in packages))
    third_party = imported - set(sys.stdlib_module_names) - set(packages) - {"__future__"}
    assert third_party, "the shipped code imports no third-party module at all?"
    providers = importlib.metadata.packages_distributions()
    optional = PYPROJECT["project"]["optional-dependencies"].values()
    names = {
        canonicalize_name(Requirement(text).name)
        for text in [
            *PYPROJECT["project"]["dependencies"],
            *(t for group in optional for t in group),
        ]
    }
    undeclared = {}
    for module in sorted(third_party):
        dists = {canonicalize_name(dist) for dist in providers.get(module, [])}
        if not dists & names:
            undeclared[module] = sorted(dists) or "no installed distribution"
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
