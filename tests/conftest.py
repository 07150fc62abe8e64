"""Session fixtures shared by every test folder: the native stack and the compose stack.

Both start once per test session and are stopped at its end, even when tests fail. Tests that
stop, kill or reconfigure something start their own instance instead
(``NativeStack(...)`` / ``ComposeStack(...)``), so they cannot break the shared one.

The session touches nothing global: the images it builds carry tags of its own and are removed
at its end (tests/support/images.py), and the Swarm tests, which join and leave a swarm on the
machine's engine, run only when ``-m`` names them (``make test-swarm``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support import images
from tests.support.prereqs import require_docker, require_executable, running_in_ci

if TYPE_CHECKING:
    from devtools.compose_stack import ComposeStack
    from devtools.native_stack import NativeStack

# Shared check functions live outside test modules: let pytest explain their failed asserts.
pytest.register_assert_rewrite("tests.stack.checks")

# The diagnostics endpoints (/_diag/*, wsgistack/diagnostics.py) are what the stack tests inspect
# the app through; like the probes (/_probe/*), every service has them, so these tests never
# depend on the service's own routes.
TEST_APP_ENV = {"APP_DIAGNOSTICS": "1"}


def pytest_configure(config: pytest.Config) -> None:
    # Every compose build of the session (ComposeStack, devtools.swarm) reads these.
    os.environ.update(images.SESSION_TAGS)


@pytest.hookimpl(tryfirst=True)
def pytest_itemcollected(item: pytest.Item) -> None:
    """A test that builds or runs the app image needs Docker, marked or not: mark it, so that
    ``-m "not docker"`` leaves it out."""
    if IMAGE_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.docker)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the Swarm tests out unless ``-m`` names them: `docker swarm leave --force` cuts
    Docker's embedded DNS for containers already running on this engine, so every compose stack
    up at that moment (a person's own above all) answers 502 afterwards. When they are selected,
    run them last, after the shared compose stack; the sort is stable."""
    if "swarm" not in (config.option.markexpr or ""):
        swarm = [item for item in items if item.get_closest_marker("swarm") is not None]
        if swarm:
            config.hook.pytest_deselected(items=swarm)
            items[:] = [item for item in items if item.get_closest_marker("swarm") is None]
    items.sort(key=lambda item: item.get_closest_marker("swarm") is not None)


# Set by the first Docker test: whether the session's app image was built, and if not, why.
_app_image: dict[str, str] = {}
# Fixtures that build or run the app image, in tests that may lack the `docker` marker.
IMAGE_FIXTURES = frozenset({"app_image", "compose_stack"})


def ensure_app_image() -> None:
    """Build the app image once under the session's tag, after giving the build the host's CA;
    when it cannot be built, skip (fail under CI=true) with the reason, in every Docker test."""
    require_docker()
    if not _app_image:
        from devtools.compose_stack import standin_env

        images.provide_host_ca()
        try:
            images.build_app_image(images.base_image(standin_env()))
            _app_image["problem"] = ""
        except images.BuildFailed as failure:
            _app_image["problem"] = str(failure)
    if _app_image["problem"]:
        if running_in_ci():
            pytest.fail(f"CI=true but {_app_image['problem']}", pytrace=False)
        pytest.skip(_app_image["problem"])


def pytest_runtest_setup(item: pytest.Item) -> None:
    fixtures = set(getattr(item, "fixturenames", ()))
    if item.get_closest_marker("docker") is not None or fixtures & IMAGE_FIXTURES:
        ensure_app_image()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Also after a run without Docker tests: a test may have built through compose on its own.
    if shutil.which("docker"):
        images.remove_session_images()


@pytest.fixture(scope="session")
def native_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NativeStack]:
    """nginx -> one gunicorn on loopback, from the repository's own configs (diagnostics on),
    serving a static folder of the tests' own (tests/stack/checks.py's STATIC_PROBE)."""
    require_executable("nginx")
    from devtools.native_stack import NativeStack
    from tests.stack.checks import static_probe_dir

    static = static_probe_dir(tmp_path_factory.mktemp("static"))
    stack = NativeStack(app_env=TEST_APP_ENV, static_dir=static)
    try:
        with stack:
            yield stack
    finally:
        stack.cleanup()


@pytest.fixture(scope="session")
def compose_stack() -> Iterator[ComposeStack]:
    """`docker compose up --build --wait` of docker-compose.yml on a free 127.0.0.1 port."""
    ensure_app_image()  # also when a test asks for it by name (getfixturevalue)
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
