"""`make dev` and `make test` leave the key docker-compose.yml's app_secret_key reads, so the
README's two commands are enough before a bare `docker compose up --build`."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from tests.support.fresh_tree import fresh_tree


def make(tree: Path, target: str) -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_make_test_and_make_dev_write_the_dev_key_once(tmp_path: Path) -> None:
    tree = fresh_tree(tmp_path / "clone")
    key = tree / "secrets" / "app_secret_key"
    assert not key.parent.exists()

    make(tree, "test")
    first = key.read_text()
    assert len(first.strip()) >= 32
    # The folder keeps others out; the file is readable by the container's unprivileged user
    # because plain compose bind-mounts it with the host's mode.
    assert mode(key.parent) == 0o700
    assert mode(key) == 0o644

    make(tree, "dev")
    make(tree, "test")
    assert key.read_text() == first  # never replaced: sessions survive

    key.unlink()
    make(tree, "dev")
    assert key.read_text().strip() not in ("", first.strip())
