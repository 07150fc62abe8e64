"""The bench case that reads and writes the session: ``GET /visits`` with a signed session
cookie holding ``{"visits": 7}``; every contender verifies it, adds one, signs and sets a new
cookie, and answers ``visits: 8``.

All four contenders share one cookie: Flask's session format (itsdangerous, salt
``cookie-session``, HMAC-SHA1, tagged JSON), which flasklite reads and writes as well. The bare
and werkzeug contenders do the same work with itsdangerous directly, so the comparison is the
framework's overhead around the same signing.

``register(dispatch)`` adds the case to ``bench/dispatch.py``'s table, for the flasklite and
Flask apps (``FLASK_API_ONLY``): one line there, ``session_case.register(sys.modules[__name__])``
after ``CASES``. ``bare_visits``/``werkzeug_visits`` are the same work without a framework, for
the baselines if they take the case too.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.wrappers import Request, Response

SECRET_KEY = "bench-session-secret-key-0123456789"
PATH = "/visits"
LIFETIME_SECONDS = 31 * 24 * 3600


class _CompactJSON:
    """The payload as Flask's tagged serializer writes a plain dict of ints: compact JSON."""

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
CASE_FIELDS = {
    "name": "session",
    "description": "GET /visits: read and rewrite the signed session cookie",
    "method": "GET",
    "path": PATH,
}


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


def werkzeug_visits(request: Request) -> Response:
    visits, set_cookie = _next_visit(request.headers.get("Cookie", ""))
    response = Response(f"visits: {visits}", mimetype="text/html")
    response.headers["Set-Cookie"] = set_cookie
    response.vary.add("Cookie")
    return response


def register_session_view(app: Any, mod: Any) -> None:
    """``/visits`` on a Flask-API app (``mod`` is ``flask`` or ``flasklite``)."""
    app.secret_key = SECRET_KEY

    @app.get(PATH)
    def visits() -> str:
        session = mod.session
        session["visits"] = session.get("visits", 0) + 1
        return f"visits: {session['visits']}"


def register(dispatch: Any) -> None:
    """Add the session case and its ``/visits`` view to a ``bench.dispatch`` module (passed in,
    not imported: under ``python -m`` that module is ``__main__``, not ``bench.dispatch``)."""
    dispatch.CASES.append(
        dispatch.Case(
            **CASE_FIELDS,
            contenders=dispatch.FLASK_API_ONLY,
            environ=tuple(SESSION_ENVIRON.items()),
        )
    )
    dispatch.flask_api_routes(register_session_view)
