"""The hosted CI definition (.github/): complete, bounded jobs that call only make targets that
exist, so it runs what .ci/run and a developer run."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def make_targets() -> set[str]:
    makefile = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.MULTILINE))


def test_every_job_is_complete_and_bounded() -> None:
    # What actionlint (tests/ci/test_actionlint.py) does not check: this project's own rules.
    assert WORKFLOWS
    for workflow in WORKFLOWS:
        spec = yaml.safe_load(workflow.read_text())
        triggers = spec.get("on", spec.get(True))  # YAML 1.1 reads a bare `on` key as True
        assert {"push", "pull_request"} <= set(triggers), workflow.name
        assert spec["permissions"] == {"contents": "read"}, workflow.name
        for name, job in spec["jobs"].items():
            assert job["runs-on"] and 0 < job["timeout-minutes"] <= 60, name
            assert job["steps"][0]["uses"].startswith("actions/checkout@"), name
            for step in job["steps"]:
                assert ("uses" in step) != ("run" in step), (name, step)


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
