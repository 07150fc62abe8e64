from __future__ import annotations

from collections.abc import Iterator

import pytest

from app import create_app
from app.config import DEFAULTS, ENV_PREFIX
from flasklite import Flask

# Every APP_* variable the service reads: cleared so a developer's shell cannot change results.
SERVICE_ENV = tuple(f"{ENV_PREFIX}_{key}" for key in DEFAULTS)


@pytest.fixture(autouse=True)
def clean_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SERVICE_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def app() -> Iterator[Flask]:
    yield create_app({"TESTING": True, "INSTANCE_NAME": "test-replica"})


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()
