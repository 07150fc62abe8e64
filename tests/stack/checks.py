"""Checks that hold for any running stack, native or compose: both test folders call these with
their stack's URL and a way to read the app's log, so the two deployments are held to one
standard."""

from __future__ import annotations

import gzip
import json
import mimetypes
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The service's static folder, which the image serves as /static/ (none is fine).
SERVICE_STATIC = REPO_ROOT / "app" / "static"
#: A static file of the tests' own, for the native stacks they start (NativeStack(static_dir=)).
STATIC_PROBE_NAME = "probe.css"
STATIC_PROBE = (
    b"/* served by nginx from the static folder, never by the app */\nbody { margin: 0; }\n"
)
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


def static_probe_dir(directory: Path) -> Path:
    """``directory`` holding the tests' static file, for ``NativeStack(static_dir=...)``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / STATIC_PROBE_NAME).write_bytes(STATIC_PROBE)
    return directory


def service_static_file() -> Path | None:
    """One file of the service's static folder (what the image serves), or None without one."""
    files = sorted(path for path in SERVICE_STATIC.rglob("*") if path.is_file())
    return files[0] if files else None


def check_probe_routes(url: str) -> None:
    """wsgistack's probes answer through the stack, with the stack's headers on them."""
    text = requests.get(url + "/_probe/text", headers={"Accept": "text/html"}, timeout=TIMEOUT)
    assert text.status_code == 200
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.headers.get("X-Served-By")
    assert_security_headers(text)
    echoed = requests.post(url + "/_probe/json", json={"name": "bolt"}, timeout=TIMEOUT)
    assert (echoed.status_code, echoed.json()) == (200, {"echo": {"name": "bolt"}})
    invalid = requests.post(url + "/_probe/json", json=[1], timeout=TIMEOUT)
    assert invalid.status_code == 400
    assert invalid.json()["error"]["code"] == 400
    missing = requests.get(url + "/_probe/number/2000000", timeout=TIMEOUT)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == 404


def check_static_served_by_nginx(
    url: str, app_log: Callable[[], str], static_file: Path, static_root: Path
) -> None:
    request_id = new_request_id()
    path = static_file.relative_to(static_root).as_posix()
    response = requests.get(
        f"{url}/static/{path}", headers={"X-Request-ID": request_id}, timeout=TIMEOUT
    )
    assert response.status_code == 200
    assert response.content == static_file.read_bytes()
    kind = mimetypes.guess_type(static_file.name)[0] or "application/octet-stream"
    assert response.headers["Content-Type"].startswith(kind)
    # Long cache lifetime, and none of the headers the app adds to everything it answers.
    cache_control = response.headers["Cache-Control"]
    assert "public" in cache_control
    assert int(cache_control.split("max-age=")[1].split(",")[0]) >= 86400
    assert "X-Served-By" not in response.headers
    assert_security_headers(response)
    assert request_id not in app_log()


def check_request_id_propagated(url: str, app_log: Callable[[], str]) -> None:
    # None sent: nginx makes one, the app gets it, logs it and answers with it.
    response = requests.get(url + "/_probe/text", timeout=TIMEOUT)
    generated = response.headers["X-Request-ID"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    # One sent: kept end to end.
    mine = new_request_id()
    echoed = requests.get(url + "/_probe/number/1", headers={"X-Request-ID": mine}, timeout=TIMEOUT)
    assert echoed.headers["X-Request-ID"] == mine
    # A malformed one is replaced by nginx (with the app's own rule), never passed on.
    bogus = requests.get(
        url + "/_probe/text", headers={"X-Request-ID": "no spaces <allowed>"}, timeout=TIMEOUT
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
    """Above the limit nginx answers 413 itself (JSON for programs); at the limit the app gets it."""
    too_big = requests.post(
        url + "/_probe/json",
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
    assert links["text"] == "/_probe/text"
