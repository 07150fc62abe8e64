"""The boundary between the machinery and the example: replace the example service with a service
of one route, and the machinery's tests, ``make bench`` and ``make load`` still pass.

A copy of this checkout (the files git tracks, as they are in the working tree) loses what the
layout calls the example (docs/structure.md: ``EXAMPLE_PATHS`` below) and gets a one-route
``app`` package instead; then, inside the copy, with this checkout's venv: the machinery test
folders that need no Docker, a quick ``make bench`` and a short ``make load`` against the native
stack (``make stack``). Nothing is installed: the copy is put first on ``PYTHONPATH``, and make
is told (``-o``) that the venv's install stamps are up to date.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from devtools.native_stack import free_port
from tests.support.prereqs import require_executable

pytestmark = [pytest.mark.nginx, pytest.mark.slow, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)

#: What the layout calls the example service: docs/structure.md lists each path as yours.
EXAMPLE_PATHS = (
    "app",
    "alembic.ini",
    "tests/service",
    "tests/db",
    "tests/compat",
    "loadtests/example_db_read.py",
    "loadtests/example_db_write.py",
    "loadtests/example_template_page.py",
)

#: Machinery test folders that need no Docker; run in the copy against the one-route service.
MACHINERY_TESTS = (
    "tests/wsgistack",
    "tests/contract",
    "tests/security",
    "tests/smoke",
    "tests/stack",
    "tests/loadtests/test_runs.py",
    "tests/loadtests/test_locustfiles.py",
)

ONE_ROUTE_SERVICE = '''\
"""A service of one route, with the machinery mounted the way every service mounts it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import wsgistack
from flasklite import Flask


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    wsgistack.load_settings(app, overrides)

    @app.get("/")
    def index() -> dict[str, str]:
        return {"service": "one route"}

    wsgistack.install(app)
    return app
'''

ONE_ROUTE_WSGI = '''\
"""The production entry point: ``gunicorn app.wsgi:app``."""

from __future__ import annotations

from app import create_app
from wsgistack import for_production

app = for_production(create_app())
'''


def test_the_layout_lists_every_example_path_as_yours() -> None:
    layout = (REPO / "docs" / "structure.md").read_text()
    yours = [line for line in layout.splitlines() if line.startswith("|") and "yours" in line]
    for path in EXAMPLE_PATHS:
        assert any(f"`{path}" in line for line in yours), f"{path} is not listed as yours"


def tracked_files() -> list[str]:
    done = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return [name for name in done.stdout.split("\0") if name]


def copy_without_the_example(target: Path) -> Path:
    """This checkout's tracked files, minus the example, plus the one-route service."""
    for name in tracked_files():
        source = REPO / name
        if not source.is_file():
            continue  # deleted in the working tree
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination, follow_symlinks=False)
    for path in EXAMPLE_PATHS:
        gone = target / path
        if gone.is_dir():
            shutil.rmtree(gone)
        else:
            gone.unlink()
    (target / "app").mkdir()
    (target / "app" / "__init__.py").write_text(ONE_ROUTE_SERVICE)
    (target / "app" / "wsgi.py").write_text(ONE_ROUTE_WSGI)
    return target


def copy_env(copy: Path) -> dict[str, str]:
    """The copy's packages first, this venv's tools, no settings from the caller's shell."""
    env = {
        key: value
        for key, value in os.environ.items()
        # pytest-cov's COV_CORE_* would make every process in the copy write to this run's data.
        if not key.startswith(("APP_", "LOAD_", "DATABASE_", "PYTEST_", "COV_CORE_"))
    }
    env["PYTHONPATH"] = str(copy)
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(copy: Path, argv: list[str], timeout: float, **env: str) -> str:
    done = subprocess.run(
        argv,
        cwd=copy,
        env={**copy_env(copy), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(argv)} failed in the copy:\n{output[-6000:]}"
    return output


def make(copy: Path, target: str, stamp: str, *args: str, timeout: float = 180) -> str:
    """``make target`` in the copy with this checkout's venv, its install stamp taken as done."""
    argv = ["make", "-o", f"{VENV}/.installed-{stamp}", f"VENV={VENV}", target, *args]
    return run(copy, argv, timeout)


@pytest.fixture(scope="module")
def one_route_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_executable("nginx")
    return copy_without_the_example(tmp_path_factory.mktemp("boundary") / "service")


def test_the_copy_serves_one_route_and_no_example_code(one_route_copy: Path) -> None:
    code = "import json, app.wsgi; print(json.dumps([r.rule for r in app.wsgi.app.url_map.iter_rules()]))"
    output = run(one_route_copy, [sys.executable, "-c", code], 60, APP_SECRET_KEY="k" * 40)
    rules = set(json.loads(output.strip().splitlines()[-1]))
    assert "/" in rules and "/healthz" in rules and "/_probe/text" in rules
    assert not any(rule.startswith("/api/") for rule in rules)
    assert not (one_route_copy / "app" / "items.py").exists()


def test_machinery_tests_pass_against_a_one_route_service(one_route_copy: Path) -> None:
    argv = [
        str(VENV / "bin" / "pytest"),
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(one_route_copy),
        "-m",
        "not swarm and not docker",
        *MACHINERY_TESTS,
    ]
    output = run(one_route_copy, argv, timeout=420)
    assert " passed" in output and " failed" not in output, output[-3000:]


def test_make_dev_serves_a_one_route_service_without_a_main_module(one_route_copy: Path) -> None:
    # The dev server is machinery too: a service needs no `__main__` of its own for `make dev`.
    assert not (one_route_copy / "app" / "__main__.py").exists()
    port = free_port()
    argv = ["make", "-o", f"{VENV}/.installed-runtime", f"VENV={VENV}", "dev", f"PORT={port}"]
    server = subprocess.Popen(
        argv,
        cwd=one_route_copy,
        env={**copy_env(one_route_copy), "APP_SECRET_KEY": "k" * 40},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # make, the reloader and its child end together below
    )
    try:
        deadline = time.monotonic() + 60
        body = b""
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                    body = reply.read()
                break
            except OSError:
                time.sleep(0.3)
        assert json.loads(body or b"null") == {"service": "one route"}, server.poll()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)
        if server.stderr is not None:
            server.stderr.close()


def test_make_bench_runs_against_a_one_route_service(one_route_copy: Path) -> None:
    output = make(one_route_copy, "bench", "bench", "BENCH_QUICK=1")
    assert "/_probe/text" in output  # the metrics-cost table, on the probe routes
    assert list((one_route_copy / "bench" / "results").glob("dispatch-*.json"))


def test_make_load_runs_against_the_native_stack_of_a_one_route_service(
    one_route_copy: Path,
) -> None:
    port = str(free_port())
    env = {"STACK_PORT": port}
    stack = ["make", "-o", f"{VENV}/.installed-runtime", f"VENV={VENV}"]
    run(one_route_copy, [*stack, "stack"], 120, **env)
    try:
        output = make(
            one_route_copy,
            "load",
            "test",
            f"HOST=http://127.0.0.1:{port}",
            "USERS=6",
            "SPAWN_RATE=6",
            "RUN_TIME=8s",
            timeout=180,
        )
    finally:
        run(one_route_copy, [*stack, "stack-down"], 120, **env)
    assert "load gate: PASS" in output, output[-3000:]
    for shape in ("static", "converter", "post", "not_found", "head", "stream"):
        assert f"\n{shape} " in output, f"no {shape} row:\n{output[-3000:]}"
