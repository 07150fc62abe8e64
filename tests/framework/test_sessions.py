"""Sessions and flashed messages through the request flow: ``session`` in views and templates,
``SECRET_KEY``, ``Vary: Cookie``, a replaceable ``session_interface``, ``flash``."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from flasklite import (
    Flask,
    flash,
    get_flashed_messages,
    message_flashed,
    redirect,
    render_template_string,
    session,
)
from flasklite.sessions import SecureCookieSessionInterface, SessionInterface, SessionMixin

from .conftest import AppFactory

KEY = "a-test-secret-key-that-is-long-enough"


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    app = make_app(SECRET_KEY=KEY)

    @app.get("/set/<value>")
    def set_value(value: str) -> str:
        session["value"] = value
        return "set"

    @app.get("/get")
    def get_value() -> str:
        return str(session.get("value"))

    @app.get("/plain")
    def plain() -> str:
        return "no session here"

    return app


def test_values_persist_between_requests(client: Any) -> None:
    response = client.get("/set/42")
    assert "session=" in response.headers["Set-Cookie"]
    assert "Cookie" in response.vary
    assert client.get("/get").get_data() == b"42"


def test_a_view_that_ignores_the_session_sets_no_cookie_and_no_vary(client: Any) -> None:
    client.get("/set/1")
    response = client.get("/plain")
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.vary


def test_reading_the_session_varies_by_cookie(client: Any) -> None:
    client.get("/set/1")
    response = client.get("/get")
    assert "Cookie" in response.vary and "Set-Cookie" not in response.headers


def test_secret_key_attribute_is_the_config_value(make_app: AppFactory) -> None:
    app = make_app()
    app.secret_key = KEY
    assert app.config["SECRET_KEY"] == KEY


def test_without_secret_key_reads_are_empty_and_writes_fail(make_app: AppFactory) -> None:
    app = make_app()

    @app.get("/read")
    def read() -> str:
        return repr(session.get("x"))

    @app.get("/write")
    def write() -> str:
        session["x"] = 1
        return "written"

    client = app.test_client()
    assert client.get("/read").get_data() == b"None"
    assert client.get("/write").status_code == 500
    app.testing = True
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/write")


def test_session_outside_a_request_raises() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        session.get("x")


def test_session_in_templates(app: Flask, client: Any) -> None:
    @app.get("/page")
    def page() -> str:
        return render_template_string("value={{ session.value }}")

    client.get("/set/hello")
    assert client.get("/page").get_data() == b"value=hello"


def test_permanent_session_gets_an_expiring_cookie(app: Flask, client: Any) -> None:
    @app.get("/remember")
    def remember() -> str:
        session.permanent = True
        session["value"] = "kept"
        return "ok"

    assert "Expires=" in client.get("/remember").headers["Set-Cookie"]
    # Refreshed on each request (SESSION_REFRESH_EACH_REQUEST), even by a view that ignores it.
    assert "Expires=" in client.get("/plain").headers["Set-Cookie"]
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert "Set-Cookie" not in client.get("/plain").headers


def test_in_place_changes_are_saved_only_when_flagged(app: Flask, client: Any) -> None:
    @app.get("/append/<flag>")
    def append(flag: str) -> str:
        session.setdefault("items", [])
        session["items"].append(len(session["items"]))
        session.modified = flag == "yes"
        return "ok"

    @app.get("/items")
    def items() -> Any:
        return {"items": session.get("items")}

    client.get("/append/yes")
    client.get("/append/yes")
    assert client.get("/items").get_json() == {"items": [0, 1]}


def test_session_interface_is_replaceable(make_app: AppFactory) -> None:
    store: dict[str, Any] = {}

    class ServerSide(SessionInterface):
        def open_session(self, app: Any, request: Request) -> SessionMixin:
            data = dict(store)
            from flasklite.sessions import SecureCookieSession

            return SecureCookieSession(data)

        def save_session(self, app: Any, session: SessionMixin, response: Response) -> None:
            store.clear()
            store.update(session)

    app = make_app()  # no secret key: the custom interface does not need one
    app.session_interface = ServerSide()

    @app.get("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    client = app.test_client()
    client.get("/count")
    assert client.get("/count").get_data() == b"2"
    assert store == {"n": 2}


def test_default_interface_is_the_signed_cookie(app: Flask) -> None:
    assert isinstance(app.session_interface, SecureCookieSessionInterface)


def test_a_cookie_from_a_rotated_key_still_works(app: Flask, client: Any) -> None:
    client.get("/set/old")
    app.config["SECRET_KEY_FALLBACKS"] = [KEY]
    app.config["SECRET_KEY"] = "the-new-key-after-rotation-0123456789"
    assert client.get("/get").get_data() == b"old"
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/get").get_data() == b"None"


# -- flash ----------------------------------------------------------------------------------


def test_flash_survives_a_redirect_and_is_shown_once(app: Flask, client: Any) -> None:
    @app.get("/act")
    def act() -> Any:
        flash("saved")
        flash("careful", "warning")
        return redirect("/show")

    @app.get("/show")
    def show() -> Any:
        first = get_flashed_messages(with_categories=True)
        again = get_flashed_messages()  # same request: same messages
        return {"first": first, "again": again}

    response = client.get("/act", follow_redirects=True)
    assert response.get_json() == {
        "first": [["message", "saved"], ["warning", "careful"]],
        "again": ["saved", "careful"],
    }
    assert client.get("/show").get_json() == {"first": [], "again": []}


def test_flash_category_filter(app: Flask, client: Any) -> None:
    @app.get("/act")
    def act() -> str:
        flash("a", "error")
        flash("b", "info")
        flash("c", "error")
        return "ok"

    @app.get("/errors")
    def errors() -> Any:
        return {
            "plain": get_flashed_messages(category_filter=["error"]),
            "pairs": get_flashed_messages(True, ["info"]),
        }

    client.get("/act")
    assert client.get("/errors").get_json() == {"plain": ["a", "c"], "pairs": [["info", "b"]]}


def test_get_flashed_messages_in_templates(app: Flask, client: Any) -> None:
    @app.get("/act")
    def act() -> str:
        flash("<hello>")
        return render_template_string("{% for m in get_flashed_messages() %}[{{ m }}]{% endfor %}")

    assert client.get("/act").get_data() == b"[&lt;hello&gt;]"


def test_message_flashed_signal(app: Flask, client: Any) -> None:
    seen: list[tuple[Any, str, str]] = []

    def receiver(sender: Any, message: str, category: str) -> None:
        seen.append((sender, message, category))

    @app.get("/act")
    def act() -> str:
        flash("hi", "info")
        return "ok"

    with message_flashed.connected_to(receiver, app):
        client.get("/act")
    assert seen == [(app, "hi", "info")]


def test_flash_needs_a_request() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        flash("nowhere")


@pytest.mark.parametrize(
    "cookie",
    [
        "session=" + "A" * 50_000,
        "session=" + "." * 3000,
        "session=eyJ4Ijp7fX0.aaaa.bbbb",
        "session=%FF%FE%00",
        "session=" + "e30." * 2000,
    ],
    ids=["long", "dots", "bad-signature", "binary", "repeated"],
)
def test_hostile_session_cookies_give_a_fresh_session(client: Any, cookie: str) -> None:
    response = client.get("/get", headers={"Cookie": cookie})
    assert response.status_code == 200
    assert response.get_data() == b"None"
    assert "Set-Cookie" not in response.headers
