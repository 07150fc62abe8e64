"""A miniature template tree, so the copy rules can be checked in milliseconds without the repo."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.template.mini import MINI_TEMPLATE, write_tree


@pytest.fixture
def mini_template(tmp_path: Path) -> Path:
    """A plain directory (no git) laid out like the template."""
    root = tmp_path / "template"
    write_tree(root, MINI_TEMPLATE)
    run_sh = root / "run.sh"
    run_sh.chmod(run_sh.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.symlink("conf.d/wsgi-stack.conf", root / "nginx" / "site.conf")
    return root


REPO = Path(__file__).resolve().parents[2]


def git_env() -> dict[str, str]:
    """This environment with git isolated from the user's config, and an identity to commit."""
    return {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }


def run_git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=git_env(), capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def git(tmp_path: Path) -> Callable[..., str]:
    """Run git in a scratch repository of the test's own, isolated from the user's git config."""
    return run_git


def clone_template(parent: Path) -> Path:
    """A clone of this checkout's last commit: tests change and copy it, never the checkout."""
    clone = parent / "template"
    run_git(parent, "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone))
    return clone


def copy_with_copier(template: Path, dest: Path, name: str, env: dict[str, str]) -> str:
    """`make new-service`'s command, run against ``template``; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "devtools.new_service", "--name", name,
         "--dest", str(dest), "--source", str(template)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return done.stdout
