"""nginx -> gunicorn on loopback with the repository's own configs: what a request meets."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from devtools.native_stack import NativeStack, free_port, pid_alive
from tests.stack import checks
from tests.support.prereqs import require_executable

pytestmark = pytest.mark.nginx


@pytest.fixture(autouse=True)
def _needs_nginx() -> None:
    # Skips locally with a how-to when nginx is missing; fails under CI=true.
    require_executable("nginx")


def app_log_reader(stack: NativeStack) -> Callable[[], str]:
    def read() -> str:
        # The access line is written after the response; give the worker a moment to flush.
        time.sleep(0.2)
        return "".join(
            path.read_text(errors="replace")
            for path in sorted(Path(stack.logs_dir).glob("gunicorn-*.log"))
        )

    return read


def test_probe_routes_answer_through_nginx(native_stack: NativeStack) -> None:
    checks.check_probe_routes(native_stack.url)


def test_static_file_is_served_by_nginx_not_the_app(native_stack: NativeStack) -> None:
    static = native_stack.static_dir
    probe = static / checks.STATIC_PROBE_NAME
    checks.check_static_served_by_nginx(
        native_stack.url, app_log_reader(native_stack), probe, static
    )


def test_request_id_is_generated_and_reaches_the_app_log(native_stack: NativeStack) -> None:
    checks.check_request_id_propagated(native_stack.url, app_log_reader(native_stack))


def test_nginx_access_log_is_json_with_request_id_and_upstream_timing(
    native_stack: NativeStack,
) -> None:
    request_id = checks.new_request_id()
    requests.get(
        native_stack.url + "/_probe/text", headers={"X-Request-ID": request_id}, timeout=30
    )
    time.sleep(0.2)
    log = Path(native_stack.logs_dir, "nginx-access.log").read_text()
    entries = [json.loads(line) for line in log.splitlines() if request_id in line]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["status"] == 200
    assert entry["request_id"] == request_id
    assert entry["upstream_addr"] == native_stack.gunicorn_urls[0].removeprefix("http://")
    assert float(entry["upstream_response_time"]) >= 0


def test_gunicorn_logs_are_json_lines_access_on_stdout_errors_on_stderr(
    native_stack: NativeStack,
) -> None:
    requests.get(native_stack.url + "/_probe/text", timeout=30)
    time.sleep(0.2)
    access = Path(native_stack.logs_dir, "gunicorn-0.access.log").read_text().splitlines()
    errors = Path(native_stack.logs_dir, "gunicorn-0.error.log").read_text().splitlines()
    access_entries = [json.loads(line) for line in access if line.startswith("{")]
    assert access_entries, "no JSON access lines on gunicorn's stdout"
    hello = [e for e in access_entries if e.get("path") == "/_probe/text"][-1]
    assert {"request_id", "remote_addr", "status", "duration_ms", "method"} <= hello.keys()
    gunicorn_lines = [json.loads(line) for line in errors if '"gunicorn.error"' in line]
    assert any("Booting worker" in entry["message"] for entry in gunicorn_lines)


def test_app_sees_the_clients_address_and_host_not_nginxs() -> None:
    # The client connects from 127.0.0.2, nginx to gunicorn from 127.0.0.1: only a correctly
    # forwarded and trusted X-Forwarded-For gives the app the former.
    # shop.example is a public name the deployment declares (APP_TRUSTED_HOSTS), as a real one would.
    env = {"APP_DIAGNOSTICS": "1", "APP_TRUSTED_HOSTS": "shop.example,localhost,127.0.0.1"}
    with NativeStack(app_env=env) as stack:
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, source_address=("127.0.0.2", 0))
        try:
            conn.request("GET", "/_diag/environ", headers={"Host": "shop.example:8443"})
            environ = json.loads(conn.getresponse().read())
        finally:
            conn.close()
        stack.cleanup()
    assert environ["REMOTE_ADDR"] == "127.0.0.2"
    assert environ["HTTP_HOST"] == "shop.example:8443"
    assert environ["wsgi.url_scheme"] == "http"


def test_forwarding_headers_sent_by_the_client_are_not_believed(native_stack: NativeStack) -> None:
    checks.check_spoofed_forwarding_headers_ignored(native_stack.url)


def test_security_headers_and_no_version_on_every_kind_of_response(
    native_stack: NativeStack,
) -> None:
    static = f"/static/{checks.STATIC_PROBE_NAME}"
    for path in ("/_probe/text", static, "/nginx-health", "/_probe/number/2000000"):
        checks.assert_security_headers(requests.get(native_stack.url + path, timeout=30))


def test_missing_static_file_gets_nginxs_own_404_page(native_stack: NativeStack) -> None:
    response = requests.get(
        native_stack.url + "/static/nope.css", headers={"Accept": "application/json"}, timeout=30
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 404
    checks.assert_security_headers(response)
    page = requests.get(native_stack.url + "/static/nope.css", timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "nginx" not in page.text


def test_http_0_9_requests_get_no_answer(native_stack: NativeStack) -> None:
    # An HTTP/0.9 answer has no headers, so it could carry no security headers: nginx closes.
    with socket.create_connection(("127.0.0.1", native_stack.port), timeout=10) as sock:
        sock.sendall(b"GET /_probe/text\r\n")
        try:
            answer = sock.recv(1024)
        except ConnectionResetError:
            answer = b""  # closed with a reset: also no answer
    assert answer == b""


def test_nginx_health_answers_json(native_stack: NativeStack) -> None:
    checks.check_nginx_health(native_stack.url)


def test_text_responses_are_gzipped(native_stack: NativeStack) -> None:
    checks.check_gzip(native_stack.url)


def test_one_setting_sets_the_body_limit_of_nginx_and_the_app() -> None:
    limit = 4096
    with NativeStack(app_env={"APP_DIAGNOSTICS": "1", "APP_MAX_CONTENT_LENGTH": str(limit)}) as s:
        try:
            rendered = Path(s.run_dir, "tmp", "body-limit.conf").read_text()
            assert rendered.strip() == f"client_max_body_size {limit};"
            checks.check_body_limit(s.url, limit)
            # Just below the limit the body passes nginx and reaches the app.
            below = requests.post(s.url + "/_diag/echo", data=b"y" * (limit - 1), timeout=30)
            assert below.status_code == 200
            assert below.json()["length"] == limit - 1
            # Directly at gunicorn (no nginx), the app enforces the same number itself.
            direct = requests.post(
                s.gunicorn_urls[0] + "/_diag/echo", data=b"y" * (limit + 1), timeout=30
            )
            assert direct.status_code == 413
        finally:
            s.stop()
            s.cleanup()


def test_default_body_limit_answers_413_json_for_oversized_upload(
    native_stack: NativeStack,
) -> None:
    checks.check_body_limit(native_stack.url, 10 * 1024 * 1024)


def test_app_down_gives_json_502_page_then_recovers_without_nginx_restart() -> None:
    with NativeStack(app_env={"APP_DIAGNOSTICS": "1"}) as stack:
        try:
            nginx_pid = stack.nginx_pid
            stack.stop_replica(0)
            api = requests.get(stack.url + "/_probe/number/1", timeout=30)
            assert api.status_code == 502
            assert api.headers["Content-Type"].startswith("application/json")
            assert api.json()["error"]["code"] == 502
            assert api.headers["X-Request-ID"]
            checks.assert_security_headers(api)
            page = requests.get(stack.url + "/", headers={"Accept": "text/html"}, timeout=30)
            assert page.status_code == 502
            assert page.headers["Content-Type"].startswith("text/html")
            assert "502" in page.text and "nginx" not in page.text.lower()

            stack.start_replica(0)
            assert requests.get(stack.url + "/_probe/number/1", timeout=30).status_code == 200
            assert stack.nginx_pid == nginx_pid
        finally:
            stack.stop()
            stack.cleanup()


def test_idempotent_requests_fail_over_to_the_other_replica() -> None:
    with NativeStack(replicas=2, gunicorn_env={"WEB_CONCURRENCY": "1"}) as stack:
        try:
            served = {
                requests.get(stack.url + "/_probe/text", timeout=30).headers["X-Served-By"]
                for _ in range(8)
            }
            assert served == {"native-0", "native-1"}
            stack.stop_replica(0)
            answers = [requests.get(stack.url + "/_probe/text", timeout=30) for _ in range(8)]
            assert [r.status_code for r in answers] == [200] * 8
            assert {r.headers["X-Served-By"] for r in answers} == {"native-1"}
        finally:
            stack.stop()
            stack.cleanup()


def test_app_is_also_served_under_a_url_prefix(tmp_path: Path) -> None:
    static = checks.static_probe_dir(tmp_path / "static")
    with NativeStack(
        app_env={"APP_DIAGNOSTICS": "1"}, url_prefix="/svc", static_dir=static
    ) as stack:
        try:
            links = requests.get(stack.url + "/svc/_diag/links", timeout=30).json()
            assert links["text"] == "/svc/_probe/text"
            assert links["static"] == "/svc/static/probe.txt"
            css = requests.get(f"{stack.url}/svc/static/{checks.STATIC_PROBE_NAME}", timeout=30)
            assert css.status_code == 200
            assert css.content == checks.STATIC_PROBE
        finally:
            stack.stop()
            stack.cleanup()


def test_sigterm_lets_an_in_flight_request_finish() -> None:
    with NativeStack(app_env={"APP_DIAGNOSTICS": "1"}) as stack:
        try:
            result: dict[str, requests.Response] = {}
            slow = threading.Thread(
                target=lambda: result.update(
                    r=requests.get(stack.url + "/_diag/sleep?seconds=2", timeout=60)
                )
            )
            slow.start()
            time.sleep(0.7)  # let the request reach a worker before the signal
            stack.stop_replica(0)
            slow.join(60)
            assert result["r"].status_code == 200
            assert "slept" in result["r"].text
        finally:
            stack.stop()
            stack.cleanup()


def test_slow_app_gives_json_504_page_after_proxy_read_timeout() -> None:
    with NativeStack(
        app_env={"APP_DIAGNOSTICS": "1"}, nginx_directives={"proxy_read_timeout": "1s"}
    ) as stack:
        try:
            response = requests.get(
                stack.url + "/_diag/sleep?seconds=3",
                headers={"Accept": "application/json"},
                timeout=30,
            )
            assert response.status_code == 504
            assert response.json()["error"]["code"] == 504
            checks.assert_security_headers(response)
        finally:
            stack.stop()
            stack.cleanup()


def test_cli_up_starts_a_background_stack_and_down_stops_it(tmp_path: Path) -> None:
    port = free_port()
    # A SQLite database: this test is about the processes; tests/db runs `up` with PostgreSQL.
    database = f"sqlite:///{tmp_path / 'app.db'}"
    env = {**os.environ, "STACK_PORT": str(port), "DATABASE_URL": database}
    argv = [sys.executable, "-m", "devtools.native_stack"]
    run_dir = ["--run-dir", str(tmp_path / "stack")]
    root = Path(__file__).resolve().parents[2]
    state: dict[str, object] = {}
    try:
        up = subprocess.run(
            [*argv, "up", *run_dir], cwd=root, env=env, capture_output=True, text=True, timeout=90
        )
        assert up.returncode == 0, up.stderr
        state = json.loads((tmp_path / "stack" / "state.json").read_text())
        assert state["url"] == f"http://127.0.0.1:{port}"
        # The command has returned; the stack keeps serving.
        answer = requests.get(f"http://127.0.0.1:{port}/_probe/text", timeout=30)
        assert answer.text == "Hello, World!"
        again = subprocess.run(
            [*argv, "up", *run_dir], cwd=root, env=env, capture_output=True, text=True, timeout=90
        )
        assert "already running" in again.stdout
    finally:
        down = subprocess.run(
            [*argv, "down", *run_dir], cwd=root, env=env, capture_output=True, text=True, timeout=90
        )
    assert down.returncode == 0, down.stderr
    pids = [state["nginx_pid"], *state["gunicorn_pids"]]  # type: ignore[misc]
    assert not any(pid_alive(int(pid)) for pid in pids)
    assert not (tmp_path / "stack" / "state.json").exists()
