"""A miniature template tree, so the copy rules can be checked in milliseconds without the repo."""

from __future__ import annotations

import os
import stat
import subprocess
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


@pytest.fixture
def git(tmp_path: Path) -> Callable[..., str]:
    """Run git in a scratch repository of the test's own, isolated from the user's git config."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }

    def run(cwd: Path, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    return run
