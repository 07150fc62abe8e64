"""Fixtures for the contract matrix: one running server at a time, always stopped.

``server`` is parametrised over every server in ``devtools.servers.SERVER_NAMES`` with session
scope, so pytest groups the tests by server: each server starts once, runs every contract test,
and is stopped (process group killed) before the next one starts, also when a test fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.servers import SERVER_NAMES, Server, make_server
from tests.support.prereqs import require_executable


def start_server(name: str, url_prefix: str | None = None) -> Server:
    if name == "nginx-gunicorn":
        # Skips locally with a how-to when nginx is missing; fails under CI=true.
        require_executable("nginx")
    server = make_server(name, url_prefix=url_prefix)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session", params=SERVER_NAMES)
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    running = start_server(request.param)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def prefixed_stack() -> Iterator[Server]:
    """nginx → gunicorn with the app mounted under /prefix (X-Forwarded-Prefix + ProxyFix)."""
    running = start_server("nginx-gunicorn", url_prefix="/prefix")
    try:
        yield running
    finally:
        running.stop()
