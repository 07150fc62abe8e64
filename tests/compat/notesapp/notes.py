"""Notes: everyone can read the list; logged-in users write, and change only their own."""

from __future__ import annotations

from typing import Any

from flasklite import Blueprint, abort, g, render_template, request, url_for

from .auth import login_required
from .db import get_db

bp = Blueprint("notes", __name__)


@bp.route("/")
def index() -> str:
    notes = get_db().execute(
        "SELECT n.id, title, body, author_id, username"
        " FROM note n JOIN user u ON n.author_id = u.id ORDER BY n.id DESC"
    )
    return render_template("notes/index.html", notes=notes.fetchall())


def get_note(id: int, check_author: bool = True) -> Any:
    note = (
        get_db()
        .execute("SELECT id, title, body, author_id FROM note WHERE id = ?", (id,))
        .fetchone()
    )
    if note is None:
        abort(404, description=f"Note id {id} doesn't exist.")
    if check_author and note["author_id"] != g.user["id"]:
        abort(403)
    return note


def note_fields() -> tuple[str, str]:
    data = request.get_json(silent=True) or {}
    title = data.get("title")
    if not isinstance(title, str) or not title:
        abort(400, description="Title is required.")
    return title, str(data.get("body", ""))


@bp.route("/create", methods=("POST",))
@login_required
def create() -> tuple[dict[str, Any], int, dict[str, str]]:
    title, body = note_fields()
    db = get_db()
    cursor = db.execute(
        "INSERT INTO note (title, body, author_id) VALUES (?, ?, ?)", (title, body, g.user["id"])
    )
    db.commit()
    location = url_for(".update", id=cursor.lastrowid)
    return {"id": cursor.lastrowid}, 201, {"Location": location}


@bp.route("/<int:id>/update", methods=("POST",))
@login_required
def update(id: int) -> dict[str, Any]:
    get_note(id)
    title, body = note_fields()
    db = get_db()
    db.execute("UPDATE note SET title = ?, body = ? WHERE id = ?", (title, body, id))
    db.commit()
    return {"id": id, "title": title}


@bp.route("/<int:id>/delete", methods=("POST",))
@login_required
def delete(id: int) -> tuple[str, int]:
    get_note(id)
    db = get_db()
    db.execute("DELETE FROM note WHERE id = ?", (id,))
    db.commit()
    return "", 204
