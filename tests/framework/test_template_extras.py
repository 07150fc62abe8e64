"""Template features beyond rendering a file: ``jinja_options``, an overridable environment and
loader, ``get_template_attribute``, the ``tojson`` filter through ``app.json``, and
``session``/``get_flashed_messages`` in every template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from flasklite import (
    Flask,
    flash,
    get_template_attribute,
    render_template,
    render_template_string,
)
from flasklite.json.provider import DefaultJSONProvider
from flasklite.templating import Environment

from .conftest import AppFactory


def test_jinja_options_reach_the_environment(make_app: AppFactory) -> None:
    class App(type(make_app())):  # type: ignore[misc]
        jinja_options = {"trim_blocks": True, "line_statement_prefix": "%"}

    app = App("opts")
    with app.app_context():
        source = "% for i in items\n{{ i }}\n% endfor\n"
        assert render_template_string(source, items=[1, 2]) == "1\n2\n"
    assert app.jinja_env.trim_blocks is True


def test_create_jinja_environment_is_overridable(make_app: AppFactory) -> None:
    class App(type(make_app())):  # type: ignore[misc]
        def create_jinja_environment(self) -> Environment:
            env = super().create_jinja_environment()
            env.globals["site"] = "example"
            return env

    app = App("custom")
    with app.app_context():
        assert render_template_string("{{ site }}") == "example"


def test_jinja_loader_is_overridable(make_app: AppFactory) -> None:
    class App(type(make_app())):  # type: ignore[misc]
        @property
        def jinja_loader(self) -> jinja2.BaseLoader:
            return jinja2.DictLoader({"hello.html": "hello from a dict"})

    app = App("loader")
    with app.app_context():
        assert render_template("hello.html") == "hello from a dict"


def test_blueprint_template_folders_come_after_the_apps(app: Flask, root: Path) -> None:
    (root / "templates" / "shared.html").write_text("app's")

    class BlueprintLike:
        jinja_loader = jinja2.DictLoader({"shared.html": "blueprint's", "own.html": "own"})

    app.blueprints = {"bp": BlueprintLike()}  # type: ignore[attr-defined]
    with app.app_context():
        assert render_template("shared.html") == "app's"
        assert render_template("own.html") == "own"
    assert "own.html" in app.jinja_env.list_templates()


def test_get_template_attribute_calls_macros(app: Flask, root: Path) -> None:
    (root / "templates" / "macros.html").write_text(
        "{% macro hello(name) %}Hello {{ name }}!{% endmacro %}{% set answer = 42 %}"
    )
    with app.app_context():
        assert get_template_attribute("macros.html", "hello")("<ann>") == "Hello &lt;ann&gt;!"
        assert get_template_attribute("macros.html", "answer") == 42


def test_tojson_filter_uses_the_apps_provider_and_is_html_safe(app: Flask) -> None:
    class Upper(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return super().dumps({k.upper(): v for k, v in obj.items()}, **kwargs)

    with app.app_context():
        assert render_template_string("{{ d|tojson }}", d={"a": "</script>"}) == (
            '{"a": "\\u003c/script\\u003e"}'
        )
        app.json = Upper(app)
        assert render_template_string("{{ d|tojson }}", d={"a": 1}) == '{"A": 1}'


def test_session_and_flashes_are_in_every_template(make_app: AppFactory) -> None:
    app = make_app(SECRET_KEY="a-test-secret-key-that-is-long-enough")

    @app.get("/")
    def index() -> str:
        flash("saved", "info")
        return render_template_string(
            "{{ session.get('missing', 'none') }}|"
            "{% for c, m in get_flashed_messages(with_categories=true) %}{{ c }}:{{ m }}{% endfor %}"
        )

    assert app.test_client().get("/").get_data() == b"none|info:saved"


def test_template_test_filter_and_global_registration(app: Flask) -> None:
    app.add_template_test(lambda n: n % 2 == 0, "even")
    app.add_template_filter(lambda s: s[::-1], "reverse_text")
    app.add_template_global(3, "three")
    with app.app_context():
        source = "{{ 'abc'|reverse_text }} {{ three is even }} {{ 4 is even }}"
        assert render_template_string(source) == "cba False True"


def test_render_template_string_needs_an_app() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template_string("x")
