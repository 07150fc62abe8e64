"""A sign-in form in front of one page: the session, flashed messages and a CSRF token.

``GET /signin`` shows the form; ``POST /signin`` checks the name and password against
``SIGNIN_USERS`` (name → werkzeug password hash, e.g. ``APP_SIGNIN_USERS='{"ann": "scrypt:…"}'``)
and remembers the user in the session; ``GET /account`` is the page behind it; ``POST /signout``
forgets the user. Every form carries a token kept in the session, so another site cannot post
them on a signed-in user's behalf. No users are configured by default: nobody can sign in.

Make a hash with ``python -c "from werkzeug.wrappers import Response as BaseResponse
from werkzeug.security import generate_password_hash as g;
print(g('the password'))"``.
"""

from __future__ import annotations

import hmac
import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response as BaseResponse

from flasklite import (
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

CSRF_KEY = "csrf_token"
USER_KEY = "user"
NAME_MAX_LENGTH = 100
# Hashing is slow on purpose; a megabyte "password" must not buy a megabyte of hashing.
PASSWORD_MAX_LENGTH = 1024


@cache
def _decoy_hash() -> str:
    """A hash checked for unknown names, so a wrong name takes as long as a wrong password."""
    return generate_password_hash(secrets.token_urlsafe(16))


def csrf_token() -> str:
    """This session's form token (made on first use; templates call it)."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    sent = request.form.get(CSRF_KEY, "")
    expected = session.get(CSRF_KEY)
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "The form has expired or did not come from this site. Reload the page.")


def password_matches(users: dict[str, str], name: str, password: str) -> bool:
    if len(name) > NAME_MAX_LENGTH or len(password) > PASSWORD_MAX_LENGTH:
        return False
    stored = users.get(name)
    if not isinstance(stored, str):
        check_password_hash(_decoy_hash(), password)
        return False
    return check_password_hash(stored, password)


def signin_form() -> str:
    return render_template("signin.html")


def signin() -> BaseResponse:
    check_csrf()
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    if not password_matches(session_users(), name, password):
        flash("Wrong name or password.", "error")
        return redirect(url_for("signin_form"))
    # A fresh session (and token) at sign-in: a session id planted before it is worthless.
    session.clear()
    session[USER_KEY] = name
    flash(f"Signed in as {name}.", "success")
    return redirect(url_for("account"))


def signout() -> BaseResponse:
    check_csrf()
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("signin_form"))


def account() -> BaseResponse | str:
    user = session.get(USER_KEY)
    if not isinstance(user, str):
        flash("Sign in to see that page.", "info")
        return redirect(url_for("signin_form"))
    return render_template("account.html", user=user)


def session_users() -> dict[str, str]:
    users = current_app.config["SIGNIN_USERS"]
    return users if isinstance(users, dict) else {}


def register_auth(app: Flask) -> None:
    """The sign-in pages, and the secret key that signs their session."""
    users = app.config["SIGNIN_USERS"]
    if not isinstance(users, dict) or not all(isinstance(v, str) for v in users.values()):
        raise ValueError("APP_SIGNIN_USERS must be a JSON object of name → password hash")
    app.add_template_global(csrf_token)
    app.add_url_rule("/signin", view_func=signin_form, methods=["GET"])
    app.add_url_rule("/signin", endpoint="signin", view_func=signin, methods=["POST"])
    app.add_url_rule("/signout", view_func=signout, methods=["POST"])
    app.add_url_rule("/account", view_func=account, methods=["GET"])
