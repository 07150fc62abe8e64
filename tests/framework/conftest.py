"""Fixtures for the framework tests.

Every app built here has ``wsgiref.validate.validator`` wrapped around its ``wsgi_app``, so every
request a test makes (test client or direct WSGI call) is checked for PEP 3333 conformance, and an
autouse fixture fails any test that leaves an application/request context pushed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.validate import validator

import pytest

from flasklite import Flask
from flasklite.globals import _cv_ctx
from flasklite.testing import FlaskClient

AppFactory = Callable[..., Flask]


@pytest.fixture(autouse=True)
def no_context_left_pushed() -> Iterator[None]:
    assert _cv_ctx.get(None) is None, "a context was already pushed before this test"
    yield
    leaked = []
    while (ctx := _cv_ctx.get(None)) is not None:
        leaked.append(repr(ctx))
        # Undo the innermost push without teardown, so the next test starts clean.
        _cv_ctx.reset(ctx._tokens.pop())
    if leaked:
        pytest.fail(f"test left contexts pushed: {leaked}", pytrace=False)


class BufferedClient(FlaskClient):
    """werkzeug's test client, reading (and so closing) every response body by default: the
    validator rightly fails a response iterator that is garbage collected without ``close()``."""

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> Any:
        return super().open(*args, buffered=buffered, **kwargs)


def validated(app: Flask) -> Flask:
    """Put the PEP 3333 validator between the server side and ``app.wsgi_app``."""
    app.wsgi_app = validator(app.wsgi_app)  # type: ignore[method-assign]
    app.test_client_class = BufferedClient
    return app


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An app root folder with ``templates/`` and ``static/``."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "static").mkdir()
    return tmp_path


@pytest.fixture
def make_app(root: Path) -> AppFactory:
    def factory(**config: Any) -> Flask:
        app = Flask("testapp", root_path=str(root))
        app.config.update(config)
        return validated(app)

    return factory


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def call_wsgi(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI app like a server would: start_response, iterate, close."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    body_iter = app(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        close = getattr(body_iter, "close", None)
        if close is not None:
            close()
    return captured["status"], captured["headers"], body
