"""What the edge tests send: HTTP and HTTPS requests from a chosen source address, TLS handshakes
with a chosen protocol version and ALPN list, and a PROXY protocol header."""

from __future__ import annotations

import http.client
import itertools
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
TIMEOUT = 10.0
_client_numbers = itertools.count(1)


def new_client_address() -> str:
    """A documentation address (TEST-NET-3) no other test has used: its own rate-limit bucket."""
    number = next(_client_numbers)
    return f"203.0.113.{number % 250 + 1}" if number < 250 else f"198.51.100.{number % 250 + 1}"


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _SourceBoundHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection from a chosen loopback source address (127.0.0.2 is "someone else")."""

    def __init__(self, host: str, port: int, source: str) -> None:
        super().__init__(host, port, timeout=TIMEOUT, source_address=(source, 0))


def fetch(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
    source: str = HOST,
) -> Reply:
    """One request on a fresh connection to ``HOST:port``; TLS when ``tls`` is given."""
    conn: http.client.HTTPConnection
    if tls is not None:
        conn = http.client.HTTPSConnection(
            HOST, port, timeout=TIMEOUT, context=tls, source_address=(source, 0)
        )
    else:
        conn = _SourceBoundHTTPConnection(HOST, port, source)
    try:
        conn.request(method, path, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        conn.close()


def trusting(ca_file: Path) -> ssl.SSLContext:
    """A client context that trusts only the local CA (and checks the host name)."""
    return ssl.create_default_context(cafile=str(ca_file))


def handshake(
    port: int,
    ca_file: Path,
    *,
    version: ssl.TLSVersion | None = None,
    alpn: list[str] | None = None,
) -> tuple[str | None, str | None, bytes | None]:
    """(TLS version, ALPN protocol, server certificate DER) of one handshake; raises
    ssl.SSLError when the server refuses it."""
    context = trusting(ca_file)
    if version is not None:
        # The client's OpenSSL would refuse old versions itself at its default security level:
        # lower it, so that a refusal can only come from the server.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = version
        context.maximum_version = version
    if alpn:
        context.set_alpn_protocols(alpn)
    with (
        socket.create_connection((HOST, port), timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=HOST) as conn,
    ):
        return conn.version(), conn.selected_alpn_protocol(), conn.getpeercert(binary_form=True)


def via_proxy_protocol(port: int, client: str, path: str) -> Reply:
    """A plain-HTTP request preceded by a PROXY protocol v1 header naming ``client``."""
    head = (
        f"PROXY TCP4 {client} {HOST} 40000 {port}\r\n"
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as sock:
        sock.sendall(head.encode("ascii"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head_bytes, _, body = raw.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(lines[0].split()[1]), headers, body)
