from __future__ import annotations

import subprocess
import sys

import flasklite as framework
from flasklite import Flask


def test_public_api_exports_the_flask_names() -> None:
    expected = {
        "Flask",
        "Request",
        "Response",
        "request",
        "g",
        "current_app",
        "abort",
        "redirect",
        "url_for",
        "render_template",
        "render_template_string",
        "jsonify",
        "make_response",
    }
    assert expected <= set(framework.__all__)
    for name in expected:
        assert getattr(framework, name) is not None


def test_importing_the_framework_does_not_import_flask() -> None:
    code = "import sys, flasklite, flasklite.middleware; print('flask' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="."
    )
    assert out.stdout.strip() == "False"


def test_package_ships_py_typed() -> None:
    from importlib.resources import files

    assert files("flasklite").joinpath("py.typed").is_file()


def test_call_is_a_shortcut_for_wsgi_app_so_middleware_wraps_it(app: Flask) -> None:
    calls: list[str] = []
    inner = app.wsgi_app

    def middleware(environ, start_response):  # type: ignore[no-untyped-def]
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = middleware  # type: ignore[method-assign]
    app.test_client().get("/nowhere")
    assert calls == ["/nowhere"]
