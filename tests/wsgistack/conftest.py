"""A service of one route with the machinery mounted: what wsgistack gives any service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

import wsgistack
from flasklite import Flask
from wsgistack.settings import DEFAULTS, ENV_PREFIX

MakeService = Callable[..., Flask]


@pytest.fixture(autouse=True)
def clean_machinery_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's APP_* variables (diagnostics on, say) must not change what is tested here.
    for key in DEFAULTS:
        monkeypatch.delenv(f"{ENV_PREFIX}_{key}", raising=False)


def one_route_service(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    wsgistack.load_settings(app, {"TESTING": True, **(overrides or {})})

    @app.get("/")
    def index() -> str:
        return "one route"

    wsgistack.install(app)
    return app


@pytest.fixture
def make_service() -> MakeService:
    return one_route_service


@pytest.fixture
def diag_client():  # type: ignore[no-untyped-def]
    return one_route_service({"DIAGNOSTICS": True}).test_client()
