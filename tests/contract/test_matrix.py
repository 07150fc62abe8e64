"""The same requests against every server: same status, same headers that matter, same body.

Each test runs once per server (the session fixture ``server`` in conftest.py). The expected
values are written out once, here, not computed from one server's answer, so a server that
deviates fails on its own row.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

from devtools.servers import DECHUNKS_REQUEST_BODIES, Server
from tests.contract.client import (
    call,
    open_response,
    raw_exchange,
    raw_headers,
    raw_status,
)

JSON = {"Accept": "application/json"}
# Several MB, well under APP_MAX_CONTENT_LENGTH (10 MiB) and nginx's matching limit.
UPLOAD = random.Random(4).randbytes(6 * 1024 * 1024 + 123)
UPLOAD_DIGEST = {"length": len(UPLOAD), "sha256": hashlib.sha256(UPLOAD).hexdigest()}
HELLO = b"Hello, World!"
AUTOMATIC_METHODS = {"GET", "HEAD", "OPTIONS"}


# What each server declares about itself (PEP 3333 flags and optional keys), for a plain GET.
# werkzeug's app.run() is threaded; wsgiref serves one request at a time; gunicorn runs 2 workers
# here (multiprocess), gthread with 2 threads; nginx fronts a gthread gunicorn.
ENVIRON_FLAGS = {
    # name: (multithread, multiprocess, has wsgi.file_wrapper, wsgi.input_terminated)
    "werkzeug": (True, False, False, None),
    "wsgiref": (False, False, True, None),
    "gunicorn-sync": (False, True, True, True),
    "gunicorn-gthread": (True, True, True, True),
    "nginx-gunicorn": (True, True, True, True),
}


def test_environ_flags_describe_each_servers_concurrency_model(server: Server) -> None:
    environ = call(server.url, "GET", "/_diag/environ", headers=JSON).json()
    seen = (
        environ["wsgi.multithread"],
        environ["wsgi.multiprocess"],
        "wsgi.file_wrapper" in environ,
        environ.get("wsgi.input_terminated"),
    )
    assert seen == ENVIRON_FLAGS[server.name]
    assert environ["wsgi.run_once"] is False
    assert environ["wsgi.version"] == [1, 0]


def test_query_string_arrives_raw_in_the_environ(server: Server) -> None:
    query = "tag=a&tag=b&name=J%C3%BCrgen&plus=a+b&slash=x%2Fy&empty="
    environ = call(server.url, "GET", f"/_diag/environ?{query}", headers=JSON).json()
    assert environ["QUERY_STRING"] == query
    assert environ["PATH_INFO"] == "/_diag/environ"
    assert environ["REQUEST_METHOD"] == "GET"


def test_query_string_decodes_to_the_same_args(server: Server) -> None:
    query = "tag=a&tag=b&name=J%C3%BCrgen&plus=a+b&slash=x%2Fy&space=a%20b&empty="
    reply = call(server.url, "GET", f"/_diag/request?{query}", headers=JSON)
    assert reply.status == 200
    assert reply.json()["args"] == {
        "tag": ["a", "b"],
        "name": ["Jürgen"],
        "plus": ["a b"],
        "slash": ["x/y"],
        "space": ["a b"],
        "empty": [""],
    }


def test_unicode_path_is_decoded_the_same(server: Server) -> None:
    reply = call(server.url, "GET", "/_diag/request/caf%C3%A9/%E2%9C%93?x=1", headers=JSON)
    assert reply.status == 200
    seen = reply.json()
    assert seen["path"] == "/_diag/request/café/✓"
    assert seen["subpath"] == "café/✓"
    assert seen["script_root"] == ""


def test_unknown_unicode_path_is_a_json_404(server: Server) -> None:
    reply = call(server.url, "GET", "/no/such/p%C3%A4th", headers=JSON)
    assert reply.status == 404
    assert reply.header("Content-Type") == "application/json"
    assert reply.json()["error"]["code"] == 404
    assert reply.json()["error"]["name"] == "Not Found"


def test_converter_out_of_range_is_a_json_404_without_an_accept_header(server: Server) -> None:
    reply = call(server.url, "GET", "/_probe/number/2000000")
    assert reply.status == 404
    assert reply.header("Content-Type") == "application/json"
    assert reply.json()["error"]["code"] == 404
    assert reply.json()["error"]["name"] == "Not Found"


def test_get_answers_body_and_request_headers(server: Server) -> None:
    request_id = f"contract-{uuid.uuid4().hex}"
    reply = call(server.url, "GET", "/_probe/text", headers={"X-Request-ID": request_id})
    assert reply.status == 200
    assert reply.body == HELLO
    assert reply.header("Content-Type") == "text/plain; charset=utf-8"
    assert reply.header("Content-Length") == str(len(HELLO))
    assert reply.header("X-Served-By")
    assert reply.header("X-Request-ID")


def test_head_sends_the_get_headers_and_no_body(server: Server) -> None:
    host = urlsplit(server.url).netloc
    # Raw socket: http.client never reads a body after HEAD, so it could not see one sent.
    head, rest = raw_exchange(
        server.url,
        f"HEAD /_probe/text HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode(),
    )
    assert raw_status(head) == 200
    assert rest == b""
    headers = raw_headers(head)
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["content-length"] == str(len(HELLO))


def test_options_lists_the_allowed_methods(server: Server) -> None:
    reply = call(server.url, "OPTIONS", "/_probe/text")
    assert reply.status == 200
    assert reply.allowed_methods() == AUTOMATIC_METHODS
    assert reply.body == b""


def test_wrong_method_is_405_with_allow(server: Server) -> None:
    reply = call(server.url, "DELETE", "/_probe/text", headers=JSON)
    assert reply.status == 405
    assert reply.allowed_methods() == AUTOMATIC_METHODS
    assert reply.json()["error"]["code"] == 405


def test_json_post_is_decoded_and_echoed(server: Server) -> None:
    body = json.dumps({"name": "Bolt ✓", "quantity": 3}).encode()
    reply = call(server.url, "POST", "/_probe/json", body, {"Content-Type": "application/json"})
    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.json() == {"echo": {"name": "Bolt ✓", "quantity": 3}}


def test_invalid_json_post_is_a_small_json_400(server: Server) -> None:
    reply = call(
        server.url, "POST", "/_probe/json", b'{"name": ', {"Content-Type": "application/json"}
    )
    assert reply.status == 400
    assert reply.json()["error"]["code"] == 400
    assert len(reply.body) < 300


def test_large_upload_with_content_length_arrives_whole(server: Server) -> None:
    reply = call(
        server.url, "POST", "/_diag/echo", UPLOAD, {"Content-Type": "application/octet-stream"}
    )
    assert reply.status == 200
    assert reply.json() == UPLOAD_DIGEST


def chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_large_chunked_upload_arrives_whole_or_is_refused_with_411(server: Server) -> None:
    if server.name in DECHUNKS_REQUEST_BODIES:
        reply = call(
            server.url,
            "POST",
            "/_diag/echo",
            chunks(UPLOAD),
            {"Content-Type": "application/octet-stream"},
        )
        assert reply.status == 200
        assert reply.json() == UPLOAD_DIGEST
        return
    # wsgiref passes the chunk framing through undecoded, with no CONTENT_LENGTH: the app
    # refuses (411) instead of reading an empty body. Only the head is sent, so the refusal can
    # be read before the server closes (unread body bytes would turn its close into a reset).
    host = urlsplit(server.url).netloc
    head, rest = raw_exchange(
        server.url,
        (
            f"POST /_diag/echo HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n"
            "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n"
        ).encode(),
    )
    assert raw_status(head) == 411
    assert json.loads(rest)["error"]["code"] == 411


def test_streamed_response_is_read_line_by_line(server: Server) -> None:
    conn, response = open_response(server.url, "/_probe/stream?lines=200")
    try:
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
        # No Content-Length: the body was not collected before sending; it is chunked (HTTP/1.1)
        # or delimited by closing the connection (wsgiref answers as HTTP/1.0).
        assert response.getheader("Content-Length") is None
        if response.version == 11:
            assert response.getheader("Transfer-Encoding") == "chunked"
        lines = []
        while line := response.readline():
            lines.append(line)
    finally:
        conn.close()
    assert lines == [f"line {n}\n".encode() for n in range(1, 201)]


def test_redirect_location_is_a_path_that_answers(server: Server) -> None:
    reply = call(server.url, "GET", "/_diag/redirect")
    assert reply.status == 302
    assert reply.header("Location") == "/_probe/text"
    target = call(server.url, "GET", reply.header("Location") or "")
    assert target.status == 200
    assert target.body == HELLO


def test_forwarded_headers_from_a_client_are_not_trusted(server: Server) -> None:
    # Direct servers run with APP_TRUSTED_PROXY_COUNT=0, so ProxyFix is off; nginx overwrites
    # these headers with its own values, so ProxyFix behind it sees nginx's, not the client's.
    spoofed = {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Port": "4443",
        "X-Forwarded-Prefix": "/evil",
        **JSON,
    }
    links = call(server.url, "GET", "/_diag/links", headers=spoofed).json()
    assert links["text"] == "/_probe/text"
    assert links["external"] == f"{server.url}/_probe/text"
    environ = call(server.url, "GET", "/_diag/environ", headers=spoofed).json()
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["SCRIPT_NAME"] == ""


def test_x_forwarded_proto_is_believed_only_by_gunicorn_from_an_allowed_peer(
    server: Server,
) -> None:
    # gunicorn itself sets wsgi.url_scheme from X-Forwarded-Proto when the peer is in
    # FORWARDED_ALLOW_IPS (default 127.0.0.1,::1 - and this test's client is on loopback).
    # nginx replaces the client's header with its own $scheme; the other servers ignore it.
    environ = call(
        server.url, "GET", "/_diag/environ", headers={"X-Forwarded-Proto": "https", **JSON}
    ).json()
    direct_gunicorn = server.name in ("gunicorn-sync", "gunicorn-gthread")
    assert environ["wsgi.url_scheme"] == ("https" if direct_gunicorn else "http")


def test_handler_exception_is_a_bare_500_logged_once_with_the_request_id(server: Server) -> None:
    request_id = f"contract-boom-{uuid.uuid4().hex}"
    reply = call(server.url, "GET", "/_diag/boom", headers={"X-Request-ID": request_id, **JSON})
    assert reply.status == 500
    assert reply.header("Content-Type") == "application/json"
    assert reply.json()["error"]["code"] == 500
    for leak in (b"Traceback", b"RuntimeError", b"deliberate", b".py"):
        assert leak not in reply.body
    # The id the service used (nginx may put its own in front of ours).
    logged_id = reply.header("X-Request-ID")
    assert logged_id

    log = server.log_text()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    failures = [r for r in records if r.get("request_id") == logged_id and "exception" in r]
    assert len(failures) == 1, log[-3000:]
    assert failures[0]["level"] == "ERROR"
    assert "RuntimeError: diagnostics: deliberate failure" in failures[0]["exception"]
    # Once in total: no second, unstructured traceback from the server itself.
    assert log.count("RuntimeError: diagnostics: deliberate failure") == 1, log[-3000:]
