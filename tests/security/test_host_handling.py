"""The Host header: what the app trusts, what nginx passes up, and that no redirect reflects it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app import create_app
from devtools.native_stack import NativeStack
from devtools.resilience import request
from tests.support.prereqs import require_executable
from wsgistack.settings import DEFAULTS, as_host_list


def test_an_ipv6_literal_in_trusted_hosts_is_refused_at_start_with_a_reason() -> None:
    # werkzeug's check cuts a listed name at its first ":", so "[::1]" could never match.
    with pytest.raises(ValueError, match="can never match"):
        as_host_list("TRUSTED_HOSTS", "localhost,[::1]")
    assert all(":" not in host for host in DEFAULTS["TRUSTED_HOSTS"])


def test_trusted_host_names_are_compared_in_lowercase() -> None:
    assert as_host_list("TRUSTED_HOSTS", "Example.COM,localhost") == ["example.com", "localhost"]


def test_routing_redirect_does_not_reflect_the_host_header() -> None:
    client = create_app({"TESTING": True}).test_client()
    response = client.get("/_probe//text", headers={"Host": "localhost:1"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/_probe/text"
    assert b"localhost:1" not in response.data


@pytest.fixture(scope="module")
def stack() -> Iterator[NativeStack]:
    require_executable("nginx")
    own = NativeStack()
    try:
        with own:
            yield own
    finally:
        own.cleanup()


@pytest.mark.nginx
def test_nginx_passes_the_host_lowercased_with_its_port(stack: NativeStack) -> None:
    outcome, _, _ = request(stack.url, "/_probe/text", headers={"Host": f"LOCALHOST:{stack.port}"})
    assert outcome.status == 200


@pytest.mark.nginx
def test_a_container_name_is_not_a_trusted_host(stack: NativeStack) -> None:
    # compose's locust containers reach nginx on its in-network port instead (8081).
    outcome, _, _ = request(stack.url, "/_probe/text", headers={"Host": "nginx:8080"})
    assert outcome.status == 400
