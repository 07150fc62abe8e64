"""A fresh clone, with nothing from provisioning, builds the app image after `make build-certs`.

`make up` and the test session run that step themselves; behind a TLS-intercepting proxy (this
project's CI) the build's pip fails without it. ``--no-cache`` so pip really runs: with the
cache, an image built from this checkout's certs/ would hide a clone that lacks them.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from devtools.compose_stack import standin_env
from tests.support import images

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1200)]


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_fresh_clone_builds_the_app_image_with_no_manual_step(tmp_path: Path) -> None:
    inside = run(["git", "rev-parse", "--is-inside-work-tree"], images.REPO_ROOT)
    if inside.stdout.strip() != "true":
        pytest.skip("not a git checkout: commit the service first (git init && git commit)")
    clone = tmp_path / "clone"
    cloned = run(["git", "clone", "--quiet", "--no-hardlinks", str(images.REPO_ROOT), str(clone)],
                 tmp_path)  # fmt: skip
    assert cloned.returncode == 0, cloned.stderr
    assert [p.name for p in (clone / "certs").iterdir()] == ["README.md"]

    certs = run(["make", "--no-print-directory", "build-certs"], clone)
    assert certs.returncode == 0, certs.stderr
    tag = f"{images.SESSION_TAGS['APP_IMAGE']}-clone-{uuid.uuid4().hex[:6]}"
    try:
        images.build_app_image(images.base_image(standin_env()), tag, clone, "--no-cache")
    except images.BuildFailed as failure:
        pytest.fail(f"{certs.stderr}{failure}", pytrace=False)
    finally:
        images.docker("rmi", "--force", tag, timeout=300)
