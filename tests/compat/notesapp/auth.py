"""Accounts: register, log in for a bearer token, and ``login_required`` for other views."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from flasklite import Blueprint, abort, g, redirect, request, url_for

from .db import get_db

bp = Blueprint("auth", __name__, url_prefix="/auth")


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped_view(**kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.login"))
        return view(**kwargs)

    return wrapped_view


@bp.before_app_request
def load_logged_in_user() -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    g.user = None
    if scheme == "Bearer" and token:
        g.user = (
            get_db()
            .execute(
                "SELECT user.* FROM token JOIN user ON user.id = token.user_id WHERE value = ?",
                (token,),
            )
            .fetchone()
        )


def credentials() -> tuple[str, str]:
    data = request.get_json(silent=True) or {}
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not username:
        abort(400, description="Username is required.")
    if not isinstance(password, str) or not password:
        abort(400, description="Password is required.")
    return username, password


@bp.route("/register", methods=("POST",))
def register() -> tuple[dict[str, Any], int]:
    username, password = credentials()
    db = get_db()
    try:
        db.execute(
            "INSERT INTO user (username, password) VALUES (?, ?)",
            (username, generate_password_hash(password)),
        )
        db.commit()
    except db.IntegrityError:  # type: ignore[attr-defined]
        return {"error": f"User {username} is already registered."}, 409
    return {"login": url_for("auth.login")}, 201


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    if request.method == "GET":
        return {"how": "POST a JSON body with username and password"}
    username, password = credentials()
    db = get_db()
    user = db.execute("SELECT * FROM user WHERE username = ?", (username,)).fetchone()
    if user is None or not check_password_hash(user["password"], password):
        return {"error": "Incorrect username or password."}, 401
    token = secrets.token_urlsafe(16)
    db.execute("INSERT INTO token (value, user_id) VALUES (?, ?)", (token, user["id"]))
    db.commit()
    return {"token": token, "next": url_for("index")}
