from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
def app(tmp_path: Path) -> Iterator[Flask]:
    # An empty instance folder of its own (a developer's instance/config.py must not count) and
    # a fresh SQLite file in it, migrated on first use.
    database = f"sqlite:///{tmp_path / 'app.db'}"
    app = create_app(
        {"TESTING": True, "INSTANCE_NAME": "test-replica", "DATABASE_URL": database},
        instance_path=str(tmp_path),
    )
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()
