from __future__ import annotations

import itertools
from typing import Any

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.test import Client, EnvironBuilder

from flasklite import Flask, request
from flasklite.routing import PatternRoute

from .conftest import AppFactory


def test_route_decorators_register_methods(app: Flask, client: Client) -> None:
    for method in ("get", "post", "put", "patch", "delete"):
        getattr(app, method)("/m", endpoint=method)(lambda m=method: m)
    assert client.get("/m").text == "get"
    assert client.post("/m").text == "post"
    assert client.put("/m").text == "put"
    assert client.patch("/m").text == "patch"
    assert client.delete("/m").text == "delete"


def test_method_shortcut_rejects_methods_argument(app: Flask) -> None:
    with pytest.raises(TypeError, match="route"):
        app.get("/x", methods=["POST"])


def test_methods_given_as_a_string_is_rejected(app: Flask) -> None:
    with pytest.raises(TypeError, match="list of method names"):
        app.add_url_rule("/x", "x", lambda: "", methods="POST")


def test_converter_values_are_passed_to_the_view(app: Flask, client: Client) -> None:
    @app.route("/items/<int:item_id>/<path:rest>")
    def item(item_id: int, rest: str) -> str:
        return f"{item_id!r} {rest}"

    assert client.get("/items/42/a/b").text == "42 a/b"
    assert client.get("/items/x/a").status_code == 404


