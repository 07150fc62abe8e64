"""The images a test session builds: tags of its own, one build up front, all removed at the end.

Compose builds the app image under ``APP_IMAGE`` (``LOCUST_IMAGE`` for the load profile); the
session points both at tags no one else uses (``wsgi-stack-app:test-<session>``), so a test never
overwrites an image a person built, and removes them when it ends. Removing a tag also removes
its untagged parent layers, so nothing the session built stays behind.

The first Docker test builds the app image once with ``--force-rm`` (a failed step leaves no
stopped container) after giving the build the host's CA bundle (devtools/host_ca.py). When that
build fails, the layers it left are removed and every Docker test reports the same reason, once
built instead of a hundred times over.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterable
from pathlib import Path

from devtools import host_ca

REPO_ROOT = Path(__file__).resolve().parents[2]
SESSION = uuid.uuid4().hex[:8]
SESSION_TAGS = {
    "APP_IMAGE": f"wsgi-stack-app:test-{SESSION}",
    "LOCUST_IMAGE": f"wsgi-stack-locust:test-{SESSION}",
}
# The classic builder prints each step's resulting image as " ---> <12 hex digits>".
STEP_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12})\s*$", re.MULTILINE)
BUILD_TIMEOUT = 900  # seconds: a cold build, pip behind a proxy included


class BuildFailed(RuntimeError):
    """The app image did not build; the message says why and how to fix it."""


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def untagged(image_id: str) -> bool:
    done = docker("image", "inspect", "--format", "{{len .RepoTags}}", image_id)
    return done.returncode == 0 and done.stdout.strip() == "0"


def remove_step_images(build_output: str) -> None:
    """Remove the untagged images a build left: every step of a failed one, the builder stage
    of a multi-stage one whose tag is gone (never a tagged image, such as its base)."""
    for image_id in reversed(STEP_IMAGE.findall(build_output)):
        if untagged(image_id):
            # Without --force: a layer another image still builds on stays where it is.
            docker("rmi", image_id)


def provide_host_ca() -> None:
    print(f"tests: {host_ca.provide(REPO_ROOT)}")


def build_app_image(
    base_image: str,
    tag: str = SESSION_TAGS["APP_IMAGE"],
    context: Path = REPO_ROOT,
    *options: str,
) -> str:
    """``docker build`` the app image as compose does, or raise BuildFailed; returns the
    build's output (``remove_step_images`` of it removes what the build made but did not tag,
    such as the builder stage's image)."""
    argv = ["build", "--force-rm", *options, "--tag", tag]
    done = subprocess.run(
        ["docker", *argv, "--build-arg", f"PYTHON_IMAGE={base_image}", "."],
        cwd=context,
        # The classic builder: what works without the buildx plugin, and what prints step ids.
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    if done.returncode == 0:
        return done.stdout
    remove_step_images(done.stdout)
    output = (done.stdout + done.stderr)[-1500:]
    hints = []
    if "CERTIFICATE_VERIFY_FAILED" in output or "No matching distribution" in output:
        hints.append("pip in the build cannot reach the index: see certs/README.md")
    if re.search(r"pull access denied|failed to resolve|no such host|manifest unknown", output):
        hints.append("no registry for the base image: run `make standins` once")
    raise BuildFailed(
        f"the app image does not build from {base_image} ({'; '.join(hints) or 'see below'}):\n"
        f"{output}"
    )


def remove_session_images(tags: Iterable[str] = SESSION_TAGS.values()) -> list[str]:
    """Remove every image tagged for this session; return the tags that were removed."""
    listed = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", timeout=60)
    if listed.returncode != 0:
        return []
    wanted = set(tags)
    ours = [ref for ref in listed.stdout.split() if ref in wanted]
    if ours:
        docker("rmi", "--force", *ours, timeout=300)
    return ours


def base_image(standins: dict[str, str]) -> str:
    """The base the compose builds use: the local stand-in where it exists (no registry)."""
    return standins.get("PYTHON_IMAGE") or os.environ.get("PYTHON_IMAGE") or "python:3.12-slim"
