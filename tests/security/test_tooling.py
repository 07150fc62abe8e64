"""The tools the security and fault tests stand on: the corpus loader, the raw client's verdicts
and the resilience table. No stack needed: a throw-away socket server plays each misbehaviour."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools.resilience import ScenarioResult, format_table, nginx_seconds, nginx_timeout
from tests.security.checks import problems_with_outcome
from tests.security.corpus import load_corpus
from tests.security.rawhttp import Pause, send_raw


def test_every_corpus_file_loads_with_unique_ids_and_expectations() -> None:
    cases = load_corpus()
    assert len(cases) >= 80
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert case.expect and "timeout" not in case.expect, case.id
        # Every 5xx a case accepts must be explained as a protocol verdict in its `why`.
        if any(e.isdigit() and int(e) >= 500 for e in case.expect):
            assert "RFC" in case.why, f"{case.id} accepts a 5xx without saying why"


def test_corpus_rejects_a_misspelt_key(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        'cases:\n  - {id: x, why: y, send: ["GET / HTTP/1.1\\r\\n\\r\\n"], expext: [400]}\n'
    )
    with pytest.raises(ValueError, match=r"expext|missing"):
        load_corpus(tmp_path)


def test_corpus_bytes_are_latin1_with_variables_and_repeats(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "cases:\n  - id: x\n    why: y\n    expect: [400]\n"
        '    send: ["GET /\\xff HTTP/1.1\\r\\nHost: ${host}\\r\\n", {repeat: "a", times: 3}]\n'
    )
    (case,) = load_corpus(tmp_path)
    assert case.build({"host": "h:1"}, 1.0) == [b"GET /\xff HTTP/1.1\r\nHost: h:1\r\n", b"aaa"]


@pytest.fixture
def fake_server() -> Iterator[Callable[[Callable[[socket.socket], None]], int]]:
    """Start a one-connection server that runs ``behave(conn)``; returns its port."""
    servers: list[socket.socket] = []

    def start(behave: Callable[[socket.socket], None]) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        servers.append(listener)

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                behave(conn)

        threading.Thread(target=serve, daemon=True).start()
        return int(listener.getsockname()[1])

    yield start
    for listener in servers:
        listener.close()


REQUEST = [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"]


def test_raw_client_reports_a_close_without_bytes(fake_server: Callable[..., int]) -> None:
    port = fake_server(lambda conn: None)
    assert send_raw("127.0.0.1", port, REQUEST, deadline=5).outcome == "closed"


def test_raw_client_reports_a_hang_as_timeout(fake_server: Callable[..., int]) -> None:
    done = threading.Event()
    port = fake_server(lambda conn: done.wait(5))
    result = send_raw("127.0.0.1", port, REQUEST, deadline=0.5)
    done.set()
    assert result.outcome == "timeout"
    assert problems_with_outcome(result, {"400", "closed"})


def test_raw_client_reports_a_response_that_never_finishes_as_timeout(
    fake_server: Callable[..., int],
) -> None:
    done = threading.Event()

    def half(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
        done.wait(5)

    port = fake_server(half)
    result = send_raw("127.0.0.1", port, REQUEST, deadline=0.5)
    done.set()
    assert result.outcome == "timeout"


def test_raw_client_parses_a_chunked_500_and_flags_it(fake_server: Callable[..., int]) -> None:
    body = b"Traceback (most recent call last):\n"
    reply = (
        b"HTTP/1.1 500 Internal Server Error\r\nServer: gunicorn/27.0\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    port = fake_server(lambda conn: conn.sendall(reply))
    result = send_raw("127.0.0.1", port, REQUEST, deadline=5)
    assert (result.outcome, result.status) == ("response", 500)
    problems = " ".join(problems_with_outcome(result, {"400"}))
    for expected in ("server error 500", "gunicorn/2", "traceback", "X-Content-Type-Options"):
        assert expected in problems, problems


def test_raw_client_reports_an_answer_without_status_line_as_http09(
    fake_server: Callable[..., int],
) -> None:
    port = fake_server(lambda conn: conn.sendall(b'{"status":"ok"}\n'))
    assert send_raw("127.0.0.1", port, [b"GET /\r\n\r\n"], deadline=5).outcome == "http09"


def test_raw_client_stops_writing_when_the_server_gives_up(fake_server: Callable[..., int]) -> None:
    port = fake_server(
        lambda conn: conn.sendall(b"HTTP/1.1 408 Timeout\r\nContent-Length: 0\r\n\r\n")
    )
    result = send_raw("127.0.0.1", port, [*REQUEST, Pause(30), b"more"], deadline=5)
    assert result.status == 408 and result.elapsed < 5


def test_nginx_time_syntax_and_config_lookup(tmp_path: Path) -> None:
    assert [nginx_seconds(v) for v in ("10s", "500ms", "1m", "7")] == [10, 0.5, 60, 7]
    (tmp_path / "a.conf").write_text("http {\n  client_header_timeout 12s; # slow clients\n}\n")
    assert nginx_timeout("client_header_timeout", 60, tmp_path) == 12
    assert nginx_timeout("client_body_timeout", 60, tmp_path) == 60


def test_table_has_one_row_per_scenario_with_verdicts() -> None:
    table = format_table(
        [ScenarioResult("a", 10, 0, "0", True), ScenarioResult("b", 5, 2, "<= 1", False)]
    )
    lines = table.splitlines()
    assert lines[0].split("|")[1:-1] == [
        " scenario ",
        " requests sent ",
        " failed ",
        " expected ",
        " verdict ",
    ]
    assert "PASS" in lines[2] and "FAIL" in lines[3] and len(lines) == 4
