"""The ``session`` case of ``make bench``: ``GET /visits`` with a signed session cookie holding
``{"visits": 7}``; every contender verifies the cookie, counts the visit, signs and sets a new
cookie, and answers ``visits: 8``.

Each contender is an app of its own (``build_apps``), so the secret key this case needs does not
turn on session work in the shared bench app the other cases time. All of them use one cookie
format, Flask's (itsdangerous's ``URLSafeTimedSerializer``, salt ``cookie-session``, HMAC-SHA1,
compact JSON), so they sign and verify the same bytes:

- ``framework`` and ``flask``: the same view over ``session``, on flasklite and on Flask;
- ``bare`` and ``werkzeug``: the same work with itsdangerous called directly, no framework: the
  floor for this signing.

Bottle and Falcon are not applicable (``NOT_APPLICABLE`` says why). Before timing, ``verify``
checks every contender's cookie round-trips: it is readable by the others and sent back it
counts on (``visits: 9``), so a broken session cannot benchmark fast. ``explain`` measures how
much of flasklite's time is the signing (``docs/benchmarks.md``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import flask
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

import flasklite
from bench.app_data import WSGIApp
from flasklite.sessions import SecureCookieSessionInterface

SECRET_KEY = "bench-session-secret-key-0123456789"
PATH = "/visits"
LIFETIME_SECONDS = 31 * 24 * 3600
CONTENDERS = ("bare", "werkzeug", "framework", "flask")
NOT_APPLICABLE = {
    "bottle": "no signed-cookie session: its signed cookies pickle the value, in another format",
    "falcon": "no session or signed cookies built in",
}


class _CompactJSON:
    """The payload as Flask's tagged serializer writes a dict of plain values: compact JSON."""

    @staticmethod
    def dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return json.loads(text)


SIGNER = URLSafeTimedSerializer(
    SECRET_KEY,
    salt="cookie-session",
    serializer=_CompactJSON,
    signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
)
COOKIE = SIGNER.dumps({"visits": 7})
#: Merged into the case's environ: the browser sends the cookie.
SESSION_ENVIRON = {"HTTP_COOKIE": f"session={COOKIE}"}


# -- the contenders ---------------------------------------------------------------------------


def _next_visit(cookie_header: str) -> tuple[int, str]:
    try:
        data = SIGNER.loads(
            parse_cookie(cookie_header).get("session", ""), max_age=LIFETIME_SECONDS
        )
    except BadSignature:
        data = {}
    visits = int(data.get("visits", 0)) + 1
    return visits, dump_cookie("session", SIGNER.dumps({"visits": visits}), httponly=True, path="/")


def bare_visits(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """The bare-WSGI contender's answer: status, headers and body."""
    visits, set_cookie = _next_visit(environ.get("HTTP_COOKIE", ""))
    body = f"visits: {visits}".encode()
    headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Set-Cookie", set_cookie),
        ("Vary", "Cookie"),
    ]
    return "200 OK", headers, body


def make_bare() -> WSGIApp:
    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        status, headers, body = bare_visits(environ)
        start_response(status, headers)
        return [body]

    return application


def werkzeug_visits(request: Request) -> Response:
    visits, set_cookie = _next_visit(request.headers.get("Cookie", ""))
    response = Response(f"visits: {visits}", mimetype="text/html")
    response.headers["Set-Cookie"] = set_cookie
    response.vary.add("Cookie")
    return response


def make_werkzeug() -> WSGIApp:
    def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return werkzeug_visits(Request(environ))(environ, start_response)

    return application


def make_session_app(cls: Any, mod: Any) -> Any:
    """``/visits`` on a small app of its own with a secret key: the same code for flasklite and
    Flask (``mod`` is ``flasklite`` or ``flask``)."""
    app = cls("bench_session", static_folder=None)
    app.config["SECRET_KEY"] = SECRET_KEY

    @app.get(PATH)
    def visits() -> str:
        session = mod.session
        session["visits"] = session.get("visits", 0) + 1
        return f"visits: {session['visits']}"

    return app


def build_apps(template_dir: str) -> dict[str, WSGIApp]:
    """The contenders of this case (the template folder is not used)."""
    return {
        "bare": make_bare(),
        "werkzeug": make_werkzeug(),
        "framework": make_session_app(flasklite.Flask, flasklite),
        "flask": make_session_app(flask.Flask, flask),
    }


