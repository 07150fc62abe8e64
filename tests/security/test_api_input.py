"""Bad JSON bodies through the whole stack: a 400 (413, 415) with a JSON error that says what is
wrong, never a 500 or a traceback, and the security headers on the error too. They go to
wsgistack's JSON probe (POST /_probe/json), which reads bodies the way a service's JSON routes
do (wsgistack/json_input.py); the example's own field rules are tested in tests/service."""

from __future__ import annotations

import json

import pytest

from devtools.resilience import request
from tests.security.checks import problems_with_response
from tests.security.conftest import Target
from tests.security.rawhttp import RawResult

JSON = "application/json"

# id: (content type or None, body bytes, words the message must contain - any of them)
BAD_BODIES: dict[str, tuple[str | None, bytes, tuple[str, ...]]] = {
    "truncated-json": (JSON, b'{"name": "x", "quantity": ', ("json",)),
    "not-json-at-all": (JSON, b"name=x&quantity=1", ("json",)),
    "json-with-trailing-garbage": (JSON, b'{"name": "x", "quantity": 1} trailing', ("json",)),
    "invalid-utf8-in-json": (JSON, b'{"name": "\xff\xfe", "quantity": 1}', ("json", "utf")),
    "nan-literal": (JSON, b'{"name": "x", "quantity": NaN}', ("json", "quantity", "valid")),
    "deeply-nested": (JSON, b"[" * 5_000 + b"]" * 5_000, ("nested",)),
    "deeply-nested-over-the-byte-limit": (JSON, b"[" * 100_000 + b"]" * 100_000, ("larger",)),
    "many-keys": (JSON, b"{" + b",".join(b'"k%d":0' % i for i in range(500)) + b"}", ("members",)),
    "4300-digit-quantity": (JSON, b'{"name": "x", "quantity": ' + b"9" * 4300 + b"}", ("number",)),
    "lone-surrogate-name": (JSON, b'{"name": "\\ud800", "quantity": 1}', ("surrogate",)),
    "empty-body": (JSON, b"", ("json", "body")),
    "json-array-not-object": (JSON, b"[1, 2, 3]", ("object", "body")),
    "json-null": (JSON, b"null", ("json", "object", "body")),
    "text-plain": ("text/plain", b'{"name": "x", "quantity": 1}', ("content-type", "json")),
    "form-encoded": ("application/x-www-form-urlencoded", b"name=x&quantity=1", ("json",)),
    "no-content-type": (None, b'{"name": "x", "quantity": 1}', ("content-type", "json")),
    "json-charset-latin1": (
        "application/json; charset=latin-1",
        b'{"name": "\xe9", "quantity": 1}',
        ("json", "charset", "utf", "valid"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_json_body_gets_400_with_a_clear_json_message(target: Target, case: str) -> None:
    content_type, body, words = BAD_BODIES[case]
    headers = {"Accept": JSON}
    if content_type:
        headers["Content-Type"] = content_type
    outcome, data, response_headers = request(
        target.url, "/_probe/json", method="POST", headers=headers, body=body
    )
    # latin-1 is a legal charset; an app may accept it. Everything else is the client's error.
    if case == "json-charset-latin1" and outcome.status == 200:
        return
    assert outcome.status in (400, 413, 415), f"{case}: {outcome} {data[:300]!r}"
    assert response_headers.get("content-type", "").startswith(JSON), response_headers
    error = json.loads(data)["error"]
    assert error["code"] == outcome.status
    message = json.dumps(error).lower()
    assert any(word in message for word in words), f"{case}: unclear message {error}"
    raw = RawResult(
        "response",
        outcome.status,
        headers=list(response_headers.items()),
        body=data,
    )
    assert not problems_with_response(raw)


def test_valid_body_is_still_accepted(target: Target) -> None:
    """The control case: the same endpoint takes a good body (so the 400s above mean something)."""
    record = {"name": "bolt", "quantity": 3}
    outcome, data, _ = request(
        target.url,
        "/_probe/json",
        method="POST",
        headers={"Content-Type": JSON},
        body=json.dumps(record).encode(),
    )
    assert outcome.status == 200, data
    assert json.loads(data) == {"echo": record}


def test_unknown_method_on_a_json_route_is_a_json_405(target: Target) -> None:
    outcome, data, headers = request(target.url, "/_probe/json", method="DELETE")
    assert outcome.status == 405, data
    assert json.loads(data)["error"]["code"] == 405
    assert "POST" in headers.get("allow", ""), headers
