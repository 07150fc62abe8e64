"""A checkout as a fresh clone has it, cut down to what the Makefile's dev-key rules read.

The venv is faked (an up-to-date install stamp, a ``python`` and a ``pytest`` that only exit 0),
so ``make dev`` and ``make test`` run their real rules in milliseconds and install nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FILES = (
    "Makefile",
    "pyproject.toml",
    "requirements.txt",
    "requirements-dev.txt",
    "docker-compose.yml",
    "devtools/__init__.py",
    "devtools/dev_secret.py",
    "devtools/host_ca.py",
    "certs/README.md",
)
FAKE_TOOLS = ("python", "pytest")


def fresh_tree(dest: Path) -> Path:
    """``dest`` with the files above, no ``secrets/``, and a fake venv the Makefile accepts."""
    an_hour_ago = time.time() - 3600
    for rel in FILES:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / rel, target)
        # Older than the stamps below: make must see the venv as installed.
        os.utime(target, (an_hour_ago, an_hour_ago))
    bin_dir = dest / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in FAKE_TOOLS:
        (bin_dir / tool).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / tool).chmod(0o755)
    for extra in ("dev", "runtime"):
        (dest / ".venv" / f".installed-{extra}").touch()
    return dest


def make(tree: Path, target: str, env: dict[str, str] | None = None) -> None:
    """``make target`` in ``tree``; fails the test with make's output when it fails."""
    done = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=tree,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
