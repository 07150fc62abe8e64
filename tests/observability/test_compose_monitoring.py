"""The compose `monitoring` profile: Prometheus finds and scrapes every app replica after
`--scale app=3` and nginx's exporter; /metrics and stub_status stay off the public server; every
line the app and nginx containers write has the one log schema."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devtools.native_stack import free_port
from tests.observability.schema import check_common, check_nginx_access_line, check_python_line
from tests.support.prereqs import missing, require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]

STANDINS = {
    "PROMETHEUS_IMAGE": "local/prometheus:bookworm",
    "NGINX_EXPORTER_IMAGE": "local/nginx-exporter:bookworm",
}
REPLICAS = 3


@pytest.fixture(scope="module")
def monitored() -> Iterator[Any]:
    require_docker()
    from devtools.compose_stack import ComposeStack, docker_image_exists

    absent = [image for image in STANDINS.values() if not docker_image_exists(image)]
    if absent:
        missing(f"the images {absent}", "run `sudo bash .ci/standins-prometheus.sh`")
    env = {**STANDINS, "PROMETHEUS_PORT": str(free_port()), "APP_CPUS": "0.5"}
    with ComposeStack(
        env=env, name="monitoring", profiles=["monitoring"], scale={"app": REPLICAS}
    ) as stack:
        yield stack


def prometheus(stack: Any, path: str, **params: str) -> Any:
    url = f"http://127.0.0.1:{stack.env['PROMETHEUS_PORT']}/api/v1/{path}"
    reply = requests.get(url, params=params, timeout=10)
    reply.raise_for_status()
    return reply.json()["data"]


def wait_for(condition: Any, what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except requests.RequestException as error:
            last = error
        else:
            if last:
                return last
        time.sleep(1)
    raise AssertionError(f"{what} not within {timeout:.0f} s; last: {last}")


def healthy_targets(stack: Any, job: str) -> list[dict[str, Any]]:
    targets = prometheus(stack, "targets")["activeTargets"]
    return [t for t in targets if t["labels"]["job"] == job and t["health"] == "up"]


def test_prometheus_scrapes_every_app_replica_and_nginx(monitored: Any) -> None:
    app_targets = wait_for(
        lambda: len(healthy_targets(monitored, "app")) == REPLICAS,
        f"{REPLICAS} app targets up",
    )
    assert app_targets
    wait_for(lambda: healthy_targets(monitored, "nginx"), "the nginx target up")
    for _ in range(30):
        assert requests.get(monitored.url + "/_probe/text", timeout=10).status_code == 200

    def counted() -> float:
        result = prometheus(
            monitored,
            "query",
            query='sum(http_request_duration_seconds_count{route="/_probe/text"})',
        )
        return float(result["result"][0]["value"][1]) if result["result"] else 0.0

    wait_for(lambda: counted() >= 30, "the 30 requests in Prometheus")

    def nginx_counted() -> float:
        result = prometheus(monitored, "query", query="nginx_http_requests_total")["result"]
        return float(result[0]["value"][1]) if result else 0.0

    # nginx is scraped on its own schedule: its sample may predate the app's by one interval.
    wait_for(lambda: nginx_counted() >= 30, "the 30 requests in nginx's counter")
    rules = prometheus(monitored, "rules")["groups"]
    assert {"wsgi-stack.recording", "wsgi-stack.alerts"} <= {group["name"] for group in rules}


def test_metrics_and_stub_status_are_not_public(monitored: Any) -> None:
    for path in ("/metrics", "/stub_status"):
        assert requests.get(monitored.url + path, timeout=10).status_code == 404, path
    inside = monitored.exec(
        "app",
        "python3",
        "-c",
        "import urllib.request as u; r = u.urlopen('http://127.0.0.1:9100/metrics');"
        " print(r.status); print(r.read().decode())",
    )
    status, _, body = inside.stdout.partition("\n")
    assert status == "200" and "http_request_duration_seconds_count" in body


def test_every_line_the_stack_writes_has_the_one_schema(monitored: Any) -> None:
    for _ in range(5):
        requests.get(monitored.url + "/_probe/text", timeout=10)
    requests.get(monitored.url + "/no-such-page", timeout=10)
    requests.post(monitored.url + "/_probe/json", json=[1], timeout=10)
    time.sleep(0.5)
    app_lines = monitored.logs("app", tail=None, prefix=False).splitlines()
    nginx_lines = monitored.logs("nginx", tail=None, prefix=False).splitlines()
    app_records = [check_python_line(line) for line in app_lines if line.strip()]
    # The entrypoint's own lines share the schema; access lines have their extra fields too.
    nginx_records = [
        check_common(line)
        if '"logger":"nginx.entrypoint"' in line
        else check_nginx_access_line(line)
        for line in nginx_lines
        if line.strip()
    ]
    assert {"gunicorn.error", "gunicorn.access"} <= {r["logger"] for r in app_records}
    assert any(r.get("status") == 404 for r in nginx_records)
    # One request, one id, in nginx's and gunicorn's lines alike.
    ids = {r["request_id"] for r in nginx_records if r.get("status") == 404}
    assert ids & {r["request_id"] for r in app_records if r.get("status") == 404}
