"""The plain-request shortcut (``fastpath.serve_plain``): which requests take it, and that what a
view, a hook or an error handler sees through it is what the step-by-step flow shows.

Every framework test runs in both flows (``request_flow`` in conftest.py); the tests here check
that the shortcut is really taken where it should be, so the "inline" runs are not the same
flow twice.
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import Client, EnvironBuilder

from flasklite import Flask, Response, g, request, url_for
from flasklite.ctx import RequestContext
from flasklite.fastpath import PlainRequestContext
from flasklite.globals import _cv_ctx

from .conftest import AppFactory, call_wsgi


def _context_type() -> str:
    return type(_cv_ctx.get()).__name__


@pytest.fixture
def traced(app: Flask) -> Flask:
    """Views that report the type of the context serving them."""
    app.get("/plain")(_context_type)
    app.route("/both", methods=["GET", "POST"])(_context_type)
    app.get("/item/<int:n>")(lambda n: _context_type())
    return app


@pytest.mark.parametrize(
    ("method", "path", "inline"),
    [
        ("GET", "/plain", True),
        ("POST", "/both", True),
        ("GET", "/item/1", False),  # converters: the matcher's job
        ("HEAD", "/plain", False),  # the body is dropped by the response object
        ("OPTIONS", "/plain", False),  # automatic answer, built from the full method list
    ],
)
def test_which_requests_are_served_inline(
    traced: Flask, client: Client, request_flow: str, method: str, path: str, inline: bool
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 200
    if method in {"GET", "POST"}:
        expected = PlainRequestContext if inline and request_flow == "inline" else RequestContext
        assert response.text == expected.__name__


def test_request_is_only_built_when_read(app: Flask, request_flow: str) -> None:
    app.get("/untouched", endpoint="untouched")(lambda: "ok")
    app.get("/touched", endpoint="touched")(lambda: request.method)
    untouched = EnvironBuilder(path="/untouched").get_environ()
    touched = EnvironBuilder(path="/touched").get_environ()
    assert call_wsgi(app, untouched)[2] == b"ok"
    assert call_wsgi(app, touched)[2] == b"GET"
    # Each request that built a Request left the key (unlinked, to break the cycle).
    assert ("werkzeug.request" in untouched) is (request_flow == "stepwise")
    assert touched["werkzeug.request"] is None


def test_view_sees_the_request_as_the_stepwise_flow_sets_it(app: Flask, client: Client) -> None:
    @app.before_request
    def remember() -> None:
        g.seen_by_hook = request.endpoint

    @app.get("/report")
    def report() -> dict[str, Any]:
        assert request.url_rule is not None
        return {
            "ctx": _context_type(),
            "rule": request.url_rule.rule,
            "endpoint": request.endpoint,
            "view_args": request.view_args,
            "method": request.method,
            "path": request.path,
            "args": request.args.to_dict(),
            "hook": g.seen_by_hook,
            "url": url_for("report", page=2, _external=True),
        }

    data = client.get("/report?q=1").json
    assert data is not None
    del data["ctx"]
    assert data == {
        "rule": "/report",
        "endpoint": "report",
        "view_args": {},
        "method": "GET",
        "path": "/report",
        "args": {"q": "1"},
        "hook": "report",
        "url": "http://localhost/report?page=2",
    }


def test_hooks_run_on_the_inline_path(app: Flask, client: Client, request_flow: str) -> None:
    calls: list[str] = []

    @app.before_request
    def before() -> None:
        calls.append("before")

    @app.after_request
    def after(response: Response) -> Response:
        calls.append("after")
        response.headers["X-After"] = "yes"
        return response

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        calls.append(f"teardown {error!r}")

    app.get("/hooked")(_context_type)
    response = client.get("/hooked")
    expected = "PlainRequestContext" if request_flow == "inline" else "RequestContext"
    assert (response.text, response.headers["X-After"]) == (expected, "yes")
    assert calls == ["before", "after", "teardown None"]


def test_before_request_answer_skips_the_view(app: Flask, client: Client) -> None:
    app.before_request(lambda: ("stopped early", 403))
    app.get("/guarded")(lambda: "the view")
    response = client.get("/guarded")
    assert (response.status_code, response.text) == (403, "stopped early")


def test_unhandled_error_reaches_teardown_and_answers_500(
    make_app: AppFactory, request_flow: str
) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)

    @app.get("/fails")
    def fails() -> str:
        raise LookupError("broken view")

    response = app.test_client().get("/fails")
    assert response.status_code == 500
    assert b"broken view" not in response.data
    assert len(seen) == 1 and isinstance(seen[0], LookupError)


def test_error_handler_answers_an_inline_view_error(app: Flask, client: Client) -> None:
    app.register_error_handler(KeyError, lambda e: (f"handled {e.args[0]}", 409))

    @app.get("/conflict")
    def conflict() -> str:
        raise KeyError("item")

    response = client.get("/conflict")
    assert (response.status_code, response.text) == (409, "handled item")


def test_propagated_error_leaves_no_context(make_app: AppFactory) -> None:
    app = make_app(TESTING=True)

    @app.get("/raises")
    def raises() -> str:
        raise RuntimeError("for the test runner")

    with pytest.raises(RuntimeError, match="for the test runner"):
        app.test_client().get("/raises")
    assert _cv_ctx.get(None) is None


def test_subclass_overriding_a_flow_step_is_served_stepwise(root: Any) -> None:
    class Customised(Flask):
        def make_response(self, rv: Any) -> Response:
            response = super().make_response(rv)
            response.headers["X-Customised"] = "1"
            return response

    app = Customised("custom", root_path=str(root))
    app.get("/")(_context_type)
    response = app.test_client().get("/")
    assert response.headers["X-Customised"] == "1"
    assert response.text == "RequestContext"


def test_untrusted_host_is_refused_after_a_trusted_one(
    make_app: AppFactory, request_flow: str
) -> None:
    app = make_app(TRUSTED_HOSTS=["good.example"])
    app.get("/")(_context_type)
    client = app.test_client()
    first = client.get("/", headers={"Host": "good.example"})
    assert first.text == "RequestContext"  # the first sight of a host is checked stepwise
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    again = client.get("/", headers={"Host": "good.example"})
    expected = "PlainRequestContext" if request_flow == "inline" else "RequestContext"
    assert again.text == expected
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_replaced_response_class_is_used(app: Flask, client: Client) -> None:
    class Tagged(Response):
        default_mimetype = "text/plain"

        def __call__(self, environ: Any, start_response: Any) -> Any:
            self.headers["X-Tagged"] = "1"
            return super().__call__(environ, start_response)

    app.response_class = Tagged
    app.get("/")(lambda: "text")
    response = client.get("/")
    assert response.headers["X-Tagged"] == "1"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