# -- the check before timing ------------------------------------------------------------------


def _visit(application: WSGIApp, cookie: str) -> tuple[str, str, str]:
    """One request with ``cookie``: (body, the new session cookie's value, Vary)."""
    client = Client(application, use_cookies=False)
    response = client.get(PATH, headers={"Cookie": f"session={cookie}"})
    new_cookie = ""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            new_cookie = header.split(";", 1)[0].removeprefix("session=")
    return response.get_data(as_text=True), new_cookie, response.headers.get("Vary", "")


def verify(apps: dict[str, WSGIApp], environ: dict[str, Any]) -> None:
    """Every contender counts the visit in a cookie that every contender (Flask included)
    accepts and counts on; ``SystemExit`` names the first one that does not."""
    if environ.get("HTTP_COOKIE") != SESSION_ENVIRON["HTTP_COOKIE"]:
        raise SystemExit("session: the case's environ does not carry the session cookie")
    cookies = {}
    for name, application in apps.items():
        body, cookies[name], vary = _visit(application, COOKIE)
        if body != "visits: 8" or not cookies[name] or "Cookie" not in vary:
            raise SystemExit(
                f"session: {name} answered {body!r} with cookie {cookies[name]!r} and Vary"
                f" {vary!r}; expected 'visits: 8', a new session cookie and Vary: Cookie"
            )
    for name, cookie in cookies.items():
        for reader_name, reader in apps.items():
            again = _visit(reader, cookie)[0]
            if again != "visits: 9":
                raise SystemExit(
                    f"session: {reader_name} read {name}'s cookie as {again!r}, not 'visits: 9'"
                )


# -- where flasklite's time goes --------------------------------------------------------------


class _ConstantSigning:
    """Stands in for the signing serializer: the answers, without the work."""

    @staticmethod
    def loads(cookie: str | bytes, max_age: int | None = None) -> dict[str, Any]:
        return {"visits": 7}

    @staticmethod
    def dumps(data: Any) -> str:
        return COOKIE


class _UnsignedInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Any) -> Any:
        return _ConstantSigning


def explain(
    apps: dict[str, WSGIApp],
    row: dict[str, Any],
    time_apps: Callable[[dict[str, WSGIApp]], dict[str, float]],
    time_call: Callable[[Callable[[], Any]], float],
) -> dict[str, Any]:
    """flasklite's time on this case with and without the signing (timed side by side), and
    what the signing's parts cost per call in this process."""
    unsigned = make_session_app(flasklite.Flask, flasklite)
    unsigned.session_interface = _UnsignedInterface()
    timed = time_apps({"framework": apps["framework"], "framework_unsigned": unsigned})
    flask_us = row["timings"]["flask"]["best_us"]
    serializer = SecureCookieSessionInterface().get_signing_serializer(
        make_session_app(flasklite.Flask, flasklite)
    )
    assert serializer is not None
    payload = json.dumps({"visits": 8}, separators=(",", ":")).encode()
    key = hashlib.sha1(b"any key").digest()
    signing_us = timed["framework"] - timed["framework_unsigned"]
    per_call = {
        "signing serializer loads (verify)": time_call(
            lambda: serializer.loads(COOKIE, max_age=LIFETIME_SECONDS)
        ),
        "signing serializer dumps (sign)": time_call(lambda: serializer.dumps({"visits": 8})),
        "zlib.compress of the payload": time_call(lambda: zlib.compress(payload)),
        "HMAC-SHA1 of the payload": time_call(lambda: hmac.digest(key, payload, "sha1")),
        "werkzeug dump_cookie": time_call(lambda: dump_cookie("session", COOKIE, path="/")),
        "werkzeug parse_cookie": time_call(lambda: parse_cookie(SESSION_ENVIRON["HTTP_COOKIE"])),
    }
    note = (
        f"session: flasklite {timed['framework']:.2f} µs a request, of which signing and"
        f" verifying {signing_us:.2f} µs; without them {timed['framework_unsigned']:.2f} µs"
        f" ({flask_us / timed['framework_unsigned']:.1f}x flask)"
    )
    return {
        "framework_us": timed["framework"],
        "framework_without_signing_us": timed["framework_unsigned"],
        "signing_us": signing_us,
        "flask_us": flask_us,
        "without_signing_vs_flask": flask_us / timed["framework_unsigned"],
        "per_call_us": per_call,
        "note": note,
    }
