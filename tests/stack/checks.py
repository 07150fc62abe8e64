"""Checks that hold for any running stack, native or compose: both test folders call these with
their stack's URL and a way to read the app's log, so the two deployments are held to one
standard."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
STYLE_CSS = REPO_ROOT / "app" / "static" / "style.css"
TIMEOUT = 30

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def new_request_id() -> str:
    return f"test-{uuid.uuid4().hex}"


def assert_security_headers(response: requests.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} on {response.url}"
    # The Server header names nginx without its version.
    assert response.headers.get("Server", "nginx") == "nginx"


def check_page(url: str) -> None:
    response = requests.get(url + "/", headers={"Accept": "text/html"}, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'href="/static/style.css"' in response.text
    assert response.headers.get("X-Served-By")
    assert_security_headers(response)


def check_api(url: str) -> None:
    listed = requests.get(url + "/api/items", timeout=TIMEOUT)
    assert listed.status_code == 200
    assert listed.headers["Content-Type"].startswith("application/json")
    assert [item["id"] for item in listed.json()["items"]][:3] == [1, 2, 3]
    created = requests.post(
        url + "/api/items", json={"name": "bolt", "quantity": 3}, timeout=TIMEOUT
    )
    assert created.status_code == 201
    assert created.json()["name"] == "bolt"
    invalid = requests.post(url + "/api/items", json={"name": ""}, timeout=TIMEOUT)
    assert invalid.status_code == 400
    assert invalid.json()["error"]["code"] == 400


def check_static_served_by_nginx(url: str, app_log: Callable[[], str]) -> None:
    request_id = new_request_id()
    response = requests.get(
        url + "/static/style.css", headers={"X-Request-ID": request_id}, timeout=TIMEOUT
    )
    assert response.status_code == 200
    assert response.content == STYLE_CSS.read_bytes()
    assert response.headers["Content-Type"].startswith("text/css")
    # Long cache lifetime, and none of the headers the app adds to everything it answers.
    cache_control = response.headers["Cache-Control"]
    assert "public" in cache_control
    assert int(cache_control.split("max-age=")[1].split(",")[0]) >= 86400
    assert "X-Served-By" not in response.headers
    assert_security_headers(response)
    assert request_id not in app_log()


def check_request_id_propagated(url: str, app_log: Callable[[], str]) -> None:
    # None sent: nginx makes one, the app gets it, logs it and answers with it.
    response = requests.get(url + "/hello", timeout=TIMEOUT)
    generated = response.headers["X-Request-ID"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    # One sent: kept end to end.
    mine = new_request_id()
    echoed = requests.get(url + "/api/items/1", headers={"X-Request-ID": mine}, timeout=TIMEOUT)
    assert echoed.headers["X-Request-ID"] == mine
    # A malformed one is replaced by nginx (with the app's own rule), never passed on.
    bogus = requests.get(
        url + "/hello", headers={"X-Request-ID": "no spaces <allowed>"}, timeout=TIMEOUT
    )
    assert bogus.headers["X-Request-ID"] != "no spaces <allowed>"
    assert len(bogus.headers["X-Request-ID"]) == 32

    log = app_log()
    lines = [json.loads(line) for line in log.splitlines() if mine in line]
    assert any(
        entry.get("type") == "access" and entry["request_id"] == mine and entry["status"] == 200
        for entry in lines
    ), f"no access line with {mine} in the app log"
    assert generated in log


def check_body_limit(url: str, limit: int) -> None:
    """Above the limit nginx answers 413 itself (JSON for the API); at the limit the app gets it."""
    too_big = requests.post(
        url + "/api/items",
        data=b"x" * (limit + 1),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        timeout=TIMEOUT,
    )
    assert too_big.status_code == 413
    assert too_big.headers["Content-Type"].startswith("application/json")
    assert too_big.json()["error"]["code"] == 413
    assert "X-Served-By" not in too_big.headers  # nginx's answer, not the app's
    assert_security_headers(too_big)


def check_nginx_health(url: str) -> None:
    response = requests.get(url + "/nginx-health", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def check_gzip(url: str) -> None:
    # /_diag/environ is JSON well over gzip_min_length.
    response = requests.get(
        url + "/_diag/environ", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=TIMEOUT
    )
    assert response.headers.get("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(response.raw.read()))["REQUEST_METHOD"] == "GET"


def check_spoofed_forwarding_headers_ignored(url: str) -> None:
    environ = requests.get(
        url + "/_diag/environ",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Prefix": "/evil",
            "X-Forwarded-Port": "1",
            "X-Forwarded-Proto": "https",
        },
        timeout=TIMEOUT,
    ).json()
    assert environ["REMOTE_ADDR"] != "203.0.113.9"
    assert environ.get("SCRIPT_NAME", "") == ""
    assert environ["wsgi.url_scheme"] == "http"
    links = requests.get(url + "/_diag/links", timeout=TIMEOUT).json()
    assert links["index"] == "/"
