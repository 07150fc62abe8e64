"""Development and test endpoints that show what a WSGI server hands the app.

They reveal the environ (headers, addresses, server internals) and can hang or crash a worker on
request, so they exist only when APP_DIAGNOSTICS is on: `make dev` and the test suites turn it
on; the image's default configuration never does (a test guards that).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from werkzeug.wrappers import Response as BaseResponse

from app.views import parse_bounded
from flasklite import Flask, Response, abort, jsonify, redirect, request, url_for

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


def register_diagnostics(app: Flask) -> None:
    @app.get("/_diag/environ")
    def diag_environ() -> Response:
        return jsonify({key: describe(value) for key, value in request.environ.items()})

    @app.route("/_diag/request", methods=["GET", "POST"])
    @app.route("/_diag/request/<path:subpath>", methods=["GET", "POST"])
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

    @app.get("/_diag/boom")
    def diag_boom() -> str:
        raise RuntimeError("diagnostics: deliberate failure to exercise the 500 path")

    @app.get("/_diag/sleep")
    def diag_sleep() -> Response:
        seconds = parse_bounded(request.args.get("seconds", "1"), float, 0.0, SLEEP_MAX_SECONDS)
        if seconds is None:
            abort(400, description=f"seconds must be a number from 0 to {SLEEP_MAX_SECONDS:g}.")
        time.sleep(seconds)
        return Response(f"slept {seconds:g}", mimetype="text/plain")

    @app.post("/_diag/echo")
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

    @app.get("/_diag/redirect")
    def diag_redirect() -> BaseResponse:
        return redirect(url_for("pages.index"))

    @app.get("/_diag/links")
    def diag_links() -> dict[str, str]:
        return {
            "index": url_for("pages.index"),
            "item": url_for("api.get_item", item_id=1),
            "static": url_for("static", filename="style.css"),
            "external": url_for("pages.index", _external=True),
        }
