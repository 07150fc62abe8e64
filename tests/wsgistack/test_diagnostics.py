from __future__ import annotations

import hashlib

from tests.wsgistack.conftest import MakeService, one_route_service


def test_diagnostics_are_off_by_default() -> None:
    client = one_route_service().test_client()
    for path in ("/_diag/environ", "/_diag/boom", "/_diag/sleep", "/_diag/links"):
        assert client.get(path).status_code == 404, path


def test_environ_endpoint_shows_pep3333_keys_and_type_names(diag_client) -> None:
    environ = diag_client.get("/_diag/environ?a=1&a=2").json
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["QUERY_STRING"] == "a=1&a=2"
    assert environ["wsgi.version"] == [1, 0]
    assert environ["wsgi.input"].startswith("<")
    assert environ["REQUEST_ID"]


def test_echo_hashes_the_body_it_read(diag_client) -> None:
    body = bytes(range(256)) * 1000
    response = diag_client.post("/_diag/echo", data=body)
    assert response.json == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def test_sleep_bounds_its_argument(diag_client) -> None:
    assert diag_client.get("/_diag/sleep?seconds=0").data == b"slept 0"
    for bad in ("-1", "121", "soon"):
        reply = diag_client.get(f"/_diag/sleep?seconds={bad}")
        assert reply.status_code == 400
        assert reply.json["error"]["code"] == 400


def test_redirect_and_links_follow_script_name(diag_client) -> None:
    response = diag_client.get("/_diag/redirect", base_url="http://localhost/svc/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/svc/_probe/text"
    links = diag_client.get("/_diag/links", base_url="http://localhost/svc/").json
    assert links["text"] == "/svc/_probe/text"
    assert links["number"] == "/svc/_probe/number/1"
    assert links["external"] == "http://localhost/svc/_probe/text"
    assert links["static"] == "/svc/static/probe.txt"


def test_boom_is_a_500_with_a_json_body_and_no_detail(make_service: MakeService) -> None:
    app = make_service({"DIAGNOSTICS": True, "PROPAGATE_EXCEPTIONS": False})
    reply = app.test_client().get("/_diag/boom")
    assert reply.status_code == 500
    assert reply.json["error"]["code"] == 500
    assert "deliberate" not in reply.get_data(as_text=True)


def test_request_endpoint_reports_decoded_path_and_repeated_args(diag_client) -> None:
    seen = diag_client.get("/_diag/request/caf%C3%A9/x?k=1&k=2&s=a+b%2Fc").json
    assert seen["subpath"] == "café/x"
    assert seen["args"] == {"k": ["1", "2"], "s": ["a b/c"]}
    assert seen["method"] == "GET"


def test_echo_accepts_a_body_of_exactly_the_limit_when_the_input_is_terminated(
    make_service: MakeService,
) -> None:
    # gunicorn sets wsgi.input_terminated; werkzeug then treats the limit as a hard cap.
    app = make_service({"DIAGNOSTICS": True, "MAX_CONTENT_LENGTH": 1000})
    response = app.test_client().post(
        "/_diag/echo", data=b"x" * 1000, environ_overrides={"wsgi.input_terminated": True}
    )
    assert response.status_code == 200
    assert response.json["length"] == 1000
