"""Fixtures for the load-test tooling: a native nginx -> gunicorn stack, ``_common`` imported.

Every locust run here is short (a few seconds, seven users: one per shape) and talks only to a
stack this suite started on free loopback ports; every stack is stopped in teardown.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

# Importing locust monkey-patches the whole interpreter for gevent. In a pytest process that has
# already imported ssl/urllib3 (other suites), that patching recurses and fails collection, and
# it would turn every other suite's threads into greenlets. The tests here use locust in-process
# only for its data types; real load runs are subprocesses, which patch for themselves. So: import
# it once, unpatched, before anything else does, and leave the variable unset for subprocesses.
os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
try:
    import locust  # noqa: F401
finally:
    del os.environ["LOCUST_SKIP_MONKEY_PATCH"]

from tests.loadtests.helpers import LOCUSTFILES
from tests.support.prereqs import require_executable


def start_stack() -> Any:
    require_executable("nginx")
    from devtools.native_stack import NativeStack

    stack = NativeStack()
    stack.start()
    return stack


def running_stack() -> Iterator[Any]:
    """A started stack, stopped and removed afterwards even when the test fails."""
    native = start_stack()
    try:
        yield native
    finally:
        native.stop()
        native.cleanup()


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    """nginx -> gunicorn (the app) on free loopback ports, shared by a module's read-only runs."""
    yield from running_stack()


@pytest.fixture()
def own_stack() -> Iterator[Any]:
    """A stack for one test that breaks it (stops the upstream)."""
    yield from running_stack()


@pytest.fixture(scope="session")
def common() -> ModuleType:
    """``loadtests/_common.py`` imported the way the locustfiles import it (as ``_common``)."""
    existing = sys.modules.get("_common")
    if existing is not None:
        return existing
    spec = importlib.util.spec_from_file_location("_common", LOCUSTFILES / "_common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_common"] = module
    spec.loader.exec_module(module)
    return module
