from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.k8s.render import BASE, TREES, render


@pytest.fixture(scope="session")
def rendered() -> dict[Path, list[dict[str, Any]]]:
    """Every kustomization (the base and each overlay) rendered once for the whole session."""
    return {tree: render(tree) for tree in TREES}


@pytest.fixture(scope="session")
def base_objects(rendered: dict[Path, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return rendered[BASE]
