"""A small HTTP client for the contract tests: stdlib only, one connection a request.

``http.client`` rather than a higher-level client so that a test controls exactly what goes on
the wire (chunked or Content-Length bodies, HEAD, odd methods) and reads the answer as sent
(no redirects followed, no decompression). ``raw_exchange`` goes one level lower, for what
``http.client`` hides: whether bytes follow a HEAD response, and a request head sent alone.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

TIMEOUT = 30.0


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json(self) -> Any:
        return json.loads(self.body)

    def allowed_methods(self) -> set[str]:
        return {m.strip() for m in (self.header("Allow") or "").split(",") if m.strip()}


def host_port(url: str) -> str:
    return urlsplit(url).netloc


def call(
    url: str,
    method: str,
    path: str,
    body: bytes | Iterable[bytes] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One request on a fresh connection. An iterable body goes out chunked."""
    conn = http.client.HTTPConnection(host_port(url), timeout=TIMEOUT)
    try:
        chunked = body is not None and not isinstance(body, bytes)
        conn.request(method, path, body=body, headers=dict(headers or {}), encode_chunked=chunked)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def open_response(
    url: str, path: str, headers: Mapping[str, str] | None = None
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """GET whose body the caller reads (incrementally); the caller closes the connection."""
    conn = http.client.HTTPConnection(host_port(url), timeout=TIMEOUT)
    conn.request("GET", path, headers=dict(headers or {}))
    return conn, conn.getresponse()


def raw_exchange(url: str, request: bytes) -> tuple[bytes, bytes]:
    """Send raw request bytes, read until the server closes; return (head, everything after).

    The request should carry ``Connection: close`` so the server ends the exchange.
    """
    host, port = host_port(url).rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    return head, rest


def raw_status(head: bytes) -> int:
    return int(head.split(b"\r\n", 1)[0].split()[1])


def raw_headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
