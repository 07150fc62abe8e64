"""Probe routes: the few requests the machinery's tests, benchmarks and load tests send to any
service, so none of them depends on the routes of the service they run against.

They are always on, in the image too, because the stack, load and compose tests run against
the production configuration: each is cheap, bounded by a constant, reveals nothing about the
process and changes nothing. What is not (the environ, sleeps, deliberate failures, uploads)
is in wsgistack/diagnostics.py, which only APP_DIAGNOSTICS turns on.

    GET|HEAD /_probe/text                  plain text, the cheapest answer the app can give
    POST     /_probe/json                  a JSON object (16 KiB at most) echoed back
    GET      /_probe/number/<int:number>   a converter route (0..NUMBER_MAX; past that 404)
    GET      /_probe/stream?lines=N        N lines (at most STREAM_MAX_LINES), one chunk each

Hostile input gets a 4xx with a small JSON body (wsgistack/errors.py), never a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from flasklite import Blueprint, Response, abort, request
from wsgistack.json_input import RECORD, read_json

PROBE_PREFIX = "/_probe"
TEXT_REPLY = "Hello, World!"
NUMBER_MAX = 1_000_000
STREAM_MAX_LINES = 1000

probes = Blueprint("machinery_probes", __name__, url_prefix=PROBE_PREFIX)

Number = TypeVar("Number", int, float)


def parse_bounded(text: str, kind: type[Number], low: Number, high: Number) -> Number | None:
    """``text`` as a number within [low, high], or None: the caller answers 400 with its message.

    (``request.args.get(type=int)`` would silently fall back to the default on "abc".)
    """
    try:
        value = kind(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


@probes.get("/text")
def text() -> Response:
    return Response(TEXT_REPLY, mimetype="text/plain")


@probes.post("/json")
def json_echo() -> dict[str, Any]:
    payload = read_json(request, RECORD)
    if not isinstance(payload, dict):
        abort(400, description="The JSON body must be an object.")
    return {"echo": payload}


@probes.get(f"/number/<int(max={NUMBER_MAX}):number>")
def number(number: int) -> dict[str, int]:
    return {"number": number}


@probes.get("/stream")
def stream() -> Response:
    lines = parse_bounded(request.args.get("lines", "5"), int, 0, STREAM_MAX_LINES)
    if lines is None:
        abort(400, description=f"lines must be a whole number from 0 to {STREAM_MAX_LINES}.")

    def generate() -> Iterator[str]:
        # One chunk a line: the server sends each as it is produced (chunked encoding).
        for index in range(1, lines + 1):
            yield f"line {index}\n"

    # nginx buffers proxied responses by default; this header turns that off for this
    # response only, so each line reaches the client as soon as it is produced.
    return Response(generate(), mimetype="text/plain", headers={"X-Accel-Buffering": "no"})
