"""Two stacks with the edge switched on: nginx natively on loopback and the compose stack.

Both run with TLS from a local CA made for the session (``devtools.certs``), a small API rate limit
and a trusted proxy range, and each is started once for all the tests that use it. Natively the
trusted proxy is 127.0.0.1 and "anyone else" is 127.0.0.2; in compose the host reaches nginx
through the Docker network's gateway (a private address, trusted), and "anyone else" is a request
from inside the nginx container itself, on its loopback.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devtools.certs import LocalCerts, make_local_certs
from tests.edge.client import HOST, Reply
from tests.support.prereqs import require_docker, require_executable

RATE = "6r/m"  # slow enough that the bucket does not drain while a test sends its burst
BURST = 5
EDGE_ENV = {
    "APP_DIAGNOSTICS": "1",
    "TLS_MODE": "files",
    "API_RATE_LIMIT": RATE,
    "API_RATE_BURST": str(BURST),
    "HSTS_MAX_AGE": "600",
}
# The ranges Docker gives its networks by default: the gateway the host's requests come from.
DOCKER_PRIVATE_RANGES = "172.16.0.0/12,192.168.0.0/16,10.0.0.0/8"


@dataclass
class Edge:
    """One running stack with TLS on, as the edge tests see it."""

    name: str
    http_port: int
    https_port: int
    certs: LocalCerts
    # A request from an address that is not a trusted proxy: (path, headers) -> reply.
    from_untrusted: Callable[[str, dict[str, str]], Reply]
    acme_dir_writer: Callable[[str, str], None]
    # nginx's access log so far (one JSON object a line).
    access_log: Callable[[], str]
    # The URL path of a file nginx serves from the static folder (None: the folder is empty).
    static_file: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="session")
def edge_certs(tmp_path_factory: pytest.TempPathFactory) -> LocalCerts:
    certs, _ = make_local_certs(tmp_path_factory.mktemp("edge-certs"))
    return certs


def _cert_env(certs: LocalCerts) -> dict[str, str]:
    return {"TLS_CERT_FILE": str(certs.cert), "TLS_KEY_FILE": str(certs.key)}


@pytest.fixture(scope="module")
def native_edge(edge_certs: LocalCerts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    require_executable("nginx")
    from devtools.native_stack import NativeStack, free_port
    from tests.edge.client import fetch
    from tests.stack.checks import STATIC_PROBE_NAME, static_probe_dir

    tls_port = free_port()
    env = {
        **EDGE_ENV,
        **_cert_env(edge_certs),
        "STACK_TLS_PORT": str(tls_port),
        "TRUSTED_PROXY_CIDRS": "127.0.0.1/32",
    }
    stack = NativeStack(app_env=env, static_dir=static_probe_dir(tmp_path_factory.mktemp("static")))
    acme = Path(stack.run_dir) / "tmp" / "acme"

    def write_acme(token: str, content: str) -> None:
        folder = acme / ".well-known" / "acme-challenge"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / token).write_text(content)

    try:
        with stack:
            yield Edge(
                name="native",
                http_port=stack.port,
                https_port=tls_port,
                certs=edge_certs,
                from_untrusted=lambda path, headers: fetch(
                    stack.port, path, headers=headers, source="127.0.0.2"
                ),
                acme_dir_writer=write_acme,
                access_log=lambda: (stack.logs_dir / "nginx-access.log").read_text(),
                static_file=f"/static/{STATIC_PROBE_NAME}",
                extra={"stack": stack},
            )
    finally:
        stack.cleanup()


def _untrusted_in_container(compose: Any, path: str, headers: dict[str, str]) -> Reply:
    """GET ``path`` from inside the nginx container to its own 127.0.0.1:8080 (bash's /dev/tcp:
    the Debian stand-in has no HTTP client). Returns status and body only."""
    lines = [f"GET {path} HTTP/1.0", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    request = "\\r\\n".join(lines) + "\\r\\n\\r\\n"
    script = f'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "{request}" >&3 && cat <&3'
    done = compose.exec("nginx", "bash", "-c", script)
    head, _, body = done.stdout.partition("\r\n\r\n")
    return Reply(int(head.split()[1]), {}, body.encode())


@pytest.fixture(scope="module")
def compose_edge(edge_certs: LocalCerts) -> Iterator[Edge]:
    require_docker()
    from devtools.compose_stack import ComposeStack

    env = {**EDGE_ENV, **_cert_env(edge_certs), "TRUSTED_PROXY_CIDRS": DOCKER_PRIVATE_RANGES}
    with ComposeStack(env=env, name="edge") as stack:
        volume = f"{stack.project}_acme-webroot"
        image = stack.env.get("NGINX_IMAGE", "nginx:1.27-alpine")

        def write_acme(token: str, content: str) -> None:
            # The volume is read-only in nginx: write through a throw-away container.
            script = (
                "mkdir -p /srv/acme/.well-known/acme-challenge && "
                f"printf %s '{content}' > /srv/acme/.well-known/acme-challenge/{token}"
            )
            subprocess.run(
                [
                    *("docker", "run", "--rm", "--user", "0", "--entrypoint", "sh"),
                    "-v",
                    f"{volume}:/srv/acme",
                    image,
                    "-c",
                    script,
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )

        yield Edge(
            name="compose",
            http_port=stack.port,
            https_port=int(stack.env["HTTPS_PORT"]),
            certs=edge_certs,
            from_untrusted=lambda path, headers: _untrusted_in_container(stack, path, headers),
            acme_dir_writer=write_acme,
            access_log=lambda: stack.logs("nginx", tail=None, prefix=False),
            static_file=compose_static_file(),
            extra={"compose": stack},
        )


def compose_static_file() -> str | None:
    """The image serves the service's own static folder: one of its files, if it has any."""
    from tests.stack.checks import SERVICE_STATIC, service_static_file

    served = service_static_file()
    return None if served is None else f"/static/{served.relative_to(SERVICE_STATIC)}"


@pytest.fixture(params=["native", pytest.param("compose", marks=pytest.mark.docker)])
def edge(request: pytest.FixtureRequest) -> Edge:
    fixture = "native_edge" if request.param == "native" else "compose_edge"
    value: Edge = request.getfixturevalue(fixture)
    return value


def logged_request(edge: Edge, request_id: str, wait: float = 10.0) -> dict[str, Any]:
    """nginx's access-log entry for the request that carried ``request_id`` (nginx writes it
    just after the response, so it may take a moment to appear)."""
    deadline = time.monotonic() + wait
    while True:
        for line in edge.access_log().splitlines():
            if request_id in line and line.lstrip().startswith("{"):
                entry: dict[str, Any] = json.loads(line)
                if entry.get("request_id") == request_id:
                    return entry
        if time.monotonic() > deadline:
            raise AssertionError(f"no access-log line for request {request_id}")
        time.sleep(0.2)


def environ_of(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, (reply.status, reply.body[:300])
    document: dict[str, Any] = json.loads(reply.body)
    return document


__all__ = ["BURST", "HOST", "Edge", "environ_of", "logged_request"]
