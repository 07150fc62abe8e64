"""The metrics middleware in-process: labels are URL rules, never paths, and stay few."""

from __future__ import annotations

import random
import string
import threading
import time
from typing import Any

from prometheus_client import REGISTRY
from werkzeug.test import Client

from app import create_app
from flasklite import request
from wsgistack.metrics import SAMPLE_SECONDS, UNMATCHED, MetricsMiddleware, db_pool_metrics


def route_labels() -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for family in REGISTRY.collect()
        if family.name == "http_request_duration_seconds"
        for s in family.samples
        if s.name == "http_request_duration_seconds_count"
    }


def count(method: str, route: str, status: str) -> float:
    return route_labels().get((method, route, status), 0.0)


def random_path(rng: random.Random) -> str:
    parts = ["".join(rng.choices(string.ascii_letters + string.digits, k=8)) for _ in range(3)]
    return "/" + "/".join(parts[: rng.randint(1, 3)])


def test_random_paths_share_one_label_and_the_series_stay_bounded() -> None:
    client = Client(create_app({"TESTING": True}))
    rng = random.Random(20)
    before = route_labels()
    unmatched_before = count("GET", UNMATCHED, "4xx")
    for _ in range(300):
        client.get(random_path(rng))
    for method in ("BREW", "PROPFIND", "GET", "DELETE"):  # odd methods share "other"
        client.open(random_path(rng), method=method)
    for number in range(1, 50):
        client.get(f"/_probe/number/{number}")
    after = route_labels()
    assert count("GET", UNMATCHED, "4xx") - unmatched_before == 301
    new_series = set(after) - set(before)
    assert len(new_series) <= 6, new_series
    assert all(route == UNMATCHED or route.startswith("/") for _m, route, _s in after)
    assert not any("_probe/number/1" in route for _m, route, _s in after)
    assert {method for method, _r, _s in after} <= {
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
        "other",
    }


def test_route_label_is_the_rule_the_framework_matched() -> None:
    app = create_app({"TESTING": True})
    matched: list[Any] = []

    @app.teardown_request
    def remember_rule(_error: BaseException | None) -> None:
        rule = request.url_rule
        matched.append(rule.rule if rule is not None else UNMATCHED)

    client = Client(app)
    for method, path in [
        ("GET", "/_probe/text"),
        ("POST", "/_probe/json"),
        ("GET", "/_probe/number/2"),
        ("GET", "/_probe/number/2000000"),
        ("GET", "/no/such/page"),
        ("GET", "/static/app.css"),
        ("GET", "/_probe/number/abc"),
        ("GET", "/_probe/number/2/"),
        ("DELETE", "/_probe/number/2"),
        ("OPTIONS", "/_probe/number/2"),
        ("GET", "//_probe/number/2"),
        ("GET", "/_probe/stream"),
    ]:
        before = route_labels()
        client.open(path, method=method)
        (changed,) = [key for key, value in route_labels().items() if value != before.get(key)]
        assert changed[1] == matched[-1], (method, path)


def test_server_errors_count_as_5xx() -> None:
    client = Client(create_app({"TESTING": False, "DIAGNOSTICS": True}))
    before = count("GET", "/_diag/boom", "5xx")
    assert client.get("/_diag/boom").status_code == 500
    assert count("GET", "/_diag/boom", "5xx") - before == 1


def test_database_pool_gauges_take_what_the_pool_reports() -> None:
    db_pool_metrics().set(in_use=3, idle=7)
    assert REGISTRY.get_sample_value("db_pool_connections", {"state": "in_use"}) == 3
    assert REGISTRY.get_sample_value("db_pool_connections", {"state": "idle"}) == 7


def test_in_flight_gauge_shows_a_request_that_is_still_running() -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        entered.set()
        release.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done"]

    middleware = MetricsMiddleware(slow_app, lambda environ: "/slow")
    client = Client(middleware)
    worker = threading.Thread(target=client.get, args=("/slow",))
    worker.start()
    try:
        assert entered.wait(10)
        assert wait_for_gauge(1.0), "the running request was never published"
    finally:
        release.set()
        worker.join(10)
    assert wait_for_gauge(0.0), "the finished request stayed in flight"


def wait_for_gauge(value: float, timeout: float = 3 * SAMPLE_SECONDS + 2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if REGISTRY.get_sample_value("http_requests_in_flight") == value:
            return True
        time.sleep(0.05)
    return False
