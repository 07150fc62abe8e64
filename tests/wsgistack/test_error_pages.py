"""wsgistack's error pages never fail themselves: a service's ``error.html`` that cannot render
for this request gives way to the built-in page, with the same status."""

from __future__ import annotations

from pathlib import Path

import pytest

import wsgistack
from flasklite import Flask

# A label of 64 characters: IDNA refuses it, so werkzeug cannot bind the URL map to this Host.
UNBINDABLE_HOST = "a" * 64 + ".example"


def service_with_error_page(folder: Path, page: str) -> Flask:
    (folder / "error.html").write_text(page)
    app = Flask(__name__, template_folder=str(folder))
    wsgistack.load_settings(app, {"TESTING": False, "TRUSTED_HOSTS": None})

    @app.get("/")
    def index() -> str:
        return "one route"

    wsgistack.install(app)
    return app


@pytest.mark.parametrize("host", [UNBINDABLE_HOST, "x" * 3000])
def test_a_host_the_error_page_cannot_link_for_gets_the_built_in_page(
    tmp_path: Path, host: str
) -> None:
    page = '<a href="{{ url_for("index") }}">home</a> {{ code }} {{ message }}'
    app = service_with_error_page(tmp_path, page)
    reply = app.test_client().get("/missing", headers={"Host": host, "Accept": "text/html"})
    assert reply.status_code == 404
    body = reply.get_data(as_text=True)
    assert "<h1>404 Not Found</h1>" in body and len(body) < 1000


def test_the_services_own_page_is_used_when_it_renders(tmp_path: Path) -> None:
    app = service_with_error_page(tmp_path, '<a href="{{ url_for("index") }}">home</a> {{ code }}')
    reply = app.test_client().get("/missing", headers={"Accept": "text/html"})
    assert (reply.status_code, reply.get_data(as_text=True)) == (404, '<a href="/">home</a> 404')
