"""The app_secret_key secret resolves to secrets/app_secret_key, the file `make test` writes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.support.fresh_tree import fresh_tree, make
from tests.support.prereqs import require_docker


def test_compose_reads_the_key_make_test_writes(tmp_path: Path) -> None:
    docker = require_docker()
    tree = fresh_tree(tmp_path / "clone")
    make(tree, "test")
    # The shell's own choices (a test session's, a developer's) must not stand in for the default.
    env = {k: v for k, v in os.environ.items() if k != "APP_SECRET_KEY_PATH"}
    env.pop("COMPOSE_FILE", None)
    done = subprocess.run(
        [docker, "compose", "config", "--format", "json"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    secret = json.loads(done.stdout)["secrets"]["app_secret_key"]
    assert Path(secret["file"]) == tree / "secrets" / "app_secret_key"
    assert Path(secret["file"]).is_file()
