"""The example service's JSON API: the ``api`` blueprint, mounted at ``/api``.

This is the file a copier replaces first. Items are a fixed in-memory catalogue so the service
stays stateless: POST validates and answers what it would have created, without storing it.
Views reach the app through ``current_app``, so this module needs no app to import.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flasklite import Blueprint, Response, abort, current_app, jsonify, request, url_for

ITEMS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "name": "Widget", "quantity": 12},
    2: {"id": 2, "name": "Gadget", "quantity": 0},
    3: {"id": 3, "name": "Sprocket", "quantity": 250},
}
NAME_MAX_LENGTH = 100


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
    quantity = payload.get("quantity")
    # bool is an int subclass in Python, but `true` is not a quantity.
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        errors["quantity"] = "is required and must be an integer"
    elif quantity < 0:
        errors["quantity"] = "must be zero or more"
    unknown = sorted(set(payload) - {"name", "quantity"})
    for field in unknown:
        errors[field] = "is not a known field"
    return {"name": name, "quantity": quantity}, errors


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


api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/items")
def list_items() -> Response:
    return jsonify(items=list(ITEMS.values()))


@api.get("/items/<int:item_id>")
def get_item(item_id: int) -> dict[str, Any]:
    item = ITEMS.get(item_id)
    if item is None:
        abort(404, description=f"There is no item {item_id}.")
    return item


@api.post("/items")
def create_item() -> tuple[Response, int] | tuple[dict[str, Any], int, dict[str, str]]:
    if not request.is_json:
        return bad_request("Expected a JSON body with Content-Type: application/json.")
    payload = request.get_json(silent=True)
    if payload is None:
        return bad_request("The request body is not valid JSON.")
    item, errors = validate_new_item(payload)
    if errors:
        return bad_request("The item is not valid.", errors)
    item["id"] = max(ITEMS) + 1
    current_app.logger.info("accepted new item %r", item["name"])
    return item, 201, {"Location": url_for(".get_item", item_id=item["id"])}
