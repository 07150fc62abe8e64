"""Targets for the security tests: the native stack (always) and the compose stack (Docker).

Both are read-only for these tests: nothing here kills or stops a process, so one stack serves
the whole session. The native one runs with the diagnostics endpoints on (the proxy-trust tests
read the environ the app saw) and without worker recycling, so a changed worker pid can only
mean a worker died.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devtools.resilience import nginx_timeout
from tests.stack.checks import (
    SERVICE_STATIC,
    STATIC_PROBE_NAME,
    service_static_file,
    static_probe_dir,
)
from tests.support.prereqs import require_docker, require_executable

BODY_LIMIT = 1024 * 1024  # small enough that an over-limit body is cheap to send
MARGIN = 5.0  # seconds on top of a configured nginx timeout before a wait counts as a hang


@dataclass
class Target:
    """A running stack as the security tests see it."""

    name: str
    url: str
    port: int
    body_limit: int
    header_timeout: float
    body_timeout: float
    diagnostics: bool
    # Live gunicorn worker pids, or None where they cannot be seen (inside a container).
    worker_pids: Callable[[], set[int]] | None = None
    # Everything gunicorn and the app wrote to stderr so far.
    error_log: Callable[[], str] = lambda: ""
    # Direct gunicorn URLs (bypassing nginx), where reachable.
    gunicorn_urls: list[str] = field(default_factory=list)
    # The URL path of a file nginx serves from the static folder (None: the folder is empty).
    static_file: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def host_header(self) -> str:
        return f"127.0.0.1:{self.port}"

    def variables(self) -> dict[str, Any]:
        over = self.body_limit + 1
        return {
            "host": self.host_header,
            "body_limit": self.body_limit,
            "over_body_limit": over,
            "over_body_limit_hex": format(over, "x"),
        }

    @property
    def slow_deadline(self) -> float:
        return max(self.header_timeout, self.body_timeout) + MARGIN


def _read_logs(paths: list[Path]) -> str:
    return "\n".join(p.read_text(errors="replace") for p in paths if p.exists())


@pytest.fixture(scope="session")
def security_native_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require_executable("nginx")
    from devtools.native_stack import NativeStack

    stack = NativeStack(
        app_env={"APP_DIAGNOSTICS": "1", "APP_MAX_CONTENT_LENGTH": str(BODY_LIMIT)},
        static_dir=static_probe_dir(tmp_path_factory.mktemp("static")),
        # No max_requests recycling: a new worker pid must mean a dead worker.
        gunicorn_env={"GUNICORN_MAX_REQUESTS": "0", "GUNICORN_MAX_REQUESTS_JITTER": "0"},
    )
    try:
        with stack:
            yield stack
    finally:
        stack.cleanup()


def native_target(stack: Any) -> Target:
    from devtools.resilience import children

    conf_dir = Path(stack.run_dir) / "nginx"
    return Target(
        name="native",
        url=stack.url,
        port=stack.port,
        body_limit=BODY_LIMIT,
        header_timeout=nginx_timeout("client_header_timeout", 60.0, conf_dir),
        body_timeout=nginx_timeout("client_body_timeout", 60.0, conf_dir),
        diagnostics=True,
        worker_pids=lambda: set().union(*(children(pid) for pid in stack.gunicorn_pids)),
        error_log=lambda: _read_logs(sorted(Path(stack.logs_dir).glob("gunicorn-*.error.log"))),
        gunicorn_urls=list(stack.gunicorn_urls),
        static_file=f"/static/{STATIC_PROBE_NAME}",
    )


def compose_target(compose: Any) -> Target:
    """The compose stack (fixture ``compose_stack`` from the root conftest) as a Target."""
    url = compose.url
    port = int(url.rsplit(":", 1)[1].rstrip("/"))
    limit = int(compose.env.get("APP_MAX_CONTENT_LENGTH", 10 * 1024 * 1024))
    served = service_static_file()  # the image serves the service's own static folder

    return Target(
        name="compose",
        url=url,
        port=port,
        body_limit=limit,
        header_timeout=nginx_timeout("client_header_timeout", 60.0),
        body_timeout=nginx_timeout("client_body_timeout", 60.0),
        diagnostics=compose.env.get("APP_DIAGNOSTICS") == "1",
        static_file=None if served is None else f"/static/{served.relative_to(SERVICE_STATIC)}",
        # `docker compose logs` per case would cost more than the corpus itself; the compose
        # tests read the logs once instead.
        extra={"compose": compose},
    )


TARGETS = ["native", pytest.param("compose", marks=pytest.mark.docker)]


@pytest.fixture(scope="session", params=TARGETS)
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "native":
        return native_target(request.getfixturevalue("security_native_stack"))
    require_docker()
    return compose_target(request.getfixturevalue("compose_stack"))


@pytest.fixture(scope="session")
def native(security_native_stack: Any) -> Target:
    return native_target(security_native_stack)


@pytest.fixture(scope="session")
def compose(compose_stack: Any) -> Target:
    """The compose stack alone, for what exists only there (container settings)."""
    return compose_target(compose_stack)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
