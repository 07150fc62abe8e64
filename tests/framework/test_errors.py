"""Error handlers, exception propagation, the 500 path and the default error bodies."""

from __future__ import annotations

import logging

import pytest
from werkzeug.exceptions import (
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    TooManyRequests,
)
from werkzeug.test import Client

from flasklite import Flask, abort

from .conftest import AppFactory


class AppError(Exception):
    pass


class SpecificAppError(AppError):
    pass


def test_handler_registered_by_code(app: Flask, client: Client) -> None:
    app.errorhandler(404)(lambda e: ("custom 404", 404))
    response = client.get("/missing")
    assert (response.status_code, response.text) == (404, "custom 404")


def test_handler_by_code_wins_over_handler_by_base_class(app: Flask, client: Client) -> None:
    app.errorhandler(HTTPException)(lambda e: ("generic", e.code))
    app.errorhandler(404)(lambda e: ("by code", 404))
    app.get("/forbidden")(lambda: abort(403))
    assert client.get("/missing").text == "by code"
    assert client.get("/forbidden").text == "generic"


def test_handler_found_along_the_exception_mro(app: Flask, client: Client) -> None:
    app.errorhandler(AppError)(lambda e: (f"handled {type(e).__name__}", 418))

    @app.get("/")
    def view() -> str:
        raise SpecificAppError

    response = client.get("/")
    assert (response.status_code, response.text) == (418, "handled SpecificAppError")


def test_most_specific_class_handler_wins(app: Flask, client: Client) -> None:
    app.errorhandler(AppError)(lambda e: ("base", 500))
    app.errorhandler(SpecificAppError)(lambda e: ("specific", 500))

    @app.get("/")
    def view() -> str:
        raise SpecificAppError

    assert client.get("/").text == "specific"


def test_exception_handler_also_receives_http_errors(app: Flask, client: Client) -> None:
    app.errorhandler(Exception)(lambda e: (type(e).__name__, 599))
    assert client.get("/missing").text == "NotFound"


def test_abort_with_description(app: Flask, client: Client) -> None:
    app.get("/")(lambda: abort(403, description="No entry."))
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {
        "error": {"code": 403, "name": "Forbidden", "message": "No entry."}
    }


def test_abort_with_a_response_sends_it(app: Flask, client: Client) -> None:
    from flasklite import Response

    app.get("/")(lambda: abort(Response("teapot body", status=418)))
    response = client.get("/")
    assert (response.status_code, response.text) == (418, "teapot body")


