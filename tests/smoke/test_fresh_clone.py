"""A fresh clone, with nothing from provisioning, builds and runs as the README says.

No venv, no ``certs/``, no ``.env``: what a new user has. The image build needs the host's CA
behind a TLS-intercepting proxy (this project's CI); `make build-certs` provides it, and `make up`
runs that step itself. On a machine without a registry the one extra command is `make standins`.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Mapping
from pathlib import Path

import pytest

from devtools.compose_stack import STANDIN_IMAGES, docker_image_exists, standin_env
from devtools.native_stack import free_port, http_status
from tests.support import images

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1200)]


def run(
    argv: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inside = run(["git", "rev-parse", "--is-inside-work-tree"], images.REPO_ROOT)
    if inside.stdout.strip() != "true":
        pytest.skip("not a git checkout: commit the service first (git init && git commit)")
    clone = tmp_path_factory.mktemp("fresh") / "clone"
    argv = ["git", "clone", "--quiet", "--no-hardlinks", str(images.REPO_ROOT), str(clone)]
    cloned = run(argv, images.REPO_ROOT)
    assert cloned.returncode == 0, cloned.stderr
    assert [p.name for p in (clone / "certs").iterdir()] == ["README.md"]
    assert not (clone / ".env").exists()
    return clone


def test_fresh_clone_builds_the_app_image_after_make_build_certs(clone: Path) -> None:
    certs = run(["make", "--no-print-directory", "build-certs"], clone)
    assert certs.returncode == 0, certs.stderr
    # --no-cache so pip really runs: an image cached from this checkout's certs/ would hide a
    # clone that lacks them.
    tag = f"{images.SESSION_TAGS['APP_IMAGE']}-clone-{uuid.uuid4().hex[:6]}"
    output = ""
    try:
        output = images.build_app_image(images.base_image(standin_env()), tag, clone, "--no-cache")
    except images.BuildFailed as failure:
        pytest.fail(f"{certs.stderr}{failure}", pytrace=False)
    finally:
        images.docker("rmi", "--force", tag, timeout=300)
        # Uncached, the builder stage is an image of this build's alone, which no tag keeps.
        images.remove_step_images(output)
    left = [step for step in images.STEP_IMAGE.findall(output) if images.untagged(step)]
    assert not left, f"the build left untagged images behind: {left}"


def test_make_standins_then_make_up_serves_the_stack(clone: Path) -> None:
    if not all(docker_image_exists(image) for image in STANDIN_IMAGES.values()):
        pytest.skip("the stand-in base images are not built here (`make standins` builds them)")
    # No PYTHON_IMAGE/NGINX_IMAGE from the shell: only .env, as `make standins` wrote it, picks
    # the base images. A project, port and image tag of the test's own (the shell beats .env).
    env = {key: value for key, value in os.environ.items() if key not in STANDIN_IMAGES}
    env["COMPOSE_PROJECT_NAME"] = f"wsgi-stack-fresh-{uuid.uuid4().hex[:8]}"
    env["HTTP_PORT"] = str(free_port())
    env["APP_IMAGE"] = f"{images.SESSION_TAGS['APP_IMAGE']}-up-{uuid.uuid4().hex[:6]}"

    def in_clone(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv), cwd=clone, env=env, capture_output=True, text=True, timeout=timeout
        )

    standins = in_clone("make", "--no-print-directory", "standins")
    assert standins.returncode == 0, standins.stderr[-2000:]
    dotenv = (clone / ".env").read_text()
    for name, image in STANDIN_IMAGES.items():
        assert f"\n{name}={image}\n" in f"\n{dotenv}", dotenv
    try:
        up = in_clone("make", "--no-print-directory", "up", timeout=900)
        assert up.returncode == 0, (up.stdout + up.stderr)[-3000:]
        assert http_status(int(env["HTTP_PORT"]), "/_probe/text") == 200
    finally:
        in_clone("docker", "compose", "down", "--volumes", "--remove-orphans", "--timeout", "20")
        images.docker("rmi", "--force", env["APP_IMAGE"], timeout=300)
