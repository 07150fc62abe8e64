"""Skip-or-fail policy for tests that need programs outside the venv (nginx, Docker).

Locally a missing prerequisite skips the test with a reason that says how to get it; under
``CI=true`` the same gap fails, so CI can never go green by silently skipping the stack tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

PROVISION_HINT = "run `sudo bash .ci/provision.sh` (Debian) to install and start it"


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(what: str, how: str = PROVISION_HINT) -> None:
    """Skip (locally) or fail (CI) because ``what`` is not available."""
    message = f"{what} is not available; {how}"
    if running_in_ci():
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


def require_executable(name: str, how: str = PROVISION_HINT) -> str:
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None
    )
    if path is None:
        missing(f"the `{name}` program", how)
        raise AssertionError("unreachable")
    return path


def require_docker() -> str:
    """Return the docker CLI path once the engine and Compose v2 both answer."""
    docker = require_executable("docker")
    probes = ([docker, "info", "--format", "{{.ServerVersion}}"], [docker, "compose", "version"])
    for argv in probes:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            missing(f"`{' '.join(argv[1:])}` (it timed out)")
        if done.returncode != 0:
            missing(f"`{' '.join(argv[1:])}` ({done.stderr.strip()[:200]})")
    return docker