def test_unhandled_http_error_is_json_when_client_prefers_json(app: Flask, client: Client) -> None:
    response = client.get("/missing", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert (error["code"], error["name"]) == (404, "Not Found")
    assert "not found" in error["message"].lower()


@pytest.mark.parametrize("accept", [None, "*/*", "text/html", "text/html,application/json;q=0.9"])
def test_unhandled_http_error_is_html_otherwise(app: Flask, client: Client, accept: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/missing", headers=headers)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<title>404 Not Found</title>" in response.text


def test_json_405_keeps_allow_header(app: Flask, client: Client) -> None:
    app.get("/only-get")(lambda: "")
    response = client.post("/only-get", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == 405
    assert "GET" in response.headers["Allow"]


def test_unhandled_exception_is_500_without_traceback_and_logged_once(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get(
            "/boom", headers={"Accept": "application/json"}, environ_base={"REQUEST_ID": "rid-1"}
        )
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == 500
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    records = [r for r in caplog.records if r.exc_info]
    assert len(records) == 1
    assert records[0].request_id == "rid-1"  # type: ignore[attr-defined]
    assert "GET" in records[0].getMessage() and "/boom" in records[0].getMessage()


def test_500_handler_receives_internal_server_error_with_original(app: Flask) -> None:
    seen: list[BaseException | None] = []

    @app.errorhandler(500)
    def on_500(e: InternalServerError) -> tuple[str, int]:
        seen.append(e.original_exception)
        return "sorry", 500

    @app.get("/")
    def view() -> str:
        raise ValueError("x")

    response = app.test_client().get("/")
    assert (response.status_code, response.text) == (500, "sorry")
    assert isinstance(seen[0], ValueError)


@pytest.mark.parametrize(
    "config", [{"TESTING": True}, {"DEBUG": True}, {"PROPAGATE_EXCEPTIONS": True}]
)
def test_exceptions_propagate_in_testing_debug_or_when_configured(
    make_app: AppFactory, config: dict[str, bool]
) -> None:
    app = make_app(**config)

    @app.get("/")
    def view() -> str:
        raise LookupError("propagated")

    with pytest.raises(LookupError, match="propagated"):
        app.test_client().get("/")


def test_propagate_false_overrides_testing(make_app: AppFactory) -> None:
    app = make_app(TESTING=True, PROPAGATE_EXCEPTIONS=False)

    @app.get("/")
    def view() -> str:
        raise LookupError

    assert app.test_client().get("/").status_code == 500


def test_http_errors_never_propagate(make_app: AppFactory) -> None:
    app = make_app(TESTING=True)
    assert app.test_client().get("/missing").status_code == 404


def test_trap_http_exceptions_reraises_them(make_app: AppFactory) -> None:
    app = make_app(TESTING=True, TRAP_HTTP_EXCEPTIONS=True)
    with pytest.raises(NotFound):
        app.test_client().get("/missing")


def test_error_in_error_handler_finalizing_is_logged_not_raised(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.after_request
    def broken(response):  # type: ignore[no-untyped-def]
        if response.status_code == 500:
            raise RuntimeError("after_request broke")
        return response

    @app.get("/")
    def view() -> str:
        raise ValueError

    with caplog.at_level(logging.ERROR):
        assert app.test_client().get("/").status_code == 500
    assert any("finalizing failed" in r.getMessage() for r in caplog.records)


def test_invalid_error_handler_registrations_are_rejected(app: Flask) -> None:
    with pytest.raises(ValueError, match="not a recognized HTTP error code"):
        app.errorhandler(999)(lambda e: "")
    with pytest.raises(TypeError, match="instance, not a class"):
        app.register_error_handler(Forbidden(), lambda e: "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a subclass of Exception"):
        app.register_error_handler(KeyboardInterrupt, lambda e: "")


@pytest.mark.parametrize(
    "error",
    [
        NotFound(),
        NotFound("Custom <b>description</b>\nwith a newline."),
        Forbidden(),
        MethodNotAllowed(["GET", "POST"]),
        TooManyRequests(retry_after=30),
    ],
)
def test_default_html_error_page_equals_werkzeugs(app: Flask, error: HTTPException) -> None:
    for _ in range(2):  # the second time comes from the body cache
        with app.test_request_context("/"):
            ours = app.make_error_response(error)
            theirs = error.get_response()
        assert ours.status == theirs.status
        assert ours.get_data() == theirs.get_data()
        assert sorted(ours.headers.items()) == sorted(theirs.headers.items())


def test_error_body_cache_does_not_mix_json_and_html(app: Flask, client: Client) -> None:
    html = client.get("/missing")
    as_json = client.get("/missing", headers={"Accept": "application/json"})
    html_again = client.get("/missing")
    assert html.mimetype == html_again.mimetype == "text/html"
    assert html.data == html_again.data
    assert as_json.get_json()["error"]["code"] == 404


def test_exception_with_its_own_get_response_is_respected(app: Flask, client: Client) -> None:
    from flasklite import Response

    class Maintenance(HTTPException):
        code = 503
        description = "Down for maintenance."

        def get_response(self, environ=None, scope=None):  # type: ignore[no-untyped-def,override]
            return Response("custom maintenance page", status=503, mimetype="text/plain")

    @app.get("/")
    def view() -> str:
        raise Maintenance()

    response = client.get("/", headers={"Accept": "application/json"})
    assert (response.status_code, response.text) == (503, "custom maintenance page")
