"""The example service's endpoints: one of each dispatch shape a real service has.

This is the file a copier replaces first. The items resource itself (stored in the database)
is in app/items.py; the validation it uses is here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from app.db import get_db
from flasklite import Flask, Response, abort, jsonify, render_template, request

NAME_MAX_LENGTH = 100
QUANTITY_MAX = 1_000_000_000
STREAM_MAX_LINES = 1000
ITEM_FIELDS = frozenset({"name", "quantity"})
# A reply names at most this many unknown fields (and how many more there were), each cut to
# FIELD_NAME_SHOWN characters: the error never grows with what the client sent.
UNKNOWN_FIELDS_LISTED = 20
FIELD_NAME_SHOWN = 64


def validate_new_item(payload: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (clean item, field errors); the item is only meaningful when errors is empty."""
    if not isinstance(payload, dict):
        return {}, {"body": "must be a JSON object"}
    errors: dict[str, str] = {}
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "is required and must be a non-empty string"
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = f"must be at most {NAME_MAX_LENGTH} characters"
    elif not name.isprintable():
        errors["name"] = "must not contain control characters"
    quantity = payload.get("quantity")
    # bool is an int subclass in Python, but `true` is not a quantity.
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        errors["quantity"] = "is required and must be an integer"
    elif quantity < 0:
        errors["quantity"] = "must be zero or more"
    elif quantity > QUANTITY_MAX:
        errors["quantity"] = f"must be at most {QUANTITY_MAX}"
    errors.update(unknown_field_errors(payload))
    return {"name": name, "quantity": quantity}, errors


def unknown_field_errors(payload: dict[str, Any]) -> dict[str, str]:
    """The first UNKNOWN_FIELDS_LISTED unknown fields (names cut short), and a count of the rest."""
    unknown = sorted(set(payload) - ITEM_FIELDS)
    errors = {
        field[:FIELD_NAME_SHOWN]: "is not a known field"
        for field in unknown[:UNKNOWN_FIELDS_LISTED]
    }
    if len(unknown) > UNKNOWN_FIELDS_LISTED:
        errors["..."] = f"and {len(unknown) - UNKNOWN_FIELDS_LISTED} more unknown fields"
    return errors


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


def bad_request(message: str, fields: dict[str, str] | None = None) -> tuple[Response, int]:
    error: dict[str, Any] = {"code": 400, "name": "Bad Request", "message": message}
    if fields:
        error["fields"] = fields
    return jsonify(error=error), 400


def register_views(app: Flask) -> None:
    @app.get("/")
    def index() -> str:
        from app.items import first_page  # here: app.items imports this module's validators

        return render_template("index.html", items=first_page())

    @app.get("/hello")
    def hello() -> Response:
        return Response("Hello, World!", mimetype="text/plain")

    @app.get("/stream")
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

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        # Liveness: answering at all is the proof; no dependency is checked on purpose, so a
        # slow database never makes the orchestrator kill a healthy process.
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, Any], int]:
        if not app.extensions.get("ready", False):
            return {"status": "starting"}, 503
        # The database answers and its schema is the one this code expects. Imported here so
        # that `python -m app.migrate` does not find itself imported by the package first.
        from app.migrate import schema_readiness

        return schema_readiness(get_db(app))
