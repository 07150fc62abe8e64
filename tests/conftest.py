"""Session fixtures shared by every test folder: the native stack and the compose stack.

Both start once per test session and are stopped at its end, even when tests fail. Tests that
stop, kill or reconfigure something start their own instance instead
(``NativeStack(...)`` / ``ComposeStack(...)``), so they cannot break the shared one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.prereqs import require_docker, require_executable

if TYPE_CHECKING:
    from devtools.compose_stack import ComposeStack
    from devtools.native_stack import NativeStack

# Shared check functions live outside test modules: let pytest explain their failed asserts.
pytest.register_assert_rewrite("tests.stack.checks")

# The diagnostics endpoints (/_diag/*) are what the stack tests inspect the app through.
TEST_APP_ENV = {"APP_DIAGNOSTICS": "1"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the Swarm tests last. On this engine `docker swarm leave --force` cuts Docker's
    embedded DNS for containers that were already running, so every compose stack up at that
    moment (the shared one above all) answers 502 afterwards. The sort is stable: all other
    tests keep their order."""
    items.sort(key=lambda item: item.get_closest_marker("swarm") is not None)


@pytest.fixture(scope="session")
def native_stack() -> Iterator[NativeStack]:
    """nginx -> one gunicorn on loopback, from the repository's own configs (diagnostics on)."""
    require_executable("nginx")
    from devtools.native_stack import NativeStack

    stack = NativeStack(app_env=TEST_APP_ENV)
    try:
        with stack:
            yield stack
    finally:
        stack.cleanup()


@pytest.fixture(scope="session")
def compose_stack() -> Iterator[ComposeStack]:
    """`docker compose up --build --wait` of docker-compose.yml on a free 127.0.0.1 port."""
    require_docker()
    from devtools.compose_stack import ComposeStack

    with ComposeStack(env=TEST_APP_ENV, name="session") as stack:
        yield stack


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When a test using a shared stack fails, show that stack's recent logs in the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    compose = funcargs.get("compose_stack")
    if compose is not None:
        report.sections.append(("compose_stack logs", compose.logs(tail=80)))
    native = funcargs.get("native_stack")
    if native is not None:
        from devtools.native_stack import tail

        for path in sorted(native.logs_dir.glob("*.log")):
            report.sections.append((f"native_stack {path.name}", tail(path, 40)))
