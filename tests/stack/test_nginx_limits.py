"""What nginx refuses, and how: the bounded queue's 503 with Retry-After, byte ranges, over-long
request lines and headers, and what the logs keep. Run on the native stack (the same config as
the container's); each test says which limit it shows."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.native_stack import NativeStack
from devtools.resilience import request, wait_until
from tests.stack.checks import STATIC_PROBE_NAME, static_probe_dir
from tests.support.prereqs import require_executable

pytestmark = pytest.mark.nginx


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NativeStack]:
    """A stack whose bounded queue holds one request, so one slow request fills it; its body
    limit is 1 MiB, so nginx itself refuses a 2 MB body."""
    require_executable("nginx")
    own = NativeStack(
        app_env={"APP_DIAGNOSTICS": "1", "APP_MAX_CONTENT_LENGTH": str(1024 * 1024)},
        nginx_env={"NGINX_APP_MAX_CONNS": "1"},
        static_dir=static_probe_dir(tmp_path_factory.mktemp("static")),
    )
    try:
        with own:
            yield own
    finally:
        own.cleanup()


def access_lines(stack: NativeStack) -> list[dict[str, object]]:
    time.sleep(0.3)  # written after the response
    text = (Path(stack.logs_dir) / "nginx-access.log").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# nginx answers JSON for the probe routes, HTML for other paths without an Accept header.
@pytest.mark.parametrize(
    ("path", "kind"), [("/_probe/number/1", "application/json"), ("/healthz", "text/html")]
)
def test_past_the_queue_bound_nginx_answers_503_with_retry_after_at_once(
    stack: NativeStack, path: str, kind: str
) -> None:
    slow = threading.Thread(target=request, args=(stack.url, "/_diag/sleep?seconds=2"), daemon=True)
    slow.start()
    time.sleep(0.5)  # the slow request holds the only slot
    outcome, body, headers = request(stack.url, path)
    slow.join(10)
    assert outcome.status == 503, body
    assert headers.get("retry-after") == "1"
    assert headers["content-type"].startswith(kind)
    assert outcome.ended - outcome.started < 1.0
    assert b"503" in body and len(body) < 1024
    # Once the slot is free again, requests are admitted.
    assert request(stack.url, path)[0].status == 200


def test_requests_with_a_body_are_not_held_in_the_app_queue(stack: NativeStack) -> None:
    """A body trickling in must not hold the app's queue: uploads are counted per client."""
    slow = threading.Thread(target=request, args=(stack.url, "/_diag/sleep?seconds=2"), daemon=True)
    slow.start()
    time.sleep(0.5)
    outcome, body, _ = request(
        stack.url,
        "/_probe/json",
        method="POST",
        headers={"Content-Type": "application/json"},
        body=b'{"name": "bolt", "quantity": 1}',
    )
    slow.join(10)
    assert outcome.status == 200, body


def test_many_byte_ranges_get_the_whole_file_once(stack: NativeStack) -> None:
    name = STATIC_PROBE_NAME
    size = (stack.static_dir / name).stat().st_size
    ranges = ",".join(f"{i}-{i}" for i in range(min(size, 300)))  # a header under 4 KB
    outcome, body, _ = request(stack.url, f"/static/{name}", headers={"Range": f"bytes={ranges}"})
    assert outcome.status == 200  # past max_ranges: answered as if no Range had been sent
    assert len(body) == size
    two = request(stack.url, f"/static/{name}", headers={"Range": "bytes=0-0,2-2"})
    assert two[0].status == 206


def test_over_long_url_gets_nginxs_414_page_not_gunicorns(stack: NativeStack) -> None:
    # A request line nginx cannot hold is never parsed, so its path and Accept are unknown and
    # the page is the HTML one; what matters is that it is nginx's small page, answered.
    outcome, body, headers = request(stack.url, "/_probe/text?" + "a" * 5000)
    assert outcome.status == 414
    assert b"414 URI Too Long" in body and len(body) < 1024
    assert "x-content-type-options" in headers
    # Under nginx's limit, gunicorn takes it (its own limit is set higher).
    assert request(stack.url, "/_probe/text?" + "a" * 3500)[0].status == 200


def test_over_large_headers_get_nginxs_json_431(stack: NativeStack) -> None:
    outcome, body, _ = request(stack.url, "/_probe/text", headers={"X-Big": "b" * 6000})
    assert outcome.status == 431
    assert json.loads(body)["error"]["code"] == 431


def test_many_small_headers_pass_through_to_the_app(stack: NativeStack) -> None:
    headers = {f"X-H{i}": "v" for i in range(150)}  # gunicorn's own default limit was 100
    outcome, body, _ = request(stack.url, "/_probe/text", headers=headers)
    assert outcome.status == 200, body


def test_a_413_is_logged_with_the_method_the_client_sent(stack: NativeStack) -> None:
    outcome, _, _ = request(
        stack.url,
        "/_probe/json",
        method="POST",
        headers={"Content-Type": "application/json"},
        body=b"x" * (2 * 1024 * 1024),
    )
    assert outcome.status == 413
    refused = [line for line in access_lines(stack) if line["status"] == 413]
    assert refused and refused[-1]["method"] == "POST"


def admitted_status(stack: NativeStack, path: str, timeout: float = 15) -> int:
    """The status of ``path`` once this one-request stack admits it. nginx frees its only slot
    when it has finished with a request, a moment after the client has the reply (and later
    on a busy machine, or while an earlier test's refused upload drains): meanwhile it answers
    503 at once, which is this stack's point but not what the logging test looks at."""
    statuses: list[int] = []

    def admitted() -> bool:
        statuses.append(request(stack.url, path)[0].status)
        return statuses[-1] != 503

    wait_until(admitted, timeout, interval=0.2)
    return statuses[-1]


def test_health_checks_are_not_logged_by_default(stack: NativeStack) -> None:
    for path in ("/healthz", "/readyz", "/_probe/text"):
        assert admitted_status(stack, path) == 200, path
    # Answered health checks; a refused one (a 503 page, after error_page) is worth its line.
    uris = [line["uri"] for line in access_lines(stack) if line["status"] == 200]
    assert "/_probe/text" in uris
    assert "/healthz" not in uris and "/readyz" not in uris
    gunicorn_log = (Path(stack.logs_dir) / "gunicorn-0.access.log").read_text()
    assert '"/_probe/text"' in gunicorn_log
    assert '"/healthz"' not in gunicorn_log and '"/readyz"' not in gunicorn_log
