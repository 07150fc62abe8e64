"""``send_file``/``send_from_directory``, ``stream_with_context``, ``stream_template``,
``after_this_request`` and ``copy_current_request_context``."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from flasklite import (
    Flask,
    after_this_request,
    copy_current_request_context,
    request,
    send_file,
    send_from_directory,
    session,
    stream_template,
    stream_template_string,
    stream_with_context,
    template_rendered,
)

from .conftest import AppFactory

CONTENT = b"0123456789" * 10


@pytest.fixture
def app(make_app: AppFactory, root: Path) -> Flask:
    (root / "files").mkdir()
    (root / "files" / "data.bin").write_bytes(CONTENT)
    (root / "files" / "page.html").write_text("<p>hi</p>")
    (root / "secret.txt").write_text("outside the folder")
    app = make_app(SECRET_KEY="a-test-secret-key-that-is-long-enough")

    @app.get("/file")
    def file() -> Any:
        return send_file("files/data.bin")

    @app.get("/download")
    def download() -> Any:
        return send_file(
            io.BytesIO(b"a,b\n"), mimetype="text/csv", as_attachment=True, download_name="rés.csv"
        )

    @app.get("/dir/<path:name>")
    def from_dir(name: str) -> Any:
        return send_from_directory("files", name)

    return app


def test_send_file_relative_to_the_app_root(client: Any) -> None:
    response = client.get("/file")
    assert response.get_data() == CONTENT
    assert response.mimetype == "application/octet-stream"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == "no-cache"


def test_conditional_requests_and_ranges(client: Any) -> None:
    etag = client.get("/file").headers["ETag"]
    assert client.get("/file", headers={"If-None-Match": etag}).status_code == 304
    partial = client.get("/file", headers={"Range": "bytes=5-14"})
    assert partial.status_code == 206 and partial.get_data() == CONTENT[5:15]
    assert partial.headers["Content-Range"] == f"bytes 5-14/{len(CONTENT)}"
    assert client.get("/file", headers={"Range": "bytes=500-600"}).status_code == 416


def test_download_name_and_attachment(client: Any) -> None:
    response = client.get("/download")
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''r%C3%A9s.csv" in disposition


def test_max_age_from_config_or_argument(app: Flask) -> None:
    @app.get("/short")
    def short() -> Any:
        return send_file("files/data.bin", max_age=5, etag=False)

    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(hours=1)
    client = app.test_client()
    assert client.get("/file").headers["Cache-Control"] == "public, max-age=3600"
    response = client.get("/short")
    assert response.headers["Cache-Control"] == "public, max-age=5"
    assert "ETag" not in response.headers


def test_x_sendfile_leaves_the_body_to_the_server(app: Flask, client: Any) -> None:
    app.config["USE_X_SENDFILE"] = True
    response = client.get("/file")
    assert response.headers["X-Sendfile"].endswith("files/data.bin")
    assert response.get_data() == b""


@pytest.mark.parametrize(
    "name", ["../secret.txt", "/etc/passwd", "..%2fsecret.txt", "missing.txt", "", "."]
)
def test_send_from_directory_refuses_anything_outside(app: Flask, name: str) -> None:
    @app.get("/pick")
    def pick() -> Any:
        return send_from_directory("files", request.args["name"])

    response = app.test_client().get("/pick", query_string={"name": name})
    assert response.status_code == 404
    assert b"outside the folder" not in response.get_data()


def test_send_from_directory_refuses_dot_dot_in_the_url(client: Any) -> None:
    for path in ("/dir/../secret.txt", "/dir/%2e%2e/secret.txt"):
        assert client.get(path).status_code == 404


def test_send_from_directory_serves_inside(client: Any) -> None:
    response = client.get("/dir/page.html")
    assert response.get_data() == b"<p>hi</p>" and response.mimetype == "text/html"


def test_file_helpers_need_a_request() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        send_file(io.BytesIO(b""), mimetype="text/plain")
    with pytest.raises(RuntimeError, match="request context"):
        send_from_directory("x", "y")


# -- streaming ------------------------------------------------------------------------------


def test_stream_with_context_keeps_the_request_until_the_end(app: Flask, client: Any) -> None:
    ended: list[str] = []
    app.teardown_request(lambda exc: ended.append("teardown"))

    @app.get("/stream")
    def stream() -> Any:
        def chunks() -> Any:
            yield f"path={request.path};"
            ended.append("last chunk")
            yield f"user={session.get('user')}"

        session["user"] = "ann"
        return app.response_class(stream_with_context(chunks()))

    assert client.get("/stream").get_data() == b"path=/stream;user=ann"
    assert ended == ["last chunk", "teardown"]


def test_stream_with_context_as_a_decorator(app: Flask, client: Any) -> None:
    @app.get("/stream")
    def stream() -> Any:
        @stream_with_context
        def chunks() -> Any:
            yield request.args["word"]

        return app.response_class(chunks())

    assert client.get("/stream?word=hi").get_data() == b"hi"


def test_without_stream_with_context_the_request_is_gone(app: Flask, client: Any) -> None:
    app.testing = True

    @app.get("/stream")
    def stream() -> Any:
        def chunks() -> Any:
            yield request.path

        return app.response_class(chunks())

    with pytest.raises(RuntimeError, match="request context"):
        client.get("/stream")


def test_stream_with_context_needs_a_request() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        stream_with_context(iter(["x"]))


def test_stream_template_and_template_string(app: Flask, root: Path, client: Any) -> None:
    (root / "templates" / "list.html").write_text("{% for i in items %}<{{ i }}>{% endfor %}")
    rendered: list[str | None] = []

    def on_render(sender: Any, template: Any, context: Any) -> None:
        rendered.append(template.name)

    @app.get("/list")
    def listing() -> Any:
        return app.response_class(stream_template("list.html", items=[1, "<b>"]))

    @app.get("/string")
    def string() -> Any:
        return app.response_class(stream_template_string("{{ request.path }}"))

    with template_rendered.connected_to(on_render, app):
        assert client.get("/list").get_data() == b"<1><&lt;b&gt;>"
        assert client.get("/string").get_data() == b"/string"
    assert rendered == ["list.html", None]


# -- request-scoped helpers -------------------------------------------------------------------


def test_after_this_request_runs_for_this_request_only_and_first(app: Flask, client: Any) -> None:
    order: list[str] = []

    @app.after_request
    def everywhere(response: Any) -> Any:
        order.append("after_request")
        return response

    @app.get("/once")
    def once() -> str:
        @after_this_request
        def tag(response: Any) -> Any:
            order.append("after_this_request")
            response.headers["X-Once"] = "yes"
            return response

        return "ok"

    assert client.get("/once").headers["X-Once"] == "yes"
    assert order == ["after_this_request", "after_request"]
    assert "X-Once" not in client.get("/file").headers


def test_after_this_request_needs_a_request() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        after_this_request(lambda response: response)


def test_copy_current_request_context_in_a_thread(app: Flask, client: Any) -> None:
    seen: list[str] = []

    @app.get("/work")
    def work() -> str:
        session["user"] = "ann"

        @copy_current_request_context
        def in_background() -> None:
            seen.append(f"{request.path} {session['user']}")

        thread = threading.Thread(target=in_background)
        thread.start()
        thread.join()
        return "started"

    assert client.get("/work").get_data() == b"started"
    assert seen == ["/work ann"]
