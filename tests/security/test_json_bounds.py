"""Bounded work per JSON request: refusals never grow with the input, limits apply before the
body is parsed, and the memory a worker spends on the worst bodies is measured under gunicorn.

The stated bound (docs/capacity.md): behind nginx, one API request in flight costs a worker at
most WORST_CASE_PER_REQUEST of memory, whatever its body, so a gthread worker at most
``threads`` times that.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from devtools.capacity import DEEP, LARGE_OBJECT, MANY_KEYS
from devtools.native_stack import NativeStack
from devtools.resilience import children, request
from tests.support.prereqs import require_executable
from wsgistack.json_input import RECORD, JsonLimits, parse_json

WORST_CASE_PER_REQUEST = 2 * 1024 * 1024  # bytes
THREADS = 4


@pytest.fixture
def client() -> Iterator[Any]:
    app = create_app({"TESTING": True})
    yield app.test_client()


def post(client: Any, body: bytes, **headers: str) -> Any:
    return client.post(
        "/_probe/json", data=body, headers={"Content-Type": "application/json", **headers}
    )


def test_a_declared_length_over_the_route_limit_is_refused_before_reading(client: Any) -> None:
    response = post(client, b" " * (RECORD.max_bytes + 1))
    assert response.status_code == 413
    assert str(RECORD.max_bytes) in response.json["error"]["message"]


def test_a_chunked_body_over_the_route_limit_is_413() -> None:
    """No Content-Length (gunicorn de-chunked it): at most max_bytes + 1 bytes are read."""
    app = create_app({"TESTING": True})
    body = io.BytesIO(b"[" * 10_000 + b"]" * 10_000)
    response = app.test_client().post(
        "/_probe/json",
        input_stream=body,
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert body.tell() <= RECORD.max_bytes + 1


@pytest.mark.parametrize(
    ("body", "word"),
    [
        (b"[" * 5 + b"]" * 5, "nested"),
        (b"{" + b",".join(b'"k%d":0' % i for i in range(65)) + b"}", "members"),
        (b'{"q": ' + b"1" * 30 + b"}", "number"),
        (b'{"q": 1e' + b"9" * 30 + b"}", "number"),
        (b'{"q": NaN}', "valid"),
        (b'"\\udc00"', "surrogate"),
        # A string with no closing quote and thousands of escaped quotes: one linear scan.
        (b'"' + b'\\"' * 8000, "valid"),
    ],
)
def test_shape_limits_refuse_with_a_400_that_says_which(body: bytes, word: str) -> None:
    app = create_app({"TESTING": True})
    with app.test_request_context(), pytest.raises(Exception) as refused:
        parse_json(body, RECORD)
    assert getattr(refused.value, "code", None) == 400
    assert word in str(getattr(refused.value, "description", "")).lower()


def test_a_body_within_every_limit_parses() -> None:
    limits = JsonLimits(max_bytes=100, max_depth=2, max_members=4)
    assert parse_json(b'{"a": [1, 2], "b": "\\ud83d\\ude00"}', limits) == {
        "a": [1, 2],
        "b": "\U0001f600",
    }


# --- memory under gunicorn ------------------------------------------------------------------
def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for {pid}")


@pytest.mark.nginx
def test_worst_bodies_cost_a_worker_a_bounded_amount_of_memory() -> None:
    """Eight 8.3 MB bodies of 700k keys (refused by nginx), eight 1 MB ones (refused by the app,
    which reads and drops them a chunk at a time), deep and wide ones, all at once at one
    worker: its peak RSS grows by at most THREADS x WORST_CASE_PER_REQUEST, and every reply is
    small. (Before the limits: 650-780 MB per worker and 22 MB replies.)"""
    require_executable("nginx")
    from devtools.capacity import HUGE_OBJECT

    gunicorn_env = {"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": str(THREADS)}
    stack = NativeStack(gunicorn_env={**gunicorn_env, "GUNICORN_MAX_REQUESTS": "0"})
    headers = {"Content-Type": "application/json"}
    replies: list[tuple[int | None, int]] = []
    try:
        with stack:
            (worker,) = children(stack.gunicorn_pids[0])
            for _ in range(50):  # warm up: the first requests allocate the arenas they reuse
                request(stack.url, "/_probe/json", method="POST", headers=headers, body=MANY_KEYS)
            # Reset the peak to the current RSS (clear_refs "5"), then measure growth.
            Path(f"/proc/{worker}/clear_refs").write_text("5")
            before = peak_rss(worker)

            def send(body: bytes) -> None:
                outcome, data, _ = request(
                    stack.url, "/_probe/json", method="POST", headers=headers, body=body, timeout=60
                )
                replies.append((outcome.status, len(data)))

            bodies = [HUGE_OBJECT] * 8 + [LARGE_OBJECT] * 8 + [MANY_KEYS, DEEP] * 4
            threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            growth = peak_rss(worker) - before
            assert children(stack.gunicorn_pids[0]) == {worker}  # nobody was killed
    finally:
        stack.cleanup()
    assert {status for status, _ in replies} <= {400, 413}, replies
    assert max(size for _, size in replies) < 1024
    assert growth <= THREADS * WORST_CASE_PER_REQUEST, f"peak RSS grew {growth} bytes"
