"""The items resource, stored in the database (app/db.py).

    GET    /api/items?limit=20&cursor=C   a page, oldest first; ``next_cursor`` fetches the next
    POST   /api/items                     201 + Location + ETag; 409 when the name is taken
    GET    /api/items/<id>                the item, with its ETag
    PUT    /api/items/<id>                replace (both fields); If-Match -> 412 when stale
    PATCH  /api/items/<id>                change some fields; If-Match -> 412 when stale
    DELETE /api/items/<id>                204; If-Match -> 412 when stale

The ETag is the row's version, bumped by every write in the same UPDATE that checks it, so two
clients that read version 3 cannot both write version 4: the second gets 412 and reads again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from app.db import get_db, items_table
from app.views import api, bad_request, parse_bounded, validate_new_item
from flasklite import Response, current_app, jsonify, request, url_for
from wsgistack.json_input import RECORD, read_json

# api is app.views' blueprint, re-exported with the routes this module puts on it.
__all__ = ["api", "first_page"]

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
# PostgreSQL's INTEGER: larger ids cannot exist, larger quantities could not be stored.
INT_MAX = 2**31 - 1
# id, name, quantity, version: what every query here selects.
ItemRow = Row[Any, Any, Any, Any]
_COLUMNS = (items_table.c.id, items_table.c.name, items_table.c.quantity, items_table.c.version)


def item_body(row: ItemRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "quantity": row.quantity}


def etag_of(row: ItemRow) -> str:
    return f"{row.id}-{row.version}"


def with_etag(row: ItemRow, status: int = 200) -> Response:
    response = jsonify(item_body(row))
    response.status_code = status
    response.set_etag(etag_of(row))
    return response


def storable(item: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """What the validation in views.py allows but the database would refuse (never a 500)."""
    name, quantity = item.get("name"), item.get("quantity")
    if isinstance(name, str) and "name" not in errors:
        try:
            name.encode("utf-8")  # a lone surrogate ("\ud800") is valid JSON, not valid UTF-8
        except UnicodeEncodeError:
            errors["name"] = "must be valid Unicode text"
        else:
            if "\x00" in name:
                errors["name"] = "must not contain NUL characters"
    if isinstance(quantity, int) and "quantity" not in errors and quantity > INT_MAX:
        errors["quantity"] = f"must be at most {INT_MAX}"
    return errors


def json_payload() -> tuple[Any, tuple[Response, int] | None]:
    """The request's JSON body within the record limits (bytes, depth and members are checked
    before it is parsed), or the 400 to answer instead."""
    return read_json(request, RECORD), None


def error_reply(code: int, name: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "name": name, "message": message}), code


def name_taken(name: str) -> tuple[Response, int]:
    return error_reply(409, "Conflict", f"An item named {name!r} already exists.")


def stale() -> tuple[Response, int]:
    return error_reply(
        412, "Precondition Failed", "The item has changed since you read it; GET it again."
    )


def expected_version(item_id: int) -> tuple[bool, int | None]:
    """(condition acceptable, version the client expects) from If-Match.

    No If-Match: (True, None). ``*``: any version. A tag that is not this item's: (False, None).
    """
    if_match = request.if_match
    if not if_match and not if_match.star_tag:
        return True, None
    if if_match.star_tag:
        return True, None
    for tag in if_match:  # strong tags only: RFC 9110 compares If-Match strongly
        item_part, _, version = tag.partition("-")
        if item_part == str(item_id) and version.isdigit():
            return True, int(version)
    return False, None


def first_page() -> list[dict[str, Any]]:
    """The items the home page lists (the first page, as GET /api/items shows it)."""
    query = select(*_COLUMNS).order_by(items_table.c.id).limit(PAGE_SIZE_DEFAULT)
    rows = get_db(current_app).connection().execute(query).all()
    return [item_body(row) for row in rows]


def find(item_id: int) -> ItemRow:
    row = None
    if item_id <= INT_MAX:
        query = select(*_COLUMNS).where(items_table.c.id == item_id)
        row = get_db(current_app).connection().execute(query).first()
    if row is None:
        raise NotFound(f"There is no item {item_id}.")
    return row


@api.get("/items")
def list_items() -> Response | tuple[Response, int]:
    limit = parse_bounded(request.args.get("limit", str(PAGE_SIZE_DEFAULT)), int, 1, PAGE_SIZE_MAX)
    if limit is None:
        return bad_request(f"limit must be a whole number from 1 to {PAGE_SIZE_MAX}.")
    after = parse_bounded(request.args.get("cursor", "0"), int, 0, INT_MAX)
    if after is None:
        return bad_request("cursor is not one this service handed out.")
    query = (
        select(*_COLUMNS)
        .where(items_table.c.id > after)
        .order_by(items_table.c.id)
        .limit(limit + 1)  # one more than asked: tells whether a next page exists
    )
    rows = get_db(current_app).connection().execute(query).all()
    page = rows[:limit]
    next_cursor = str(page[-1].id) if len(rows) > limit else None
    return jsonify(items=[item_body(row) for row in page], next_cursor=next_cursor)


@api.get("/items/<int:item_id>")
def get_item(item_id: int) -> Response:
    return with_etag(find(item_id))


@api.post("/items")
def create_item() -> Response | tuple[Response, int]:
    payload, problem = json_payload()
    if problem:
        return problem
    item, errors = validate_new_item(payload)
    if storable(item, errors):
        return bad_request("The item is not valid.", errors)
    conn = get_db(current_app).connection()
    try:
        statement = insert(items_table).values(**item).returning(*_COLUMNS)
        row = conn.execute(statement).one()
        conn.commit()
    except IntegrityError:
        conn.rollback()
        return name_taken(item["name"])
    current_app.logger.info("created item %s %r", row.id, row.name)
    response = with_etag(row, 201)
    response.headers["Location"] = url_for(".get_item", item_id=row.id)
    return response


def write(item_id: int, merge: bool) -> Response | tuple[Response, int]:
    acceptable, wanted = expected_version(item_id)
    current = find(item_id)
    if not acceptable or (wanted is not None and wanted != current.version):
        return stale()
    payload, problem = json_payload()
    if problem:
        return problem
    if merge and isinstance(payload, dict):
        payload = {"name": current.name, "quantity": current.quantity, **payload}
    item, errors = validate_new_item(payload)
    if storable(item, errors):
        return bad_request("The item is not valid.", errors)
    conn = get_db(current_app).connection()
    statement = (
        update(items_table)
        .where(items_table.c.id == item_id, items_table.c.version == current.version)
        .values(**item, version=items_table.c.version + 1)
        .returning(*_COLUMNS)
    )
    try:
        row = conn.execute(statement).first()
        conn.commit()
    except IntegrityError:
        conn.rollback()
        return name_taken(item["name"])
    if row is None:  # another writer got in between our read and this update
        return stale()
    return with_etag(row)


@api.put("/items/<int:item_id>")
def replace_item(item_id: int) -> Response | tuple[Response, int]:
    return write(item_id, merge=False)


@api.patch("/items/<int:item_id>")
def patch_item(item_id: int) -> Response | tuple[Response, int]:
    return write(item_id, merge=True)


@api.delete("/items/<int:item_id>")
def delete_item(item_id: int) -> Response | tuple[Response, int]:
    acceptable, wanted = expected_version(item_id)
    current = find(item_id)
    if not acceptable or (wanted is not None and wanted != current.version):
        return stale()
    conn = get_db(current_app).connection()
    statement = delete(items_table).where(
        items_table.c.id == item_id, items_table.c.version == current.version
    )
    gone = conn.execute(statement).rowcount
    conn.commit()
    if gone == 0:
        return stale()
    return Response(status=204)
