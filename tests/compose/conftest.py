"""Fixtures for the compose tests: Docker and Compose v2 must answer (skip locally, fail in CI)."""

from __future__ import annotations

import pytest

from tests.support.prereqs import require_docker


@pytest.fixture(autouse=True)
def _needs_docker() -> None:
    require_docker()
