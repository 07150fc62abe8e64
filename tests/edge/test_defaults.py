"""With no edge settings (the shared stacks every other test uses): plain HTTP as before, with
the CSP but no HSTS, and nothing speaking TLS on the published HTTPS port. (That no proxy is
trusted by default is checked in tests/stack/checks.py.)"""

from __future__ import annotations

import ssl
from typing import Any

import pytest

from devtools.certs import LocalCerts
from tests.edge.client import fetch, handshake


@pytest.fixture(params=["native", pytest.param("compose", marks=pytest.mark.docker)])
def plain_port(request: pytest.FixtureRequest) -> int:
    """nginx's HTTP port on the shared stack with the default settings."""
    stack: Any = request.getfixturevalue(f"{request.param}_stack")
    return int(stack.port)


def test_plain_http_is_served_without_hsts(plain_port: int) -> None:
    port = plain_port
    page = fetch(port, "/_probe/text")
    assert page.status == 200, page
    assert page.header("Strict-Transport-Security") is None
    assert page.header("Content-Security-Policy")


@pytest.mark.docker
def test_the_published_https_port_answers_no_tls_while_it_is_off(
    compose_stack: Any, edge_certs: LocalCerts
) -> None:
    with pytest.raises((ssl.SSLError, OSError)):
        handshake(int(compose_stack.env["HTTPS_PORT"]), edge_certs.ca_cert)
