"""``wsgistack.install``: what any service gets by calling it, and /readyz's checks."""

from __future__ import annotations

import pytest

import wsgistack
from flasklite import Flask
from tests.wsgistack.conftest import MakeService


def test_health_and_readiness_without_checks_are_200(make_service: MakeService) -> None:
    client = make_service().test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json) == (200, {"status": "ready"})


def test_readiness_asks_the_services_checks_in_order() -> None:
    app = Flask(__name__)
    wsgistack.load_settings(app, {"TESTING": True})
    answers: list[tuple[dict[str, str], int] | None] = [None, ({"status": "db down"}, 503)]
    for answer in answers:
        wsgistack.add_readiness_check(app, lambda answer=answer: answer)
    wsgistack.install(app)
    ready = app.test_client().get("/readyz")
    assert (ready.status_code, ready.json) == (503, {"status": "db down"})
    answers[1] = None  # the closure still holds the old reply: build a fresh app instead
    healthy = Flask(__name__)
    wsgistack.load_settings(healthy, {"TESTING": True})
    wsgistack.add_readiness_check(healthy, lambda: None)
    wsgistack.install(healthy)
    assert healthy.test_client().get("/readyz").status_code == 200


def test_readiness_is_503_until_install_finished(make_service: MakeService) -> None:
    app = make_service()
    app.extensions["ready"] = False
    reply = app.test_client().get("/readyz")
    assert (reply.status_code, reply.json) == (503, {"status": "starting"})


def test_install_needs_the_settings_first() -> None:
    with pytest.raises(RuntimeError, match="load_settings"):
        wsgistack.install(Flask(__name__))


def test_errors_are_small_json_for_programs_and_html_without_templates(
    make_service: MakeService,
) -> None:
    client = make_service().test_client()
    as_json = client.get("/nope", headers={"Accept": "application/json"})
    assert (as_json.status_code, as_json.json["error"]["code"]) == (404, 404)
    page = client.get("/nope", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert b"404 Not Found" in page.data and len(page.data) < 500
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_request_id_and_served_by_are_set(make_service: MakeService) -> None:
    reply = make_service({"INSTANCE_NAME": "replica-7"}).test_client().get("/")
    assert reply.headers["X-Served-By"] == "replica-7"
    assert reply.headers["X-Request-ID"]


def test_for_production_refuses_debug_and_a_missing_key(make_service: MakeService) -> None:
    with pytest.raises(RuntimeError, match="APP_DEBUG"):
        wsgistack.for_production(make_service({"DEBUG": True}))
    with pytest.raises(RuntimeError, match="no key is configured"):
        wsgistack.for_production(make_service())
    ready = make_service({"SECRET_KEY": "k" * 40})
    assert wsgistack.for_production(ready) is ready
