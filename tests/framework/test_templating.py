"""Templates: the app's folder, autoescaping, context, helpers, caching and reloading."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest
from werkzeug.test import Client

from flasklite import Flask, g, render_template, render_template_string, request

from .conftest import AppFactory


def write(root: Path, name: str, text: str) -> Path:
    path = root / "templates" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_render_template_from_the_templates_folder(app: Flask, root: Path, client: Client) -> None:
    write(root, "base.html", "<main>{% block body %}{% endblock %}</main>")
    write(root, "page.html", '{% extends "base.html" %}{% block body %}Hi {{ name }}{% endblock %}')
    app.get("/")(lambda: render_template("page.html", name="Ada"))
    assert client.get("/").text == "<main>Hi Ada</main>"


def test_html_and_xml_templates_are_autoescaped_text_is_not(app: Flask, root: Path) -> None:
    for name in ("a.html", "a.xml", "a.txt"):
        write(root, name, "{{ value }}")
    with app.app_context():
        assert render_template("a.html", value="<b>") == "&lt;b&gt;"
        assert render_template("a.xml", value="<b>") == "&lt;b&gt;"
        assert render_template("a.txt", value="<b>") == "<b>"
        assert render_template_string("{{ value }}", value="<b>") == "&lt;b&gt;"


def test_context_has_url_for_request_g_and_config(app: Flask) -> None:
    app.config["SERVICE"] = "svc"
    app.get("/items/<int:n>", endpoint="item")(lambda n: "")
    with app.test_request_context("/here?x=1"):
        g.user = "ada"
        out = render_template_string(
            "{{ url_for('item', n=2) }}|{{ request.path }}|{{ request.args.x }}|{{ g.user }}"
            "|{{ config.SERVICE }}"
        )
    assert out == "/items/2|/here|1|ada|svc"


def test_filters_globals_tests_and_context_processors(app: Flask) -> None:
    app.template_filter("shout")(lambda s: s.upper() + "!")
    app.template_global()(lambda: "G")  # registered under its name, "<lambda>"

    @app.template_global("answer")
    def answer() -> int:
        return 42

    @app.template_test("even")
    def even(n: int) -> bool:
        return n % 2 == 0

    app.context_processor(lambda: {"site": "processor", "name": "from processor"})
    with app.app_context():
        out = render_template_string(
            "{{ 'hi'|shout }} {{ answer() }} {{ 4 is even }} {{ site }} {{ name }}", name="caller"
        )
    assert out == "HI! 42 True processor caller"


def test_helpers_registered_after_the_environment_exists_are_applied(app: Flask) -> None:
    with app.app_context():
        render_template_string("warm up")
    app.add_template_filter(lambda s: s[::-1], "rev")
    with app.app_context():
        assert render_template_string("{{ 'abc'|rev }}") == "cba"


def test_global_registered_after_a_template_was_loaded_is_seen(app: Flask, root: Path) -> None:
    write(root, "g.html", "{{ late() if late is defined else 'none' }}")
    with app.app_context():
        assert render_template("g.html") == "none"
    app.add_template_global(lambda: "late one", "late")
    with app.app_context():
        assert render_template("g.html") == "late one"


def test_a_templates_own_globals_stay_its_own(app: Flask) -> None:
    with app.app_context():
        own = app.jinja_env.from_string("{{ who }}", globals={"who": "mine"})
        other = app.jinja_env.from_string("{{ who|default('nobody') }}")
        own.globals["extra"] = 1
        assert (own.render(), other.render()) == ("mine", "nobody")
        assert "who" not in app.jinja_env.globals and "extra" not in app.jinja_env.globals


def _edit(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))  # a clearly newer mtime


def test_templates_are_cached_in_production(app: Flask, root: Path) -> None:
    path = write(root, "t.html", "one")
    with app.app_context():
        assert render_template("t.html") == "one"
        _edit(path, "two")
        assert render_template("t.html") == "one"
    assert app.jinja_env.auto_reload is False


@pytest.mark.parametrize("config", [{"DEBUG": True}, {"TEMPLATES_AUTO_RELOAD": True}])
def test_templates_reload_in_debug(
    make_app: AppFactory, root: Path, config: dict[str, bool]
) -> None:
    app = make_app(**config)
    path = write(root, "t.html", "one")
    with app.app_context():
        assert render_template("t.html") == "one"
        _edit(path, "two")
        assert render_template("t.html") == "two"


def test_setting_debug_turns_on_reload_for_an_existing_environment(app: Flask) -> None:
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.jinja_env.auto_reload is True


def test_jinja_environment_is_created_once(app: Flask) -> None:
    assert app.jinja_env is app.jinja_env


def test_render_template_outside_app_context_raises() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template_string("x")


def test_template_context_request_is_the_current_request(app: Flask, client: Client) -> None:
    app.get("/<name>")(lambda name: render_template_string("{{ request.view_args.name }}"))
    assert client.get("/first").text == "first"
    assert client.get("/second").text == "second"
    assert request is not None


class _Html:
    def __html__(self) -> str:
        return "<i>safe</i>"


class _StrSubclass(str):
    pass


def test_output_escaping_matches_plain_jinja(app: Flask) -> None:
    # The app's environment escapes exactly as plain Jinja with markupsafe does.
    source = (
        "{% macro m(v) %}[{{ v }}]{% endmacro %}"
        "{% for v in values %}{{ v }}|{{ v|e }}|{{ m(v) }}|{{ v ~ '&' }};{% endfor %}"
    )
    values = ["<a href='x'>&\"", "", "é\u2028", _StrSubclass("<s>"), _Html(), 3, None, 1.5]
    plain = jinja2.Environment(autoescape=True).from_string(source).render(values=values)
    with app.app_context():
        ours = render_template_string(source, values=values)
    assert ours == plain
    assert "&lt;a href=&#39;x&#39;&gt;&amp;&#34;" in ours and "<i>safe</i>" in ours