def test_endpoint_defaults_to_function_name(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return ""

    assert app.view_functions["index"] is index
    assert next(r for r in app.url_map.iter_rules() if r.rule == "/").endpoint == "index"


def test_two_functions_for_one_endpoint_raise_at_registration(app: Flask) -> None:
    @app.route("/a")
    def view() -> str:
        return "a"

    def other() -> str:
        return "b"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/b", "view", other)
    # The failed registration did not leave a half-added rule behind.
    assert [r.rule for r in app.url_map.iter_rules() if r.endpoint == "view"] == ["/a"]


def test_same_function_can_serve_two_rules(app: Flask, client: Client) -> None:
    @app.route("/one")
    @app.route("/two")
    def view() -> str:
        return request.path

    assert client.get("/one").text == "/one"
    assert client.get("/two").text == "/two"


def test_unknown_url_is_404(app: Flask, client: Client) -> None:
    assert client.get("/missing").status_code == 404


def test_wrong_method_is_405_with_allow_header(app: Flask, client: Client) -> None:
    app.get("/only-get")(lambda: "")
    response = client.post("/only-get")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_missing_trailing_slash_redirects_308_keeping_query(app: Flask, client: Client) -> None:
    app.get("/folder/")(lambda: "folder")
    response = client.get("/folder?a=1")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/folder/?a=1"
    assert client.get("/folder/").text == "folder"


def test_extra_trailing_slash_is_404_for_a_rule_without_one(app: Flask, client: Client) -> None:
    app.get("/file")(lambda: "file")
    assert client.get("/file/").status_code == 404


def test_automatic_options_lists_allowed_methods(app: Flask, client: Client) -> None:
    app.route("/r", methods=["GET", "POST"])(lambda: "not called")
    response = client.options("/r")
    assert response.status_code == 200
    assert response.data == b""
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_view_can_opt_out_of_automatic_options(app: Flask, client: Client) -> None:
    app.add_url_rule(
        "/o", "o", lambda: "custom", methods=["GET", "OPTIONS"], provide_automatic_options=False
    )
    assert client.options("/o").text == "custom"


def test_head_runs_get_view_without_body(app: Flask, client: Client) -> None:
    app.get("/h")(lambda: "hello")
    response = client.head("/h")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "5"


def test_non_ascii_static_route_matches(app: Flask, client: Client) -> None:
    app.get("/café")(lambda: "ok")
    assert client.get("/caf%C3%A9").text == "ok"
    assert "/caf\xc3\xa9" in app.exact_routes  # served from the exact-path dict


def test_registration_after_first_request_raises(app: Flask, client: Client) -> None:
    app.get("/", endpoint="root")(lambda: "")
    client.get("/")
    with pytest.raises(AssertionError, match="first request"):
        app.get("/late")(lambda: "")
    with pytest.raises(AssertionError, match="first request"):
        app.before_request(lambda: None)


def _shape_routes_by_endpoint(app: Flask) -> dict[str, PatternRoute]:
    """The routes of the app's shape table, by endpoint."""
    return {
        str(route.rule.endpoint): route
        for routes in app.build_shape_routes().buckets.values()
        for route in routes
    }


def _match_both_ways(app: Flask, path: str, method: str) -> tuple[Any, Any]:
    """The route the static table picks vs the route werkzeug's matcher picks."""
    environ = EnvironBuilder(path=path, method=method).get_environ()
    with app.request_context(environ):
        fast = (request.url_rule, request.view_args, type(request.routing_exception))
    adapter = app.url_map.bind_to_environ(environ)
    try:
        rule, args = adapter.match(return_rule=True)
        slow: Any = (rule, dict(args), type(None))
    except HTTPException as e:
        slow = (None, None, type(e))
    return fast, slow


def test_static_table_agrees_with_werkzeug_matcher(make_app: AppFactory) -> None:
    app = make_app()
    app.get("/", endpoint="root")(lambda: "")
    app.route("/a", methods=["GET", "POST"], endpoint="a")(lambda: "")
    app.add_url_rule("/a/", "a_slash", lambda: "")
    app.add_url_rule("/b/", "b", lambda: "")
    app.add_url_rule("/<name>", "by_name", lambda name: "")
    app.add_url_rule("/c/<int:n>", "c", lambda n: "")

    def page(n: int) -> str:
        return ""

    app.add_url_rule("/page/", "page", page, defaults={"n": 1})
    app.add_url_rule("/page/<int:n>", "page", page)
    app.add_url_rule("/first", "first", lambda: "")
    app.add_url_rule("/first", "second", lambda: "")
    paths = ["/", "", "/a", "/a/", "/b", "/b/", "/x", "/c/1", "/c/x", "/page/", "/page/1",
             "/page/2", "/first", "//a", "/a//", "/zz/"]  # fmt: skip
    for path, method in itertools.product(paths, ["GET", "HEAD", "POST", "PUT", "OPTIONS"]):
        fast, slow = _match_both_ways(app, path, method)
        assert fast == slow, (path, method)


def _shape_rich_app(make_app: AppFactory) -> Flask:
    app = make_app()
    view = lambda **kwargs: ""  # noqa: E731 - the views are never called here
    rules: list[tuple[str, str, list[str], dict[str, Any]]] = [
        ("/items/<int:item_id>", "item", ["GET"], {}),
        ("/items/<int:item_id>", "item_delete", ["DELETE"], {}),  # same shape, other method
        ("/items/<int:item_id>/parts/<name>", "part", ["GET"], {}),
        ("/users/me", "me", ["GET"], {}),
        ("/users/<name>", "user", ["GET"], {}),  # clashes with /users/me: werkzeug decides
        ("/u/<uuid:uid>", "by_uuid", ["GET"], {}),
        ("/f/<float:x>", "by_float", ["GET"], {}),
        ("/s/<string(minlength=3, maxlength=4):code>", "code", ["GET"], {}),
        ("/any/<any(red, blue):colour>", "colour", ["GET", "POST"], {}),
        ("/n/<int(signed=True):n>", "signed", ["GET"], {}),
        ("/files/<path:rest>", "files", ["GET"], {}),
        ("/files/<int:n>/meta", "file_meta", ["GET"], {}),  # under a path rule
        ("/dir/<name>/", "dir", ["GET"], {}),  # strict slash: /dir/x redirects
        ("/dir/<int:n>", "dir_n", ["GET"], {}),
        ("/loose/<name>", "loose", ["GET"], {"strict_slashes": False}),
        ("/page/", "page", ["GET"], {"defaults": {"n": 1}}),
        ("/page/<int:n>", "page", ["GET"], {}),
        ("/mixed/v<int:v>", "versioned", ["GET"], {}),
        ("/<lang>/about/us", "about", ["GET"], {}),
        ("/en/<topic>", "en_topic", ["GET"], {}),
    ]
    for rule, endpoint, methods, options in rules:
        app.add_url_rule(rule, endpoint, view, methods=methods, **options)
    return app


SHAPE_PATHS = [
    "/items/1", "/items/x", "/items/-1", "/items/01", "/items/1/", "/items/1/parts/a",
    "/items/1/parts/", "/items//1", "/users/me", "/users/ada", "/users/", "/u/not-a-uuid",
    "/u/6f1c3b1e-8a4e-4a57-9a4c-2f5d0c6f0b7e", "/f/1.5", "/f/1", "/s/ab", "/s/abc", "/s/abcde",
    "/any/red", "/any/green", "/n/-5", "/n/5", "/files/a/b", "/files/7/meta", "/dir/x",
    "/dir/x/", "/dir/3", "/loose/x", "/loose/x/", "/page/", "/page/1", "/page/2",
    "/mixed/v2", "/de/about/us", "/en/about", "/en/x", "/caf%C3%A9/about/us", "/items/1\n",
]  # fmt: skip


def test_shape_routes_agree_with_werkzeug_matcher(make_app: AppFactory) -> None:
    app = _shape_rich_app(make_app)
    taken = set(_shape_routes_by_endpoint(app))
    # The table is used (not empty) and keeps out every rule another rule could shadow.
    assert {
        "item",
        "item_delete",
        "part",
        "by_uuid",
        "by_float",
        "code",
        "signed",
        "en_topic",
    } <= taken
    assert not {"me", "user", "files", "file_meta", "dir", "dir_n", "page", "about"} & taken
    methods = ["GET", "HEAD", "POST", "DELETE", "PUT", "OPTIONS"]
    for path, method in itertools.product(SHAPE_PATHS, methods):
        fast, slow = _match_both_ways(app, path, method)
        assert fast == slow, (path, method)


def test_unknown_first_segment_is_404_as_werkzeug_says(make_app: AppFactory) -> None:
    app = make_app()  # no rule starts with a converter: a new first segment matches nothing
    view = lambda **kwargs: ""  # noqa: E731
    app.add_url_rule("/api/items/<int:n>", "item", view)
    app.add_url_rule("/api/", "api", view)
    app.add_url_rule("/health", "health", view, methods=["POST"])
    table = app.build_shape_routes()
    assert not table.open_start and "api" in table.first_segments
    paths = ["/missing", "/missing/x", "/", "/api", "/api/", "/api/items/1", "/api/x", "/health",
             "/healthz", "/Api/items/1", "//missing", "/static/x"]  # fmt: skip
    for path, method in itertools.product(paths, ["GET", "POST", "OPTIONS"]):
        fast, slow = _match_both_ways(app, path, method)
        assert fast == slow, (path, method)


class _Shouting(BaseConverter):
    """Not one of werkzeug's converters: matched segment by segment, not by one expression."""

    regex = r"[A-Z]+(?:-[A-Z]+)?"

    def to_python(self, value: str) -> str:
        if value == "NO":
            raise ValidationError()
        return value.lower()


def test_whole_path_expressions_agree_with_werkzeug_matcher() -> None:
    app = Flask(__name__, static_folder=None)  # its /static/<path:...> would shadow n_first
    app.url_map.converters["shout"] = _Shouting
    view = lambda **kwargs: ""  # noqa: E731
    app.add_url_rule("/v/<int:a>/<int(min=2):b>/x", "two_ints", view)
    app.add_url_rule("/w/<name>/<float:f>", "name_float", view)
    app.add_url_rule("/h/<shout:word>/end", "shout", view)
    app.add_url_rule("/a.b/<any('x.y', z):pick>", "dotted", view)
    # Same segment count, one starting with a literal, one with a converter: both in the table.
    app.add_url_rule("/q/<int:m>/y/z/w", "q_first", view)
    app.add_url_rule("/<int:n>/a/x/y/z", "n_first", view)
    routes = _shape_routes_by_endpoint(app)
    assert routes["two_ints"].whole is not None and routes["dotted"].whole is not None
    assert routes["shout"].whole is None  # a converter of the app's own: part by part
    assert {"q_first", "n_first"} <= set(routes)
    paths = ["/v/1/2/x", "/v/1/1/x", "/v/1/2/y", "/v/1/2", "/v/a/2/x", "/w/n/1.5", "/w/n/15",
             "/w/n%2Fm/1.5", "/h/AB/end", "/h/A-B/end", "/h/NO/end", "/h/ab/end", "/a.b/x.y",
             "/a.b/z", "/a.b/xzy", "/aXb/z", "/v/1/2/x/", "/q/1/y/z/w", "/q/a/x/y/z",
             "/5/a/x/y/z", "/q/1/x/y/z", "/v/a/x/y/z", "/7/a/y/z/w", "/q/1/y/z"]  # fmt: skip
    for path, method in itertools.product(paths, ["GET", "POST"]):
        fast, slow = _match_both_ways(app, path, method)
        assert fast == slow, (path, method)


def test_value_readers_give_what_each_converter_gives() -> None:
    """The shortcuts (``int`` for a plain int converter, the text itself for string and path)
    are taken only where they are what ``to_python`` does; every option keeps the converter."""
    app = Flask(__name__, static_folder=None)
    view = lambda **kwargs: ""  # noqa: E731
    app.add_url_rule("/plain/<int:n>", "plain", view)
    app.add_url_rule("/fixed/<int(fixed_digits=3):n>", "fixed", view)
    app.add_url_rule("/bounded/<int(min=2, max=5):n>", "bounded", view)
    app.add_url_rule("/signed/<int(signed=True):n>", "signed", view)
    app.add_url_rule("/text/<name>", "text", view)
    app.add_url_rule("/uuid/<uuid:u>", "uuid", view)
    readers = {
        endpoint: route.converting[0][1]
        for endpoint, route in _shape_routes_by_endpoint(app).items()
    }
    assert readers["plain"] is int and readers["signed"] is int and readers["text"] is None
    assert readers["fixed"] is not int and readers["bounded"] is not int
    paths = [f"/{kind}/{value}" for kind in ("plain", "fixed", "bounded", "signed", "text")
             for value in ("7", "007", "1", "6", "-3", "\u0663", "x", "0" * 30, "9" * 5000)]  # fmt: skip
    paths.append("/uuid/6f1c3b1e-8a4e-4a57-9a4c-2f5d0c6f0b7e")
    for path in paths:
        fast, slow = _match_both_ways(app, path, "GET")
        assert fast == slow, path
