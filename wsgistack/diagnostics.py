"""Development and test endpoints that show what a WSGI server hands the app (``/_diag/*``).

They reveal the environ (headers, addresses, server internals) and can hang or crash a worker on
request, so ``wsgistack.install`` mounts them only when APP_DIAGNOSTICS is on: `make dev` and the
test suites turn it on; the image's default configuration never does (a test guards that). The
harmless, bounded routes every test may use in production are wsgistack/probes.py.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from werkzeug.wrappers import Response as BaseResponse

from flasklite import Blueprint, Response, abort, current_app, jsonify, redirect, request, url_for
from wsgistack.probes import parse_bounded

SLEEP_MAX_SECONDS = 120.0
READ_CHUNK_BYTES = 64 * 1024


def describe(value: Any) -> Any:
    """A JSON-safe view of an environ value: plain data as is, objects by their type name."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, tuple | list):
        return [describe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): describe(item) for key, item in value.items()}
    kind = type(value)
    return f"<{kind.__module__}.{kind.__qualname__}>"


diagnostics = Blueprint("machinery_diagnostics", __name__, url_prefix="/_diag")


@diagnostics.get("/environ")
def diag_environ() -> Response:
    return jsonify({key: describe(value) for key, value in request.environ.items()})


@diagnostics.route("/request", methods=["GET", "POST"])
@diagnostics.route("/request/<path:subpath>", methods=["GET", "POST"])
def diag_request(subpath: str = "") -> dict[str, Any]:
    # What the app makes of the request once the server and the framework decoded it.
    return {
        "method": request.method,
        "path": request.path,
        "script_root": request.script_root,
        "subpath": subpath,
        "args": {key: request.args.getlist(key) for key in request.args},
        "url": request.url,
    }


@diagnostics.get("/boom")
def diag_boom() -> str:
    raise RuntimeError("diagnostics: deliberate failure to exercise the 500 path")


@diagnostics.get("/sleep")
def diag_sleep() -> Response:
    seconds = parse_bounded(request.args.get("seconds", "1"), float, 0.0, SLEEP_MAX_SECONDS)
    if seconds is None:
        abort(400, description=f"seconds must be a number from 0 to {SLEEP_MAX_SECONDS:g}.")
    time.sleep(seconds)
    return Response(f"slept {seconds:g}", mimetype="text/plain")


@diagnostics.post("/echo")
def diag_echo() -> dict[str, Any]:
    # Read the stream in chunks rather than request.data: it works the same for
    # Content-Length and chunked bodies, and never holds a large upload twice.
    # When the length is known, stop at it: one read past a body of exactly
    # MAX_CONTENT_LENGTH bytes would make werkzeug answer 413 for a body within the limit.
    digest = hashlib.sha256()
    length = 0
    remaining = request.content_length
    while remaining is None or remaining > 0:
        size = READ_CHUNK_BYTES if remaining is None else min(READ_CHUNK_BYTES, remaining)
        chunk = request.stream.read(size)
        if not chunk:
            break
        digest.update(chunk)
        length += len(chunk)
        if remaining is not None:
            remaining -= len(chunk)
    return {"length": length, "sha256": digest.hexdigest()}


@diagnostics.get("/redirect")
def diag_redirect() -> BaseResponse:
    return redirect(url_for("machinery_probes.text"))


@diagnostics.get("/links")
def diag_links() -> dict[str, str]:
    # Links the app builds, as the client would follow them (prefix, scheme and host included).
    links = {
        "text": url_for("machinery_probes.text"),
        "number": url_for("machinery_probes.number", number=1),
        "external": url_for("machinery_probes.text", _external=True),
    }
    if "static" in current_app.view_functions:  # an app made with static_folder=None has none
        links["static"] = url_for("static", filename="probe.txt")
    return links
