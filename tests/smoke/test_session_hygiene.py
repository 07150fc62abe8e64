"""`make test` touches nothing global: its own image tags, removed after; no Swarm unless asked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devtools.compose_stack import STANDIN_IMAGES, docker_image_exists
from tests.support import images


def collected(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=images.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout


def test_swarm_tests_run_only_when_the_marker_expression_names_them() -> None:
    swarm_test = "tests/scale/test_swarm.py::"
    assert swarm_test not in collected("tests/scale")
    assert swarm_test not in collected("-m", "docker", "tests/scale")
    assert swarm_test in collected("-m", "swarm", "tests/scale")


def test_compose_builds_of_the_session_use_its_own_tags() -> None:
    for name, tag in images.SESSION_TAGS.items():
        assert os.environ[name] == tag
        assert tag.endswith(f":test-{images.SESSION}")


@pytest.mark.docker
def test_session_images_are_removed_and_their_base_kept() -> None:
    base = STANDIN_IMAGES["PYTHON_IMAGE"]
    if not docker_image_exists(base):
        pytest.skip(f"{base} is not built here (`make standins` builds it)")
    probe = f"{images.SESSION_TAGS['APP_IMAGE']}-probe"
    assert images.docker("tag", base, probe).returncode == 0
    assert images.remove_session_images([probe]) == [probe]
    assert not docker_image_exists(probe)
    assert docker_image_exists(base)
