"""The development static route: files, conditional requests, no path traversal."""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.test import Client

from flasklite import Flask


@pytest.fixture
def static_file(root: Path) -> Path:
    (root / "static" / "css").mkdir()
    path = root / "static" / "css" / "site.css"
    path.write_text("body { color: red }", encoding="utf-8")
    (root / "secret.txt").write_text("do not serve", encoding="utf-8")
    return path


def test_static_file_is_served_with_validators(client: Client, static_file: Path) -> None:
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert response.data == static_file.read_bytes()
    assert response.mimetype == "text/css"
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"]


def test_if_none_match_gets_304(client: Client, static_file: Path) -> None:
    etag = client.get("/static/css/site.css").headers["ETag"]
    response = client.get("/static/css/site.css", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""


def test_if_modified_since_gets_304(client: Client, static_file: Path) -> None:
    last_modified = client.get("/static/css/site.css").headers["Last-Modified"]
    response = client.get("/static/css/site.css", headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304


def test_changed_etag_gets_the_file(client: Client, static_file: Path) -> None:
    response = client.get("/static/css/site.css", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/css/../../secret.txt",
     "/static//etc/passwd", "/static/..%2fsecret.txt", "/static/missing.css"],
)  # fmt: skip
def test_path_traversal_and_missing_files_are_404(
    client: Client, static_file: Path, path: str
) -> None:
    # "//" is first redirected (308) to the merged-slash URL, which then 404s.
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 404
    assert b"do not serve" not in response.data


def test_static_route_can_be_disabled(root: Path) -> None:
    app = Flask("nostatic", root_path=str(root), static_folder=None)
    assert "static" not in app.view_functions


def test_custom_static_url_path(root: Path, static_file: Path) -> None:
    from .conftest import validated

    app = validated(Flask("custom", root_path=str(root), static_url_path="/assets"))
    assert app.test_client().get("/assets/css/site.css").status_code == 200


def test_empty_static_url_path_serves_files_at_the_root(root: Path, static_file: Path) -> None:
    from .conftest import validated

    app = validated(Flask("rooted", root_path=str(root), static_url_path=""))
    app.get("/", endpoint="index")(lambda: "index")
    client = app.test_client()
    assert client.get("/css/site.css").status_code == 200
    assert client.get("/").text == "index"  # the app's own routes still answer
    with app.test_request_context():
        from flasklite import url_for

        assert url_for("static", filename="css/site.css") == "/css/site.css"
