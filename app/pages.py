"""The service's pages and probes: the ``pages`` blueprint, mounted at the site's root."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.db import get_db
from app.views import parse_bounded
from flasklite import Blueprint, Response, abort, current_app, render_template, request

STREAM_MAX_LINES = 1000

pages = Blueprint("pages", __name__)


@pages.get("/")
def index() -> str:
    from app.items import first_page  # here: app.items imports app.views, which pages needs

    return render_template("index.html", items=first_page())


@pages.get("/hello")
def hello() -> Response:
    return Response("Hello, World!", mimetype="text/plain")


@pages.get("/stream")
def stream() -> Response:
    lines = parse_bounded(request.args.get("lines", "5"), int, 0, STREAM_MAX_LINES)
    if lines is None:
        abort(400, description=f"lines must be a whole number from 0 to {STREAM_MAX_LINES}.")

    def generate() -> Iterator[str]:
        # One chunk a line: the server sends each as it is produced (chunked encoding).
        for number in range(1, lines + 1):
            yield f"line {number}\n"

    # nginx buffers proxied responses by default; this header turns that off for this
    # response only, so each line reaches the client as soon as it is produced.
    return Response(generate(), mimetype="text/plain", headers={"X-Accel-Buffering": "no"})


@pages.get("/healthz")
def healthz() -> dict[str, str]:
    # Liveness: answering at all is the proof; no dependency is checked on purpose, so a
    # slow database never makes the orchestrator kill a healthy process.
    return {"status": "ok"}


@pages.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    if not current_app.extensions.get("ready", False):
        return {"status": "starting"}, 503
    # The database answers and its schema is the one this code expects. Imported here so that
    # `python -m app.migrate` does not find itself imported by the package first.
    from app.migrate import schema_readiness

    return schema_readiness(get_db(current_app))
