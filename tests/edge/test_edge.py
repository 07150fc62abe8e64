"""The edge through nginx natively and through the compose stack, TLS on: HTTPS with the local CA,
HTTP/2, no TLS 1.1, HTTP->HTTPS except the ACME path, HSTS only over TLS, trusted-proxy client
addresses, the API rate limit, and the security headers on every kind of response."""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
import uuid

import pytest

from tests.edge.client import Reply, fetch, handshake, new_client_address, trusting
from tests.edge.conftest import BURST, Edge, environ_of, logged_request
from tests.support.prereqs import require_executable

pytestmark = [pytest.mark.nginx, pytest.mark.slow]

# A path under nginx's /api/ location (its rate limit and body limit), on no particular route.
API_PATH = "/api/rate-probe"


def https(edge: Edge, path: str, headers: dict[str, str] | None = None, **kw: str) -> Reply:
    return fetch(edge.https_port, path, headers=headers, tls=trusting(edge.certs.ca_cert), **kw)


def http(edge: Edge, path: str, headers: dict[str, str] | None = None) -> Reply:
    return fetch(edge.http_port, path, headers=headers)


# --- TLS ---------------------------------------------------------------------------------------
def test_curl_gets_the_page_over_https_with_http2_trusting_only_the_local_ca(edge: Edge) -> None:
    curl = shutil.which("curl") or require_executable("curl", "apt-get install curl")
    done = subprocess.run(
        [
            *(curl, "-sS", "--http2", "--cacert", str(edge.certs.ca_cert)),
            *("--resolve", f"localhost:{edge.https_port}:127.0.0.1"),
            *("-o", "/dev/null", "-w", "%{http_code} %{http_version}"),
            f"https://localhost:{edge.https_port}/",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "200 2", done.stdout


def test_the_served_certificate_is_the_one_from_the_secret_file(edge: Edge) -> None:
    _, _, der = handshake(edge.https_port, edge.certs.ca_cert)
    pem = edge.certs.cert.read_text()
    assert der is not None and ssl.DER_cert_to_PEM_cert(der).strip() == pem.strip()


def test_alpn_negotiates_http2_and_still_offers_http11(edge: Edge) -> None:
    assert handshake(edge.https_port, edge.certs.ca_cert, alpn=["h2", "http/1.1"])[1] == "h2"
    assert handshake(edge.https_port, edge.certs.ca_cert, alpn=["http/1.1"])[1] == "http/1.1"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
@pytest.mark.parametrize(
    "version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1], ids=["TLSv1.0", "TLSv1.1"]
)
def test_tls_before_1_2_is_refused(edge: Edge, version: ssl.TLSVersion) -> None:
    with pytest.raises(ssl.SSLError):
        handshake(edge.https_port, edge.certs.ca_cert, version=version)


@pytest.mark.parametrize(
    "version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["TLSv1.2", "TLSv1.3"]
)
def test_tls_1_2_and_1_3_are_accepted(edge: Edge, version: ssl.TLSVersion) -> None:
    # The same lowered client settings as the refusal test: the refusal is the server's doing.
    assert handshake(edge.https_port, edge.certs.ca_cert, version=version)[0] in {
        "TLSv1.2",
        "TLSv1.3",
    }


# --- plain HTTP: redirect, ACME, health ------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/api/anything?x=1", "/static/any.css", "/healthz"])
def test_plain_http_is_redirected_with_308_to_the_same_path_over_https(
    edge: Edge, path: str
) -> None:
    reply = http(edge, path)
    assert reply.status == 308, reply
    assert reply.header("Location") == f"https://127.0.0.1:{edge.https_port}{path}"
    assert reply.header("Strict-Transport-Security") is None


def test_acme_challenge_is_answered_over_plain_http(edge: Edge) -> None:
    token = uuid.uuid4().hex
    edge.acme_dir_writer(token, f"{token}.key-authorization")
    reply = http(edge, f"/.well-known/acme-challenge/{token}")
    assert reply.status == 200, reply
    assert reply.body.decode().strip() == f"{token}.key-authorization"
    assert reply.header("Strict-Transport-Security") is None
    assert http(edge, "/.well-known/acme-challenge/no-such-token").status == 404


def test_nginx_health_answers_over_plain_http_for_probes(edge: Edge) -> None:
    reply = http(edge, "/nginx-health")
    assert reply.status == 200 and reply.header("Strict-Transport-Security") is None


def test_hsts_is_sent_over_https_only(edge: Edge) -> None:
    assert https(edge, "/").header("Strict-Transport-Security") == "max-age=600"
    assert https(edge, "/no-such-page").header("Strict-Transport-Security") == "max-age=600"


# --- behind a load balancer ------------------------------------------------------------------
def test_client_address_from_a_trusted_proxy_is_honoured(edge: Edge) -> None:
    client = new_client_address()
    chain = f"198.18.0.9, {client}"  # whatever the client claimed, then what the proxy saw
    reply = https(edge, "/_diag/environ", {"X-Forwarded-For": chain})
    assert environ_of(reply)["REMOTE_ADDR"] == client


def test_client_address_from_anyone_else_is_ignored(edge: Edge) -> None:
    request_id = f"edge-untrusted-{uuid.uuid4().hex}"
    headers = {
        "X-Forwarded-For": "203.0.113.200",
        "X-Forwarded-Proto": "https",
        "X-Request-ID": request_id,
    }
    reply = edge.from_untrusted("/_diag/environ", headers)
    # Redirected: a forged X-Forwarded-Proto does not make plain HTTP count as TLS either.
    assert reply.status == 308, reply
    entry = logged_request(edge, request_id)
    assert entry["remote_addr"] != "203.0.113.200", entry
    assert entry["remote_addr"].startswith("127."), entry


def test_forwarded_https_from_a_trusted_proxy_gives_https_links_and_redirects(edge: Edge) -> None:
    """TLS ended at the load balancer: plain HTTP to nginx, X-Forwarded-Proto: https."""
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": new_client_address()}
    links = http(edge, "/_diag/links", headers)
    assert links.status == 200, links
    assert json.loads(links.body)["external"].startswith("https://"), links.body
    assert links.header("Strict-Transport-Security") == "max-age=600"
    redirect = http(edge, "/_diag/redirect", headers)
    assert redirect.status in {301, 302, 303, 307, 308}, redirect
    location = redirect.header("Location") or ""
    assert not location.startswith("http://"), location


# --- rate limit ------------------------------------------------------------------------------
def test_api_is_limited_past_the_burst_with_a_json_429_and_retry_after(edge: Edge) -> None:
    # nginx limits every path under /api/, whatever the service answers there (a service without
    # an API answers 404: still the app's answer, not nginx's 429).
    client = {"X-Forwarded-For": new_client_address()}
    allowed = [https(edge, API_PATH, client) for _ in range(BURST + 1)]
    assert all(reply.status != 429 and reply.header("X-Served-By") for reply in allowed), allowed
    limited = https(edge, API_PATH, client)
    assert limited.status == 429, limited
    assert limited.header("Content-Type") == "application/json"
    assert json.loads(limited.body)["error"]["code"] == 429
    assert int(limited.header("Retry-After") or "0") >= 10  # 6 a minute: one every 10 s
    # The limit is per address and for the API only: health checks and pages still answer.
    for path in ("/healthz", "/readyz", "/nginx-health", "/_probe/text"):
        assert https(edge, path, client).status == 200, path
    assert https(edge, API_PATH, {"X-Forwarded-For": new_client_address()}).status != 429


# --- headers on every kind of response -------------------------------------------------------
CSP_DIRECTIVES = {"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"}


def csp_problems(reply: Reply) -> list[str]:
    problems = []
    csp = reply.header("Content-Security-Policy") or ""
    directives = {part.strip() for part in csp.split(";")}
    if not directives >= CSP_DIRECTIVES:
        problems.append(f"{reply.status}: CSP {csp!r} lacks {CSP_DIRECTIVES - directives}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"{reply.status}: CSP allows inline code: {csp!r}")
    for name in ("Referrer-Policy", "Permissions-Policy", "X-Content-Type-Options"):
        if not reply.header(name):
            problems.append(f"{reply.status} lacks {name}")
    return problems


RESPONSE_KINDS = {
    "app-text": ("GET", "/_probe/text", {"Accept": "text/html"}, 200),
    "app-json": ("GET", "/_probe/number/1", {}, 200),
    "app-404-html": ("GET", "/no-such-page", {"Accept": "text/html"}, 404),
    "app-404-json": ("GET", "/_probe/number/2000000", {}, 404),
    "static": ("GET", "${static_file}", {}, 200),
    "static-404": ("GET", "/static/missing.css", {}, 404),
    "nginx-413": ("POST", "/_probe/json", {"Content-Length": "999999999999"}, 413),
    "nginx-health": ("GET", "/nginx-health", {}, 200),
}


@pytest.mark.parametrize("kind", sorted(RESPONSE_KINDS))
def test_every_response_kind_carries_csp_and_the_other_headers(edge: Edge, kind: str) -> None:
    method, path, headers, status = RESPONSE_KINDS[kind]
    if path == "${static_file}":
        if edge.static_file is None:
            pytest.skip(f"the service's static folder is empty: the {edge.name} stack serves none")
        path = edge.static_file
    client = {"X-Forwarded-For": new_client_address()}
    reply = https(edge, path, {**client, **headers}, method=method)
    assert reply.status == status, reply
    assert not csp_problems(reply), csp_problems(reply)


def test_redirects_and_429s_carry_csp_too(edge: Edge) -> None:
    assert not csp_problems(http(edge, "/"))
    client = {"X-Forwarded-For": new_client_address()}
    replies = [https(edge, API_PATH, client) for _ in range(BURST + 2)]
    assert replies[-1].status == 429 and not csp_problems(replies[-1])


def test_the_html_pages_need_no_inline_script_or_style(edge: Edge) -> None:
    """The CSP forbids inline code; the pages must not need any, or browsers break them: the
    error pages, and the service's home page when it has one."""
    for path, headers in (("/", {}), ("/no-such-page", {"Accept": "text/html"})):
        reply = https(edge, path, headers)
        if reply.status == 404 and path == "/":
            continue  # a service without a home page
        body = reply.body.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), path
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", body), path


# --- secrets ---------------------------------------------------------------------------------
@pytest.mark.docker
def test_compose_hands_the_key_to_nginx_as_a_read_only_file_never_in_the_environment(
    compose_edge: Edge,
) -> None:
    stack = compose_edge.extra["compose"]
    key_lines = [
        line for line in compose_edge.certs.key.read_text().splitlines() if "-" not in line
    ]
    for service in ("nginx", "app"):
        env = stack.inspect(stack.container_ids(service)[0])["Config"]["Env"] or []
        for item in env:
            assert "PRIVATE KEY" not in item and not any(line in item for line in key_lines), item
    nginx = stack.inspect(stack.container_ids("nginx")[0])
    mounts = {mount["Destination"]: mount for mount in nginx["Mounts"]}
    for name, path in (("tls_cert", compose_edge.certs.cert), ("tls_key", compose_edge.certs.key)):
        mount = mounts[f"/run/secrets/{name}"]
        assert mount["Source"] == str(path) and mount["RW"] is False, mount
