"""What a client can claim through nginx: the app must see nginx's view, not the client's.

nginx is the edge. The client's Host must never end up in a link the app builds (password-reset
mails and redirects built from a spoofed Host are the classic account takeover), and the client's
own X-Forwarded-* headers must not reach ProxyFix, which trusts exactly one proxy: nginx.
"""

from __future__ import annotations

import json

import pytest

from devtools.resilience import request
from tests.security.conftest import Target
from tests.security.rawhttp import send_raw

EVIL = "evil.example"


def needs_diagnostics(target: Target) -> None:
    if not target.diagnostics:
        pytest.fail(f"the {target.name} stack runs without APP_DIAGNOSTICS; these tests need it")


def environ(target: Target, headers: dict[str, str]) -> dict[str, object]:
    outcome, body, _ = request(target.url, "/_diag/environ", headers=headers)
    assert outcome.status == 200, (outcome, body[:300])
    document: dict[str, object] = json.loads(body)
    return document


def links_with_raw_request(target: Target, request_head: str) -> tuple[int | None, str]:
    """GET /_diag/links with a hand-written request head; (status, body)."""
    raw = request_head.replace("\n", "\r\n").encode("latin-1")
    result = send_raw("127.0.0.1", target.port, [raw], deadline=target.slow_deadline)
    return result.status, result.body.decode("utf-8", "replace")


SPOOFED_HOST_REQUESTS = {
    "host-header": "GET /_diag/links HTTP/1.1\nHost: {evil}\nConnection: close\n\n",
    "host-header-with-port": "GET /_diag/links HTTP/1.1\nHost: {evil}:443\nConnection: close\n\n",
    "x-forwarded-host": (
        "GET /_diag/links HTTP/1.1\nHost: {good}\nX-Forwarded-Host: {evil}\nConnection: close\n\n"
    ),
    "absolute-form-target": (
        "GET http://{evil}/_diag/links HTTP/1.1\nHost: {good}\nConnection: close\n\n"
    ),
    "forwarded-header": (
        "GET /_diag/links HTTP/1.1\nHost: {good}\nForwarded: host={evil};proto=https\n"
        "Connection: close\n\n"
    ),
}


@pytest.mark.parametrize("how", sorted(SPOOFED_HOST_REQUESTS))
def test_app_never_builds_links_from_a_client_supplied_host(target: Target, how: str) -> None:
    needs_diagnostics(target)
    head = SPOOFED_HOST_REQUESTS[how].format(evil=EVIL, good=target.host_header)
    status, body = links_with_raw_request(target, head)
    # Refusing the request is fine; answering with links that point at the attacker is not.
    assert status is not None and status < 500, (status, body[:300])
    if status == 200:
        assert EVIL not in body, f"links built from a spoofed host ({how}): {body}"


def test_redirects_never_point_at_a_client_supplied_host(target: Target) -> None:
    needs_diagnostics(target)
    raw = f"GET /_diag/redirect HTTP/1.1\r\nHost: {EVIL}\r\nConnection: close\r\n\r\n"
    result = send_raw("127.0.0.1", target.port, [raw.encode()], deadline=target.slow_deadline)
    assert result.status is not None and result.status < 500, result.describe()
    location = result.header("Location") or ""
    assert EVIL not in location, f"redirect to the spoofed host: {location}"


def test_app_sees_nginx_peer_not_the_client_claimed_x_forwarded_for(target: Target) -> None:
    needs_diagnostics(target)
    seen = environ(target, {"X-Forwarded-For": "203.0.113.66, 198.51.100.7"})
    remote = seen.get("REMOTE_ADDR")
    assert remote not in {"203.0.113.66", "198.51.100.7"}, f"client-claimed address: {remote}"
    if target.name == "native":
        # Natively the client is on loopback, and nginx says so.
        assert remote == "127.0.0.1", seen
    forwarded = str(seen.get("HTTP_X_FORWARDED_FOR", ""))
    assert "203.0.113.66" not in forwarded, f"nginx passed the client's claim on: {forwarded}"


def test_client_cannot_claim_https_or_a_port(target: Target) -> None:
    needs_diagnostics(target)
    seen = environ(
        target,
        {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", "X-Forwarded-Ssl": "on"},
    )
    assert seen.get("wsgi.url_scheme") == "http", seen.get("wsgi.url_scheme")
    assert str(seen.get("SERVER_PORT")) != "443", seen.get("SERVER_PORT")


def test_client_cannot_inject_a_url_prefix(target: Target) -> None:
    needs_diagnostics(target)
    outcome, body, _ = request(
        target.url, "/_diag/links", headers={"X-Forwarded-Prefix": "/evil-prefix"}
    )
    assert outcome.status == 200, (outcome, body[:300])
    assert b"evil-prefix" not in body, body
