"""The pre-commit hooks run offline, from the venv's own tools, and catch what they should."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.template.mini import write_tree

REPO = Path(__file__).resolve().parents[2]

CLEAN_PROJECT: dict[str, str | bytes] = {
    "pyproject.toml": (
        '[tool.ruff]\nline-length = 100\n[tool.ruff.lint]\nselect = ["E", "F", "I"]\n'
        '[tool.mypy]\nfiles = ["app"]\nstrict = true\n'
    ),
    "app/__init__.py": "",
    "app/ok.py": (
        "from __future__ import annotations\n\n\ndef double(x: int) -> int:\n    return 2 * x\n"
    ),
    ".env.example": "APP_DEBUG=false\n",
    "certs/README.md": "Certificates go here; they are never committed.\n",
    # The hooks' own caches must not count as changes the hooks made.
    ".gitignore": ".venv\n.mypy_cache/\n.ruff_cache/\n__pycache__/\n",
}


@pytest.fixture
def hooked_repo(tmp_path: Path, git: Callable[..., str]) -> Path:
    root = tmp_path / "project"
    write_tree(root, CLEAN_PROJECT)
    (root / ".pre-commit-config.yaml").write_bytes((REPO / ".pre-commit-config.yaml").read_bytes())
    # The hooks call .venv/bin/<tool>: point that at the venv running these tests.
    os.symlink(sys.prefix, root / ".venv")
    git(root, "init", "-q")
    return root


def run_hooks(root: Path, git: Callable[..., str]) -> subprocess.CompletedProcess[str]:
    git(root, "add", "--all", "--force", "--", ".", ":!.venv")
    pre_commit = Path(sys.prefix) / "bin" / "pre-commit"
    env = {**os.environ, "PRE_COMMIT_HOME": str(root.parent / "pre-commit-home")}
    return subprocess.run(
        [str(pre_commit), "run", "--all-files", "--color=never"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_hooks_pass_on_a_clean_tree_without_fetching_anything(
    hooked_repo: Path, git: Callable[..., str]
) -> None:
    done = run_hooks(hooked_repo, git)
    assert done.returncode == 0, done.stdout + done.stderr
    # Every hook is local: no hook repository was cloned into pre-commit's cache.
    cache = hooked_repo.parent / "pre-commit-home"
    assert not any(p.name.startswith("repo") for p in cache.glob("*")), list(cache.glob("*"))


@pytest.mark.parametrize(
    ("rel", "content", "hook"),
    [
        ("app/bad.py", "import os\n", "ruff check"),
        ("app/ugly.py", "x  =  1\n", "ruff format"),
        ("app/untyped.py", "def f(x):\n    return x\n", "mypy"),
        (".env", "APP_SECRET=1\n", "no .env or certs/ files committed"),
        ("certs/server.key", "-----BEGIN PRIVATE KEY-----\n", "no .env or certs/ files committed"),
        (
            "notes.txt",
            "<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> other\n",
            "no merge conflict markers",
        ),
        ("notes.txt", "trailing \n", "no trailing whitespace"),
    ],
)
def test_hook_fails_on_what_it_guards_against(
    hooked_repo: Path, git: Callable[..., str], rel: str, content: str, hook: str
) -> None:
    write_tree(hooked_repo, {rel: content})
    done = run_hooks(hooked_repo, git)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if line.endswith("Failed")]
    assert any(line.startswith(hook) for line in failed), done.stdout
