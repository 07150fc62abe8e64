"""Security headers on every kind of response (the app's answers, static files, nginx's own
answers, the app's errors), and no versions or stack traces anywhere. The app's answers come from
wsgistack's probe routes, so this holds for any service."""

from __future__ import annotations

import pytest

from tests.security.checks import problems_with_response
from tests.security.conftest import Target
from tests.security.rawhttp import RawResult, send_raw

# (method, path, extra header lines, expected status): one of each way a response is produced.
RESPONSES = {
    "app-text": ("GET", "/_probe/text", "Accept: text/html\r\n", 200),
    "app-json": ("GET", "/_probe/number/1", "", 200),
    "app-stream": ("GET", "/_probe/stream?lines=3", "", 200),
    "nginx-static-file": ("GET", "${static_file}", "", 200),
    "nginx-health": ("GET", "/nginx-health", "", 200),
    "app-404-html": ("GET", "/no-such-page", "Accept: text/html\r\n", 404),
    "app-404-json": ("GET", "/_probe/number/2000000", "", 404),
    "app-405": ("DELETE", "/_probe/json", "", 405),
    "app-400": ("GET", "/_probe/stream?lines=oops", "", 400),
    "nginx-static-404": ("GET", "/static/missing.css", "", 404),
    "nginx-413": ("POST", "/_probe/json", "Content-Length: 999999999999\r\n", 413),
    "nginx-400-bad-request-line": ("GET", "/a b", "", 400),
    "head-request": ("HEAD", "/_probe/text", "", 200),
}


def fetch(target: Target, method: str, path: str, extra: str) -> RawResult:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {target.host_header}\r\n{extra}"
        "Connection: close\r\n\r\n"
    )
    return send_raw(
        "127.0.0.1",
        target.port,
        [head.encode("latin-1")],
        deadline=target.slow_deadline,
        head_only=method == "HEAD",
    )


@pytest.mark.parametrize("kind", sorted(RESPONSES))
def test_every_response_carries_security_headers_and_no_versions(target: Target, kind: str) -> None:
    method, path, extra, status = RESPONSES[kind]
    if path == "${static_file}":
        if target.static_file is None:
            pytest.skip(
                f"the service's static folder is empty: the {target.name} stack serves none"
            )
        path = target.static_file
    result = fetch(target, method, path, extra)
    assert result.status == status, result.describe()
    assert not problems_with_response(result), problems_with_response(result)
    assert result.header("Server") in (None, "nginx"), result.header("Server")


def test_unhandled_exception_answers_a_bare_500(target: Target) -> None:
    """The app's 500: generic message, request id to quote, no traceback or exception text."""
    if not target.diagnostics:
        pytest.fail(f"the {target.name} stack runs without APP_DIAGNOSTICS; this test needs it")
    for accept in ("application/json", "text/html"):
        result = fetch(target, "GET", "/_diag/boom", f"Accept: {accept}\r\n")
        assert result.status == 500, result.describe()
        assert b"RuntimeError" not in result.body and b"deliberate" not in result.body, result.body
        assert result.header("X-Request-ID"), result.headers
        assert not problems_with_response(result), problems_with_response(result)
