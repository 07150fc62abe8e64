"""The real repository copied as a new service by `make new-service`'s command (copier, from a
clone of this checkout's last commit): its own `make lint` and `make test-fast` pass at once, it
offers no template-only target, and its tests catch a view that raises.

Slow: the copy builds its own venv from scratch (minutes), which is the point: it proves the copy
needs nothing from the template's checkout. `make test-fast` keeps the copy's run bounded; the
suite it leaves out runs on the template itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.new_service import ANSWERS_FILE, KEPT_REGION
from tests.template.conftest import clone_template, copy_with_copier, git_env, run_git

REPO = Path(__file__).resolve().parents[2]
NAME, KEBAB, PREFIX = "billing_api", "billing-api", "BILLING_API_"
# Where the template's names may legitimately stay: the untouched framework, the MIT notice, and
# copier's record of where the copy came from.
MAY_NAME_THE_TEMPLATE = ("flasklite/", "tests/framework/", "LICENSE", ANSWERS_FILE)
OLD_ENV_TOKEN = re.compile(r"(?<![A-Za-z0-9_])APP_[A-Z0-9_]*")


def clean_env() -> dict[str, str]:
    """This process's environment minus what would leak our venv, make or settings into the copy."""
    leaks = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTEST_ADDOPTS", "MAKEFLAGS", "MFLAGS")
    env = {
        key: value
        for key, value in git_env().items()
        if key not in leaks and not key.startswith(("APP_", PREFIX, "PYTEST_", "MAKE"))
    }
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def text_files(root: Path) -> dict[str, str]:
    found = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if (
            rel.startswith((".venv/", ".git/"))
            or "/__pycache__/" in f"/{rel}"
            or not path.is_file()
        ):
            continue
        try:
            found[rel] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return found


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template = clone_template(tmp_path_factory.mktemp("template"))
    dest = tmp_path_factory.mktemp("services") / NAME
    out = copy_with_copier(template, dest, NAME, clean_env())
    assert f"cd {dest}" in out
    return dest


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["flasklite", "tests/framework"])
def test_framework_and_its_tests_are_byte_identical_in_the_copy(service: Path, folder: str) -> None:
    ours = {p.relative_to(REPO / folder) for p in (REPO / folder).rglob("*.py")}
    theirs = {p.relative_to(service / folder) for p in (service / folder).rglob("*.py")}
    assert ours and ours == theirs
    for rel in ours:
        assert (service / folder / rel).read_bytes() == (REPO / folder / rel).read_bytes(), rel


@pytest.mark.slow
def test_copy_names_the_new_service_where_the_template_named_itself(service: Path) -> None:
    compose = (service / "docker-compose.yml").read_text()
    assert re.search(rf"^name: {KEBAB}$", compose, re.MULTILINE)
    assert f"{KEBAB}-app" in compose
    assert f"{PREFIX}SERVICE_NAME" in (service / ".env.example").read_text()
    for rel, full_text in text_files(service).items():
        if rel.startswith(MAY_NAME_THE_TEMPLATE):
            continue
        # `wsgistack` is the machinery package every service imports under that name.
        text = re.sub(r"\bwsgistack\b", "", KEPT_REGION.sub("", full_text))
        assert not re.search(r"wsgi[-_ ]?stack", text, re.IGNORECASE), rel
        assert not OLD_ENV_TOKEN.findall(text), (rel, OLD_ENV_TOKEN.findall(text)[:5])


@pytest.mark.slow
def test_copy_leaves_out_output_and_the_template_tooling_and_starts_its_own_history(
    service: Path,
) -> None:
    present = {p.relative_to(service).as_posix() for p in service.rglob("*")}
    for absent in (
        ".venv",
        ".run",
        "bench/results",
        "devtools/new_service.py",
        "tests/template",
        "copier.yml",
        ".env",
        ".template-origin",
    ):
        assert absent not in present, absent
    assert not any("__pycache__" in rel or rel.endswith(".egg-info") for rel in present)
    # One commit of its own, holding everything: `copier update` needs a clean checkout.
    assert len(run_git(service, "log", "--format=%H").split()) == 1
    assert run_git(service, "status", "--porcelain") == ""
    answers = (service / ANSWERS_FILE).read_text()
    assert f"name: {NAME}" in answers and "_commit:" in answers


def make(service: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=service,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_copy_offers_only_targets_that_work_in_a_copy(service: Path, tmp_path: Path) -> None:
    listed = {line.split()[0] for line in make(service).stdout.splitlines() if line.strip()}
    assert {"dev", "test", "test-fast", "lint", "up"} <= listed
    assert "new-service" not in listed
    refused = make(service, "new-service", "NAME=other", f"DEST={tmp_path / 'other'}")
    assert refused.returncode != 0
    assert not (tmp_path / "other").exists()
    # The README names no target the copy lacks (running new-service in the template is fine).
    readme = (service / "README.md").read_text()
    named = {
        target
        for line in readme.splitlines()
        if "template's checkout" not in line
        for target in re.findall(r"(?:^|`)make ([a-z0-9][a-z0-9-]*)", line)
    }
    assert named and named <= listed, named - listed


BROKEN_VIEW = """

@pages.get("/orders/<int:order_id>")
def show_order(order_id: int) -> str:  # a copier's first route, with a bug in it
    raise KeyError(order_id)
"""


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_copy_passes_its_own_lint_and_fast_tests_and_they_catch_a_broken_view(
    service: Path,
) -> None:
    lint = make(service, "lint", timeout=900)
    assert lint.returncode == 0, (lint.stdout + lint.stderr)[-3000:]

    fast = make(service, "test-fast", timeout=900)
    tail = (fast.stdout + fast.stderr)[-3000:]
    assert fast.returncode == 0, tail
    assert re.search(r"\d+ passed", fast.stdout), tail
    # The copy's service reads the renamed prefix, ignores the old one, and shows its new name.
    show = (
        "from app import create_app; c = create_app().config; "
        "print(c['LOG_LEVEL'], c['SERVICE_NAME'])"
    )
    probe = subprocess.run(
        [".venv/bin/python", "-c", show],
        cwd=service,
        env={**clean_env(), f"{PREFIX}LOG_LEVEL": "WARNING", "APP_LOG_LEVEL": "ERROR"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.stdout.split() == ["WARNING", KEBAB], probe.stderr

    views = service / "app" / "pages.py"
    views.write_text(views.read_text() + BROKEN_VIEW)
    broken = make(service, "test-fast", timeout=600)
    assert broken.returncode != 0, broken.stdout[-3000:]
    assert "FAILED tests/smoke/test_routes.py" in broken.stdout
    assert "GET /orders/<int:order_id>" in broken.stdout
