"""With no edge settings (the shared stacks every other test uses): plain HTTP as before, no
HSTS, nothing on the HTTPS port, no proxy trusted, and the headers on every response."""

from __future__ import annotations

import json
import ssl
from typing import Any

import pytest

from devtools.certs import LocalCerts
from tests.edge.client import fetch, handshake
from tests.edge.conftest import environ_of


@pytest.fixture(params=["native", pytest.param("compose", marks=pytest.mark.docker)])
def plain_port(request: pytest.FixtureRequest) -> int:
    """nginx's HTTP port on the shared stack with the default settings."""
    stack: Any = request.getfixturevalue(f"{request.param}_stack")
    return int(stack.port)


def test_plain_http_is_served_without_hsts(plain_port: int) -> None:
    port = plain_port
    page = fetch(port, "/")
    assert page.status == 200, page
    assert page.header("Strict-Transport-Security") is None
    assert page.header("Content-Security-Policy")


def test_no_proxy_is_trusted_by_default(plain_port: int) -> None:
    port = plain_port
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    environ = environ_of(fetch(port, "/_diag/environ", headers=spoofed))
    assert environ["REMOTE_ADDR"] != "203.0.113.9"
    assert environ["wsgi.url_scheme"] == "http"
    links = json.loads(fetch(port, "/_diag/links", headers=spoofed).body)
    assert links["external"].startswith("http://"), links


@pytest.mark.docker
def test_the_published_https_port_answers_no_tls_while_it_is_off(
    compose_stack: Any, edge_certs: LocalCerts
) -> None:
    with pytest.raises((ssl.SSLError, OSError)):
        handshake(int(compose_stack.env["HTTPS_PORT"]), edge_certs.ca_cert)
