"""`make dev-docker`'s stack (docker-compose.yml + compose.dev.yaml): a view added to app/pages.py
on the host is served through nginx without a rebuild or restart.

Runs on a copy of the files the stack mounts, so the edit never touches this checkout, under a
project name of its own; the session's app image is reused (the code comes from the mount).
"""

from __future__ import annotations

import http.client
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.compose_stack import ComposeStack
from devtools.native_stack import HOST, http_status

REPO = Path(__file__).resolve().parents[2]
DEV_FILE = "compose.dev.yaml"
STACK_FILES = ("docker-compose.yml", DEV_FILE, "gunicorn.conf.py", "Dockerfile", ".dockerignore")
STACK_DIRS = ("app", "flasklite", "wsgistack", "nginx", "deploy")
PROBE = "/dev-loop-probe"
ANSWER = "served fresh from the host"
NEW_VIEW = f'''

@pages.get("{PROBE}")
def dev_loop_probe() -> str:  # an edit made while the dev stack runs
    return "{ANSWER}"
'''
pytestmark = [pytest.mark.docker, pytest.mark.slow]


class DevStack(ComposeStack):
    """The compose project with the dev override file layered on top."""

    def compose_argv(self, *args: str) -> list[str]:
        return [*super().compose_argv(), "--file", str(self.project_dir / DEV_FILE), *args]


@pytest.fixture
def dev_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for folder in STACK_DIRS:
        shutil.copytree(REPO / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in STACK_FILES:
        shutil.copy2(REPO / name, tree / name)
    return tree


@pytest.fixture
def dev_stack(dev_tree: Path) -> Iterator[DevStack]:
    with DevStack(name="devloop", build=False, project_dir=dev_tree) as stack:
        yield stack


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_an_edited_view_is_served_through_nginx_without_a_rebuild(
    dev_stack: DevStack, dev_tree: Path
) -> None:
    command = dev_stack.inspect(dev_stack.container_ids("app")[0])["Config"]["Cmd"]
    assert "--reload" in command
    assert http_status(dev_stack.port, PROBE) == 404

    views = dev_tree / "app" / "pages.py"
    views.write_text(views.read_text() + NEW_VIEW)
    # Bounded: the poll reloader notices within a second or two, the worker then re-imports.
    answer: tuple[int, str] | None = None
    for _ in range(120):
        try:
            answer = get(dev_stack.port, PROBE)
        except OSError:
            answer = None
        if answer and answer[0] == 200:
            break
        time.sleep(0.5)
    assert answer == (200, ANSWER), dev_stack.logs("app", tail=40)
