from __future__ import annotations

import json
import logging

import pytest

from app import create_app


def test_browser_gets_an_html_404_page(client) -> None:
    response = client.get("/missing", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>404 Not Found</h1>" in response.get_data(as_text=True)


def test_json_client_gets_a_json_404(client) -> None:
    response = client.get("/missing", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"] == {
        "code": 404,
        "name": "Not Found",
        "message": response.json["error"]["message"],
    }
    assert response.json["error"]["message"]


def test_api_paths_answer_json_whatever_the_accept_header(client) -> None:
    response = client.get("/api/nothing-here", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "application/json"


def test_missing_trailing_slash_redirect_is_not_turned_into_an_error_page() -> None:
    app = create_app({"TESTING": True})

    @app.get("/docs/")
    def docs() -> str:
        return "docs"

    response = app.test_client().get("/docs")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/docs/")


@pytest.fixture
def failing_app():
    app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    @app.get("/explode")
    def explode() -> str:
        raise RuntimeError("secret-internal-detail")

    return app


def test_unhandled_exception_is_500_without_traceback(failing_app) -> None:
    for accept in ("text/html", "application/json"):
        response = failing_app.test_client().get("/explode", headers={"Accept": accept})
        assert response.status_code == 500
        body = response.get_data(as_text=True)
        assert "secret-internal-detail" not in body
        assert "Traceback" not in body
        assert "X-Request-ID" in body


def test_unhandled_exception_is_logged_once_as_json_with_request_id(failing_app, capsys) -> None:
    response = failing_app.test_client().get("/explode", headers={"X-Request-ID": "trace-me-42"})
    assert response.status_code == 500
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    errors = [json.loads(line) for line in lines if '"ERROR"' in line]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "trace-me-42"
    assert "secret-internal-detail" in errors[0]["exception"]


def test_app_logger_prints_each_line_once(app, capsys) -> None:
    with app.test_request_context("/"):
        app.logger.warning("only once")
    err = capsys.readouterr().err
    assert err.count("only once") == 1
    assert logging.getLogger(app.logger.name).propagate is False
