"""The example service's JSON API: the ``api`` blueprint, mounted at ``/api``.

This is the file a copier replaces first. The blueprint and the validation live here; the items
resource on it (stored in the database) is app/items.py. Views reach the app through
``current_app``, so neither module needs an app to import.
"""

from __future__ import annotations

from typing import Any

from flasklite import Blueprint, Response, jsonify
from wsgistack.probes import parse_bounded

__all__ = ["api", "bad_request", "parse_bounded", "validate_new_item"]

NAME_MAX_LENGTH = 100
QUANTITY_MAX = 1_000_000_000
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


def bad_request(message: str, fields: dict[str, str] | None = None) -> tuple[Response, int]:
    error: dict[str, Any] = {"code": 400, "name": "Bad Request", "message": message}
    if fields:
        error["fields"] = fields
    return jsonify(error=error), 400


api = Blueprint("api", __name__, url_prefix="/api")
