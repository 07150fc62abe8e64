"""`docker compose up --build --wait` with the stand-in base images, checked through the
published port: the same checks as the native stack, plus what only containers can show."""

from __future__ import annotations

import json
import math
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from devtools.compose_stack import ComposeStack
from tests.stack import checks

pytestmark = [pytest.mark.docker, pytest.mark.slow]

APP_UID = "10001"


def app_log_reader(stack: ComposeStack) -> Callable[[], str]:
    def read() -> str:
        time.sleep(0.3)  # the access line is written after the response
        return stack.logs("app", tail=None, prefix=False)

    return read


def container_streams(container_id: str) -> tuple[str, str]:
    """A container's stdout and stderr, kept apart (compose merges them)."""
    done = subprocess.run(
        ["docker", "logs", container_id], capture_output=True, text=True, timeout=60
    )
    return done.stdout, done.stderr


def test_probe_routes_answer_through_the_published_port(compose_stack: ComposeStack) -> None:
    checks.check_probe_routes(compose_stack.url)


def test_static_file_is_served_by_nginx_not_the_app(compose_stack: ComposeStack) -> None:
    served = checks.service_static_file()
    if served is None:
        pytest.skip("the service's static folder (app/static/) is empty: nginx serves none")
    checks.check_static_served_by_nginx(
        compose_stack.url, app_log_reader(compose_stack), served, checks.SERVICE_STATIC
    )


def test_request_id_is_generated_and_reaches_the_app_log(compose_stack: ComposeStack) -> None:
    checks.check_request_id_propagated(compose_stack.url, app_log_reader(compose_stack))


def test_oversized_body_gets_nginxs_413_json(compose_stack: ComposeStack) -> None:
    checks.check_body_limit(compose_stack.url, 10 * 1024 * 1024)


def test_nginx_health_and_gzip(compose_stack: ComposeStack) -> None:
    checks.check_nginx_health(compose_stack.url)
    checks.check_gzip(compose_stack.url)


def test_forwarding_headers_sent_by_the_client_are_not_believed(
    compose_stack: ComposeStack,
) -> None:
    checks.check_spoofed_forwarding_headers_ignored(compose_stack.url)


