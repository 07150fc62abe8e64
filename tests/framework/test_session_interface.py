"""The session interface on its own: signing, key rotation, expiry, cookie attributes and
``Vary: Cookie``, with a request and a response and no request flow around them."""

from __future__ import annotations

import itertools
import time
import types
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import flask
import itsdangerous.timed
import pytest
from markupsafe import Markup
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from flasklite.sessions import (
    SESSION_DEFAULTS,
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    open_request_session,
    save_request_session,
)


class AppStub:
    """Only what the interface reads from an app: its config and ``session_interface``."""

    def __init__(self, **config: Any) -> None:
        self.config = {**SESSION_DEFAULTS, "APPLICATION_ROOT": "/", **config}
        self.session_interface = SecureCookieSessionInterface()


def request_with(cookie: str | None = None) -> Request:
    headers = {"Cookie": cookie} if cookie else {}
    return Request(EnvironBuilder(headers=headers).get_environ())


def save(app: AppStub, session: Any) -> Response:
    response = Response()
    save_request_session(app, session, response)
    return response


def cookie_of(response: Response, name: str = "session") -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie set: {response.headers}")


def round_trip(app: AppStub, data: dict[str, Any], reader: AppStub | None = None) -> Any:
    """Save ``data`` with ``app``; open the cookie again with ``reader`` (default: ``app``)."""
    session = open_request_session(app, request_with())
    session.update(data)
    value = cookie_of(save(app, session)).split(";")[0]
    return open_request_session(reader or app, request_with(value))


def test_without_secret_key_the_session_is_null_and_refuses_writes() -> None:
    app = AppStub()
    session = open_request_session(app, request_with())
    assert isinstance(session, NullSession)
    assert session.get("user") is None and dict(session) == {}
    with pytest.raises(RuntimeError, match="no secret key was set"):
        session["user"] = "ann"
    assert save(app, session).headers.get("Set-Cookie") is None


def test_values_survive_a_round_trip_and_the_session_is_not_new() -> None:
    app = AppStub(SECRET_KEY="k1")
    fresh = open_request_session(app, request_with())
    assert fresh.new and not fresh.modified and not fresh.accessed
    restored = round_trip(app, {"user": "ann", "ids": (1, 2)})
    assert restored == {"user": "ann", "ids": (1, 2)}
    assert not restored.new


def test_tagged_types_survive_in_the_cookie() -> None:
    app = AppStub(SECRET_KEY="k1")
    value = {
        "b": b"\x00raw",
        "m": Markup("<b>ok</b>"),
        "u": uuid.UUID(int=5),
        "d": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    assert round_trip(app, value) == value


def test_a_tampered_cookie_gives_a_fresh_empty_session() -> None:
    app = AppStub(SECRET_KEY="k1")
    session = open_request_session(app, request_with())
    session["admin"] = False
    value = cookie_of(save(app, session)).split(";")[0]
    payload, _, signature = value.rpartition(".")
    forged = open_request_session(app, request_with(f"{payload}.{signature[::-1]}"))
    assert dict(forged) == {} and forged.new


def test_fallback_keys_still_read_old_cookies_and_new_ones_use_the_new_key() -> None:
    old = AppStub(SECRET_KEY="old-key")
    rotated = AppStub(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"])
    assert round_trip(old, {"user": "ann"}, reader=rotated) == {"user": "ann"}
    without_fallback = AppStub(SECRET_KEY="new-key")
    assert round_trip(old, {"user": "ann"}, reader=without_fallback) == {}
    # Cookies written after the rotation are signed with the new key only.
    assert round_trip(rotated, {"user": "bob"}, reader=old) == {}
    assert round_trip(rotated, {"user": "bob"}, reader=without_fallback) == {"user": "bob"}


def test_a_signature_older_than_the_lifetime_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    app = AppStub(SECRET_KEY="k1", PERMANENT_SESSION_LIFETIME=60)
    an_hour_ago = time.time() - 3600
    # itsdangerous stamps the signature with time.time(); only its clock is moved back.
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: an_hour_ago))
    session = open_request_session(app, request_with())
    session["user"] = "ann"
    value = cookie_of(save(app, session)).split(";")[0]
    monkeypatch.undo()
    assert dict(open_request_session(app, request_with(value))) == {}
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=2)
    assert dict(open_request_session(app, request_with(value))) == {"user": "ann"}


