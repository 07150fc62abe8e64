"""Edge behaviour checked on the native stack only: the PROXY protocol listener, and
`make stack` (the CLI) serving HTTPS."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.certs import LocalCerts
from tests.edge.client import fetch, trusting, via_proxy_protocol
from tests.edge.conftest import environ_of
from tests.support.prereqs import require_executable

pytestmark = pytest.mark.nginx
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def proxy_protocol_stack() -> Iterator[tuple[Any, int]]:
    require_executable("nginx")
    from devtools.native_stack import NativeStack, free_port

    pp_port = free_port()
    env = {
        "APP_DIAGNOSTICS": "1",
        "TRUSTED_PROXY_CIDRS": "127.0.0.1/32",
        "REAL_IP_FROM": "proxy-protocol",
        "STACK_PROXY_PROTOCOL_PORT": str(pp_port),
    }
    stack = NativeStack(app_env=env)
    try:
        with stack:
            yield stack, pp_port
    finally:
        stack.cleanup()


def test_proxy_protocol_from_a_trusted_balancer_gives_the_client_address(
    proxy_protocol_stack: tuple[Any, int],
) -> None:
    stack, pp_port = proxy_protocol_stack
    reply = via_proxy_protocol(pp_port, "198.51.100.77", "/_diag/environ")
    assert reply.status == 200, reply
    assert json.loads(reply.body)["REMOTE_ADDR"] == "198.51.100.77"
    # On the ordinary port X-Forwarded-For means nothing in this mode.
    plain = fetch(stack.port, "/_diag/environ", headers={"X-Forwarded-For": "198.51.100.78"})
    assert environ_of(plain)["REMOTE_ADDR"] == "127.0.0.1"


def test_proxy_protocol_from_anyone_else_is_ignored(
    proxy_protocol_stack: tuple[Any, int],
) -> None:
    _, pp_port = proxy_protocol_stack
    # From 127.0.0.2, which is not a trusted balancer: the header is parsed but not believed.
    head = (
        f"PROXY TCP4 198.51.100.79 127.0.0.1 40000 {pp_port}\r\n"
        f"GET /_diag/environ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", pp_port), source_address=("127.0.0.2", 0)) as s:
        s.sendall(head.encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    assert b"198.51.100.79" not in data and b"127.0.0.2" in data


def test_make_stack_serves_https_with_the_edge_settings(
    edge_certs: LocalCerts, tmp_path: Path
) -> None:
    require_executable("nginx")
    from devtools.native_stack import free_port

    port, tls_port = free_port(), free_port()
    env = {
        **os.environ,
        "STACK_PORT": str(port),
        "STACK_TLS_PORT": str(tls_port),
        "TLS_MODE": "files",
        "TLS_CERT_FILE": str(edge_certs.cert),
        "TLS_KEY_FILE": str(edge_certs.key),
        # SQLite: PostgreSQL (make stack's default database) is not what this test is about.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
    }
    cli = [sys.executable, "-m", "devtools.native_stack"]
    run_dir = ["--run-dir", str(tmp_path / "stack")]
    up = subprocess.run(
        [*cli, "up", *run_dir], cwd=REPO, env=env, capture_output=True, text=True, timeout=90
    )
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        page = fetch(tls_port, "/_probe/text", tls=trusting(edge_certs.ca_cert))
        assert page.status == 200 and page.header("Strict-Transport-Security")
        redirect = fetch(port, "/")
        assert redirect.status == 308
        assert redirect.header("Location") == f"https://127.0.0.1:{tls_port}/"
    finally:
        subprocess.run([*cli, "down", *run_dir], cwd=REPO, env=env, capture_output=True, timeout=90)
