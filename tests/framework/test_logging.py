"""``app.logger``: named after the app, with a default handler only when nothing else prints."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Callable, Iterator

import pytest

from flasklite import Flask
from flasklite.logging import default_handler

from .conftest import AppFactory


@pytest.fixture
def isolated_logger() -> Iterator[Callable[[], logging.Logger]]:
    """Make a fresh logger that does not propagate to the root logger.

    Called inside the test body: pytest attaches its capture handlers to non-propagating loggers
    at the start of each test phase, which would hide the "no handler" situation under test.
    """
    names: list[str] = []

    def make() -> logging.Logger:
        names.append(f"isolated_{uuid.uuid4().hex}")
        logger = logging.getLogger(names[-1])
        logger.propagate = False
        return logger

    yield make
    for name in names:
        logging.getLogger(name).handlers.clear()
        logging.Logger.manager.loggerDict.pop(name, None)


def test_logger_is_named_after_the_app(app: Flask) -> None:
    assert app.logger.name == "testapp"
    assert app.logger is app.logger


def test_default_handler_added_when_nothing_would_print(
    isolated_logger: Callable[[], logging.Logger],
) -> None:
    app = Flask(isolated_logger().name)
    assert default_handler in app.logger.handlers


def test_no_default_handler_when_the_app_configured_logging(
    isolated_logger: Callable[[], logging.Logger],
) -> None:
    logger = isolated_logger()
    logger.addHandler(logging.NullHandler())
    app = Flask(logger.name)
    assert default_handler not in app.logger.handlers


def test_debug_app_logs_debug_messages(isolated_logger: Callable[[], logging.Logger]) -> None:
    app = Flask(isolated_logger().name)
    app.debug = True
    assert app.logger.isEnabledFor(logging.DEBUG)


def test_default_format_includes_the_request_id(
    make_app: AppFactory,
    isolated_logger: Callable[[], logging.Logger],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(default_handler, "stream", stream)
    app = make_app()
    app.import_name = isolated_logger().name  # the logger is looked up by the app's name

    @app.get("/")
    def boom() -> str:
        raise RuntimeError("kaput")

    response = app.test_client().get("/", environ_base={"REQUEST_ID": "req-77"})
    assert response.status_code == 500
    output = stream.getvalue()
    assert "[req-77]" in output and "Exception on / [GET]" in output
    assert output.count("Traceback (most recent call last)") == 1


def test_default_handler_writes_to_the_servers_error_stream(
    make_app: AppFactory, isolated_logger: Callable[[], logging.Logger]
) -> None:
    app = make_app()
    app.import_name = isolated_logger().name

    @app.get("/")
    def index() -> str:
        app.logger.warning("inside the request")
        return "ok"

    errors = io.StringIO()
    app.test_client().get("/", errors_stream=errors)
    assert "inside the request" in errors.getvalue()
