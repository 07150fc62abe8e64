"""Fixtures in the shape of Flask's tutorial (``app``, ``client``, ``runner``, ``auth``), each
run twice: on ``flasklite`` and on Flask itself, from the same ``notesapp`` source with only its
imports changed."""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SOURCE = Path(__file__).parent / "notesapp"


@pytest.fixture(params=["flasklite", "flask"])
def framework(request: pytest.FixtureRequest) -> str:
    name = str(request.param)
    if name == "flask":
        pytest.importorskip(
            "flask", reason="Flask itself is in the bench extra: pip install -e '.[bench]'"
        )
    return name


@pytest.fixture
def notes_module(framework: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh copy of ``notesapp`` under a unique name, its imports naming ``framework``."""
    package = f"notesapp_on_{framework}"
    target = tmp_path / "src" / package
    shutil.copytree(SOURCE, target, ignore=shutil.ignore_patterns("__pycache__"))
    for module in target.glob("*.py"):
        text = module.read_text()
        module.write_text(re.sub(r"\bflasklite\b", framework, text))
    monkeypatch.syspath_prepend(str(target.parent))
    yield importlib.import_module(package)
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


@pytest.fixture
def app(notes_module: Any, tmp_path: Path) -> Any:
    app = notes_module.create_app({"TESTING": True, "DATABASE": str(tmp_path / "test.sqlite")})
    with app.app_context():
        notes_module.db.init_db()
        db = notes_module.db.get_db()
        db.execute(
            "INSERT INTO user (username, password) VALUES ('test', ?)",
            (notes_module.auth.generate_password_hash("test"),),
        )
        db.execute("INSERT INTO note (title, body, author_id) VALUES ('first', 'hello', 1)")
        db.commit()
    return app


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client: Any) -> None:
        self.client = client

    def login(self, username: str = "test", password: str = "test") -> Any:
        return self.client.post("/auth/login", json={"username": username, "password": password})

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.login().get_json()['token']}"}


@pytest.fixture
def auth(client: Any) -> AuthActions:
    return AuthActions(client)
