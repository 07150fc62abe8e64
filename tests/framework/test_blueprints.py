"""Blueprints: prefixes and names, scoped and app-wide hooks, nesting, deferred set-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from flasklite import Blueprint, Flask, abort, g, render_template_string, request, url_for


def test_routes_get_prefix_and_dotted_endpoint(app: Flask, client: Client) -> None:
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.get("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return f"{request.endpoint} {item_id} {url_for('.item', item_id=2)} {url_for('index')}"

    @app.get("/")
    def index() -> str:
        return "index"

    app.register_blueprint(bp)
    assert client.get("/shop/items/1").get_data(as_text=True) == "shop.item 1 /shop/items/2 /"
    assert "shop" in app.blueprints and app.blueprints["shop"] is bp


def test_register_options_override_blueprint_defaults(app: Flask, client: Client) -> None:
    bp = Blueprint("pages", __name__, url_prefix="/ignored", url_defaults={"page": 1})

    @bp.get("/list", defaults={"size": 10})
    def listing(page: int, size: int) -> str:
        return f"{page}/{size}"

    app.register_blueprint(bp, url_prefix="/p", url_defaults={"page": 3})
    assert client.get("/p/list").get_data(as_text=True) == "3/10"
    assert client.get("/ignored/list").status_code == 404


def test_request_blueprint_and_blueprints_for_nested(app: Flask, client: Client) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")

    @child.get("/where")
    def where() -> dict[str, Any]:
        return {
            "blueprint": request.blueprint,
            "blueprints": list(request.blueprints),
            "self": url_for(".where"),
            "up": url_for("parent.top"),
        }

    @parent.get("/")
    def top() -> str:
        return str(request.blueprint)

    @app.get("/plain")
    def plain() -> dict[str, Any]:
        return {"blueprint": request.blueprint, "blueprints": list(request.blueprints)}

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/parent/child/where").get_json() == {
        "blueprint": "parent.child",
        "blueprints": ["parent.child", "parent"],
        "self": "/parent/child/where",
        "up": "/parent/",
    }
    assert client.get("/plain").get_json() == {"blueprint": None, "blueprints": []}


def test_hooks_are_scoped_to_the_blueprint(app: Flask, client: Client) -> None:
    calls: list[str] = []
    bp = Blueprint("bp", __name__)

    @app.before_request
    def app_before() -> None:
        calls.append("app-before")

    @bp.before_request
    def bp_before() -> None:
        calls.append("bp-before")

    @bp.after_request
    def bp_after(response: Any) -> Any:
        calls.append("bp-after")
        return response

    @app.after_request
    def app_after(response: Any) -> Any:
        calls.append("app-after")
        return response

    @bp.teardown_request
    def bp_teardown(error: BaseException | None) -> None:
        calls.append("bp-teardown")

    @bp.get("/in")
    def inside() -> str:
        calls.append("view")
        return "in"

    @app.get("/out")
    def outside() -> str:
        calls.append("view")
        return "out"

    app.register_blueprint(bp)
    client.get("/in")
    assert calls == ["app-before", "bp-before", "view", "bp-after", "app-after", "bp-teardown"]
    calls.clear()
    client.get("/out")
    assert calls == ["app-before", "view", "app-after"]


def test_blueprint_before_request_can_answer(app: Flask, client: Client) -> None:
    bp = Blueprint("locked", __name__, url_prefix="/locked")

    @bp.before_request
    def refuse() -> tuple[str, int]:
        return "no", 403

    @bp.get("/")
    def view() -> str:
        return "never"

    app.register_blueprint(bp)
    response = client.get("/locked/")
    assert response.status_code == 403 and response.data == b"no"


def test_parent_hooks_and_handlers_apply_to_nested(app: Flask, client: Client) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/a")
    child = Blueprint("child", __name__, url_prefix="/b")

    @parent.before_request
    def mark() -> None:
        g.marked = "parent"

    @parent.errorhandler(LookupError)
    def lookup(error: LookupError) -> tuple[str, int]:
        return f"parent handled {g.marked}", 409

    @child.get("/boom")
    def boom() -> str:
        raise KeyError("x")

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    response = client.get("/a/b/boom")
    assert response.status_code == 409 and response.data == b"parent handled parent"


def test_errorhandlers_scoped_and_app_wide(app: Flask, client: Client) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api")
    other = Blueprint("other", __name__)

    @bp.errorhandler(404)
    def api_not_found(error: Exception) -> tuple[dict[str, str], int]:
        return {"error": "api"}, 404

    @other.app_errorhandler(418)
    def teapot(error: Exception) -> tuple[str, int]:
        return "teapot everywhere", 418

    @bp.get("/missing")
    def missing() -> str:
        abort(404)

    @bp.get("/tea")
    def api_tea() -> str:
        abort(418)

    @app.get("/gone")
    def gone() -> str:
        abort(404)

    app.register_blueprint(bp)
    app.register_blueprint(other)
    assert client.get("/api/missing").get_json() == {"error": "api"}
    assert client.get("/gone").get_json() is None  # the app's default 404 page
    assert client.get("/api/tea").data == b"teapot everywhere"


def test_context_processors_scoped_and_app_wide(app: Flask, client: Client) -> None:
    bp = Blueprint("bp", __name__)
    source = "{{ scoped|default('-') }} {{ everywhere }}"

    @bp.context_processor
    def scoped() -> dict[str, str]:
        return {"scoped": "bp"}

    @bp.app_context_processor
    def everywhere() -> dict[str, str]:
        return {"everywhere": "all"}

    @bp.get("/in")
    def inside() -> str:
        return render_template_string(source)

    @app.get("/out")
    def outside() -> str:
        return render_template_string(source)

    app.register_blueprint(bp)
    assert client.get("/in").data == b"bp all"
    assert client.get("/out").data == b"- all"


def test_app_template_helpers(app: Flask, client: Client) -> None:
    bp = Blueprint("helpers", __name__)

    @bp.app_template_filter("shout")
    def shout(text: str) -> str:
        return text.upper()

    @bp.app_template_global()
    def answer() -> int:
        return 42

    @bp.app_template_test("even")
    def even(number: int) -> bool:
        return number % 2 == 0

    app.register_blueprint(bp)

    @app.get("/")
    def page() -> str:
        return render_template_string("{{ 'hi'|shout }} {{ answer() }} {{ 4 is even }}")

    assert client.get("/").data == b"HI 42 True"


def test_url_processors_for_a_language_prefix(app: Flask, client: Client) -> None:
    bp = Blueprint("i18n", __name__, url_prefix="/<lang_code>")

    @bp.url_defaults
    def add_language(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("lang_code", g.lang_code)

    @bp.url_value_preprocessor
    def pull_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
        assert values is not None
        g.lang_code = values.pop("lang_code")

    @bp.get("/about")
    def about() -> str:
        return f"{g.lang_code} {url_for('.about')}"

    app.register_blueprint(bp)
    assert client.get("/de/about").data == b"de /de/about"


def test_app_url_processors_apply_to_all_endpoints(app: Flask, client: Client) -> None:
    bp = Blueprint("proc", __name__)
    seen: list[str | None] = []

    @bp.app_url_value_preprocessor
    def note(endpoint: str | None, values: dict[str, Any] | None) -> None:
        seen.append(endpoint)

    @bp.app_url_defaults
    def version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "versioned":
            values.setdefault("v", 2)

    @app.get("/v<int:v>")
    def versioned(v: int) -> str:
        return url_for("versioned")

    app.register_blueprint(bp)
    assert client.get("/v7").data == b"/v2"
    assert seen == ["versioned"]


def test_record_and_record_once(app: Flask, make_app: Any) -> None:
    bp = Blueprint("rec", __name__)
    every: list[str] = []
    once: list[str] = []
    bp.record(lambda state: every.append(state.name))
    bp.record_once(lambda state: once.append(state.name))
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="rec2", url_prefix="/2")
    assert every == ["rec", "rec2"] and once == ["rec"]
    make_app().register_blueprint(bp)
    assert once == ["rec", "rec"]  # first registration on another app


def test_same_blueprint_twice_under_two_names(app: Flask, client: Client) -> None:
    bp = Blueprint("api", __name__)
    hits: list[str | None] = []

    @bp.before_request
    def count() -> None:
        hits.append(request.blueprint)

    @bp.get("/ping")
    def ping() -> str:
        return url_for(".ping")

    app.register_blueprint(bp, url_prefix="/v1")
    app.register_blueprint(bp, url_prefix="/v2", name="api_v2")
    assert client.get("/v1/ping").data == b"/v1/ping"
    assert client.get("/v2/ping").data == b"/v2/ping"
    assert hits == ["api", "api_v2"]


def test_registering_a_name_twice_is_refused(app: Flask) -> None:
    first, second = Blueprint("dup", __name__), Blueprint("dup", __name__)
    app.register_blueprint(first)
    with pytest.raises(ValueError, match="already registered for this blueprint"):
        app.register_blueprint(first)
    with pytest.raises(ValueError, match="different blueprint"):
        app.register_blueprint(second)


def test_setup_after_registration_is_refused(app: Flask) -> None:
    bp = Blueprint("late", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered"):

        @bp.get("/late")
        def late() -> str:
            return "late"

    with pytest.raises(AssertionError, match="already been registered"):
        bp.before_request(lambda: None)


@pytest.mark.parametrize("name", ["", "a.b"])
def test_bad_blueprint_names(name: str) -> None:
    with pytest.raises(ValueError):
        Blueprint(name, __name__)


def test_dotted_endpoints_and_self_nesting_are_refused() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="dot"):
        bp.add_url_rule("/x", endpoint="a.b", view_func=lambda: "")
    with pytest.raises(ValueError, match="on itself"):
        bp.register_blueprint(bp)


def test_subdomain_blueprint(make_app: Any) -> None:
    app = make_app(SERVER_NAME="example.test")
    app.subdomain_matching = True
    app.url_map.default_subdomain = ""
    bp = Blueprint("admin", __name__, subdomain="admin")

    @bp.get("/")
    def home() -> str:
        return url_for(".home", _external=True)

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/", base_url="http://admin.example.test/").data == (
        b"http://admin.example.test/"
    )
    assert client.get("/", base_url="http://example.test/").status_code == 404


def test_blueprint_static_and_templates(make_app: Any, tmp_path: Path) -> None:
    root = tmp_path / "admin"
    (root / "assets").mkdir(parents=True)
    (root / "assets" / "admin.css").write_text("body{}")
    (root / "pages").mkdir()
    (root / "pages" / "admin_page.html").write_text(
        "admin {{ url_for('admin.static', filename='admin.css') }}"
    )
    app = make_app()
    bp = Blueprint(
        "admin",
        __name__,
        url_prefix="/admin",
        static_folder="assets",
        template_folder="pages",
        root_path=str(root),
    )

    @bp.get("/")
    def page() -> str:
        from flasklite import render_template

        return render_template("admin_page.html")

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/admin/assets/admin.css").data == b"body{}"
    assert client.get("/admin/").data == b"admin /admin/assets/admin.css"


def test_blueprint_cli_groups(app: Flask) -> None:
    grouped = Blueprint("users", __name__)
    flat = Blueprint("tools", __name__, cli_group=None)

    @grouped.cli.command("create")
    def create() -> None:
        print("created")

    @flat.cli.command("clean")
    def clean() -> None:
        print("cleaned")

    app.register_blueprint(grouped)
    app.register_blueprint(flat)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create"]).output == "created\n"
    assert runner.invoke(args=["clean"]).output == "cleaned\n"


def test_hooks_of_one_endpoint_do_not_run_for_another(app: Flask, client: Client) -> None:
    # Per-endpoint hook lists are cached once serving: each endpoint keeps its own.
    calls: list[str] = []
    first, second = Blueprint("first", __name__), Blueprint("second", __name__)
    first.before_request(lambda: calls.append("first") and None)
    second.before_request(lambda: calls.append("second") and None)
    first.add_url_rule("/a", "a", lambda: "a")
    second.add_url_rule("/b", "b", lambda: "b")
    app.register_blueprint(first)
    app.register_blueprint(second)
    for path in ("/a", "/b", "/a", "/b"):
        client.get(path)
    assert calls == ["first", "second", "first", "second"]


def test_app_wide_request_hooks_from_a_blueprint(app: Flask, client: Client) -> None:
    calls: list[str] = []
    bp = Blueprint("wide", __name__)

    @bp.before_app_request
    def before() -> None:
        calls.append("before")

    @bp.after_app_request
    def after(response: Any) -> Any:
        response.headers["X-Wide"] = "1"
        return response

    @bp.teardown_app_request
    def teardown(error: BaseException | None) -> None:
        calls.append("teardown")

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    app.register_blueprint(bp)
    assert client.get("/plain").headers["X-Wide"] == "1"
    assert calls == ["before", "teardown"]


def test_nested_prefix_and_subdomain_join(make_app: Any) -> None:
    app = make_app(SERVER_NAME="example.test")
    outer = Blueprint("outer", __name__, url_prefix="/o/", subdomain="api")
    inner = Blueprint("inner", __name__, url_prefix="/i")
    inner.add_url_rule("/x", "x", lambda: "x")
    outer.register_blueprint(inner, url_prefix="/in", subdomain="v2")
    app.register_blueprint(outer)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "outer.inner.x")
    assert rule.rule == "/o/in/x" and rule.subdomain == "v2.api"