def test_app_container_runs_as_non_root_with_a_read_only_root(
    compose_stack: ComposeStack,
) -> None:
    (app_id,) = compose_stack.container_ids("app")
    info = compose_stack.inspect(app_id)
    assert info["Config"]["User"].split(":")[0] == APP_UID
    host = info["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert compose_stack.exec("app", "id", "-u").stdout.strip() == APP_UID
    write = compose_stack.exec("app", "touch", "/srv/app/x", check=False)
    assert write.returncode != 0
    assert "Read-only file system" in write.stderr + write.stdout


def test_both_containers_come_back_after_a_crash(compose_stack: ComposeStack) -> None:
    for service in ("app", "nginx"):
        (cid,) = compose_stack.container_ids(service)
        policy = compose_stack.inspect(cid)["HostConfig"]["RestartPolicy"]["Name"]
        assert policy in {"always", "unless-stopped"}, f"{service}: {policy}"


def test_nginx_container_runs_unprivileged_without_capabilities(
    compose_stack: ComposeStack,
) -> None:
    (nginx_id,) = compose_stack.container_ids("nginx")
    host = compose_stack.inspect(nginx_id)["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert compose_stack.exec("nginx", "id", "-u").stdout.strip() != "0"
    status = compose_stack.exec("nginx", "cat", "/proc/1/status").stdout
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    assert uid_line.split()[1] != "0"  # the master too, not only the workers


def test_gunicorn_and_nginx_are_pid_1_so_they_get_the_stop_signal(
    compose_stack: ComposeStack,
) -> None:
    app_cmd = compose_stack.exec("app", "cat", "/proc/1/cmdline").stdout.split("\0")
    assert "gunicorn" in app_cmd[0] or "gunicorn" in app_cmd[1]
    nginx_cmd = compose_stack.exec("nginx", "cat", "/proc/1/cmdline").stdout
    assert nginx_cmd.startswith("nginx: master process")


def test_nginx_body_limit_was_rendered_from_app_max_content_length(
    compose_stack: ComposeStack,
) -> None:
    rendered = compose_stack.exec("nginx", "cat", "/tmp/nginx/body-limit.conf").stdout
    assert rendered.strip() == "client_max_body_size 10485760;"


def test_worker_heartbeat_files_live_in_dev_shm(compose_stack: ComposeStack) -> None:
    script = (
        "import os, glob; print(sum(os.readlink(f).startswith('/dev/shm/')"
        " for f in glob.glob('/proc/[0-9]*/fd/*') if os.path.islink(f)))"
    )
    count = int(compose_stack.exec("app", "python3", "-c", script).stdout.strip())
    assert count >= 1


def test_worker_count_follows_the_containers_cpu_limit(compose_stack: ComposeStack) -> None:
    (app_id,) = compose_stack.container_ids("app")
    nano_cpus = compose_stack.inspect(app_id)["HostConfig"]["NanoCpus"]
    assert nano_cpus, "the compose file sets deploy.resources.limits.cpus"
    host_cpus = int(compose_stack.exec("app", "nproc").stdout.strip())
    expected = 2 * min(host_cpus, max(1, math.ceil(nano_cpus / 1e9))) + 1
    log = compose_stack.logs("app", tail=None, prefix=False)
    assert f"ready: workers={expected} " in log


def test_app_logs_are_json_access_on_stdout_errors_on_stderr(
    compose_stack: ComposeStack,
) -> None:
    request_id = checks.new_request_id()
    requests.get(compose_stack.url + "/_probe/text", headers={"X-Request-ID": request_id})
    time.sleep(0.3)
    (app_id,) = compose_stack.container_ids("app")
    stdout, stderr = container_streams(app_id)
    access = [json.loads(line) for line in stdout.splitlines() if request_id in line]
    assert access and access[0]["type"] == "access" and access[0]["status"] == 200
    errors = [json.loads(line) for line in stderr.splitlines() if '"gunicorn.error"' in line]
    assert any(entry["message"].startswith("Booting worker") for entry in errors)


def test_image_contains_no_build_time_ca_certificates(compose_stack: ComposeStack) -> None:
    (app_id,) = compose_stack.container_ids("app")
    image = compose_stack.inspect(app_id)["Image"]
    history = subprocess.run(
        ["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", image],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "certs" not in history and "PIP_CERT" not in history
    # Outside the running container, whose /tmp is a tmpfs that would hide files.
    found = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "sh",
            image,
            "-c",
            "ls -d /tmp/certs /tmp/ca-bundle.pem 2>/dev/null;"
            " find / -xdev -name 'host-ca-bundle.crt' 2>/dev/null; true",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == ""


# --- tests that change the stack get one of their own ------------------------------------------
@pytest.fixture(scope="module")
def own_stack() -> Iterator[ComposeStack]:
    with ComposeStack(env={"APP_DIAGNOSTICS": "1"}, name="stack-own") as stack:
        yield stack


def test_nginx_finds_new_replicas_without_a_restart(own_stack: ComposeStack) -> None:
    (nginx_id,) = own_stack.container_ids("nginx")
    started = own_stack.inspect(nginx_id)["State"]["StartedAt"]
    own_stack.compose("up", "--detach", "--wait", "--no-recreate", "--scale", "app=2", "app")
    replicas = {
        own_stack.inspect(cid)["Config"]["Hostname"] for cid in own_stack.container_ids("app")
    }
    assert len(replicas) == 2
    seen: set[str] = set()
    failures = 0
    deadline = time.monotonic() + 60  # the upstream follows `app` within seconds (docs/capacity.md)
    while seen != replicas and time.monotonic() < deadline:
        response = requests.get(own_stack.url + "/_probe/text", timeout=30)
        failures += response.status_code != 200
        seen.add(response.headers.get("X-Served-By", ""))
        time.sleep(0.1)
    assert seen == replicas
    assert failures == 0
    assert own_stack.inspect(nginx_id)["State"]["StartedAt"] == started


def test_compose_stop_lets_an_in_flight_request_finish(own_stack: ComposeStack) -> None:
    result: dict[str, object] = {}

    def slow() -> None:
        try:
            result["response"] = requests.get(own_stack.url + "/_diag/sleep?seconds=4", timeout=60)
        except Exception as exc:  # recorded, asserted below
            result["error"] = exc

    app_ids = own_stack.container_ids("app")
    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(1.0)  # let the request reach gunicorn before the stop signal
    own_stack.compose("stop", "app", timeout=120)
    thread.join(60)
    assert "error" not in result, result.get("error")
    response = result["response"]
    assert isinstance(response, requests.Response)
    assert response.status_code == 200 and "slept" in response.text
    for cid in app_ids:
        state = own_stack.inspect(cid)["State"]
        assert state["ExitCode"] == 0  # drained and exited, not SIGKILLed (137)
        assert state["OOMKilled"] is False