def test_cookie_attributes_follow_the_config() -> None:
    app = AppStub(
        SECRET_KEY="k1",
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PARTITIONED=True,
    )
    session = open_request_session(app, request_with())
    session["x"] = 1
    header = cookie_of(save(app, session), "sid")
    for part in ("Domain=example.com", "Path=/app", "Secure", "HttpOnly", "SameSite=Lax"):
        assert part in header
    assert "Partitioned" in header
    assert "Expires" not in header  # not permanent: a browser-session cookie
    app.config["SESSION_COOKIE_HTTPONLY"] = False
    assert "HttpOnly" not in cookie_of(save(app, session), "sid")


def test_cookie_path_defaults_to_the_application_root() -> None:
    app = AppStub(SECRET_KEY="k1", APPLICATION_ROOT="/mounted")
    session = open_request_session(app, request_with())
    session["x"] = 1
    assert "Path=/mounted" in cookie_of(save(app, session))


def test_permanent_session_expires_after_the_lifetime_and_refreshes() -> None:
    app = AppStub(SECRET_KEY="k1", PERMANENT_SESSION_LIFETIME=timedelta(days=2))
    session = open_request_session(app, request_with())
    session["x"] = 1
    session.permanent = True
    header = cookie_of(save(app, session))
    expires = header.split("Expires=")[1].split(";")[0]
    expected = datetime.now(UTC) + timedelta(days=2)
    assert expected.strftime("%d %b %Y") in expires
    # Unchanged on the next request: the cookie is sent again (its expiry slides forward)...
    restored = open_request_session(app, request_with(header.split(";")[0]))
    assert restored.permanent and not restored.modified
    assert "session=" in save(app, restored).headers.get("Set-Cookie", "")
    # ...unless SESSION_REFRESH_EACH_REQUEST is off.
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert save(app, restored).headers.get("Set-Cookie") is None


def test_unchanged_non_permanent_session_sets_no_cookie_but_varies_when_read() -> None:
    app = AppStub(SECRET_KEY="k1")
    restored = round_trip(app, {"user": "ann"})
    untouched = save(app, restored)
    assert untouched.headers.get("Set-Cookie") is None and "Cookie" not in untouched.vary
    assert restored["user"] == "ann"
    read = save(app, restored)
    assert read.headers.get("Set-Cookie") is None and "Cookie" in read.vary


def test_emptying_the_session_deletes_the_cookie() -> None:
    app = AppStub(SECRET_KEY="k1", SESSION_COOKIE_PATH="/p")
    restored = round_trip(app, {"user": "ann"})
    restored.clear()
    response = save(app, restored)
    header = cookie_of(response)
    assert "Max-Age=0" in header and "Path=/p" in header
    assert "Cookie" in response.vary


def test_modified_tracks_writes_and_in_place_changes_need_flagging() -> None:
    session = SecureCookieSession({"items": [1]})
    session["items"].append(2)  # a change inside a value is invisible to the session
    assert session.accessed and not session.modified
    session.modified = True
    session.setdefault("other", 1)
    assert session.modified


def test_cookies_are_interchangeable_with_flask() -> None:
    """A service moving from Flask keeps its users logged in: same format, same signature."""
    ours = AppStub(SECRET_KEY="shared")
    theirs = flask.Flask("peer")
    theirs.secret_key = "shared"
    with theirs.test_request_context():
        flask.session["user"] = ("ann", 1)
        response = theirs.response_class()
        theirs.session_interface.save_session(theirs, flask.session, response)
    value = cookie_of(response).split(";")[0]
    assert dict(open_request_session(ours, request_with(value))) == {"user": ("ann", 1)}
    session = open_request_session(ours, request_with())
    session["user"] = "bob"
    ours_value = cookie_of(save(ours, session)).split(";")[0]
    with theirs.test_request_context(headers={"Cookie": ours_value}):
        assert flask.session["user"] == "bob"


def test_signing_serializers_are_reused_and_bounded() -> None:
    interface = SecureCookieSessionInterface()
    app = AppStub(SECRET_KEY="k1")
    assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)
    for n in itertools.islice(itertools.count(), 40):
        app.config["SECRET_KEY"] = f"key-{n}"
        interface.get_signing_serializer(app)
    assert len(interface._serializers) <= 16
