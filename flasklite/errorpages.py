"""The default answer to an HTTP error that no handler took: a small JSON or HTML page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from .globals import _cv_ctx

if TYPE_CHECKING:
    from .base import AppBase
    from .wrappers import Response

# Pages are cached per (class, code, description, JSON?, debug): scanners' 404s should not cost a
# render each. Bounded, since descriptions may be built from input.
_PAGES_KEPT = 256
_pages: dict[tuple[Any, ...], bytes] = {}


def _wants_json(environ: dict[str, Any] | None, as_json: bool | None) -> bool:
    if as_json is not None or environ is None:
        return bool(as_json)
    accept = environ.get("HTTP_ACCEPT", "")
    # JSON can only win when the header names it or "application/*": browsers, curl ("*/*") and
    # clients without Accept get HTML without the header being parsed.
    if "json" not in accept and "application/*" not in accept:
        return False
    request = _cv_ctx.get().request
    assert request is not None
    best = request.accept_mimetypes.best_match(("text/html", "application/json"))
    return bool(best == "application/json")


def _standard_body(error: HTTPException) -> bool:
    kind = type(error)
    same_body = kind.get_body is HTTPException.get_body
    return same_body and kind.get_description is HTTPException.get_description


def error_response(app: AppBase, error: HTTPException, *, as_json: bool | None = None) -> Response:
    """JSON ``{"error": {"code", "name", "message"}}`` when the client prefers JSON (``Accept``,
    or ``as_json=True``), else werkzeug's HTML page. Headers the error defines (``Allow`` on 405,
    ``Retry-After``, ...) are kept; redirects and errors with their own response are werkzeug's."""
    ctx = _cv_ctx.get(None)
    environ = None if ctx is None else ctx.environ
    cls = app.response_class
    if error.response is not None:  # abort(some_response)
        given: Any = error.response
        return cls.force_type(given, environ)  # type: ignore[return-value]
    code = error.code
    if code is None or code < 400 or type(error).get_response is not HTTPException.get_response:
        page: Any = error.get_response(environ)
        return cls.force_type(page, environ)  # type: ignore[return-value]
    as_json = _wants_json(environ, as_json)
    key = (type(error), code, error.description, as_json, app.debug)
    body = _pages.get(key)
    if body is None:
        if as_json:
            summary = {"code": code, "name": error.name, "message": error.description}
            body = app.json.response({"error": summary}).get_data()
        else:
            body = error.get_body(environ).encode()
        if len(_pages) < _PAGES_KEPT and _standard_body(error):
            _pages[key] = body
    mimetype = "application/json" if as_json else "text/html"
    answer = cls(body, status=code, mimetype=mimetype)
    for name, value in error.get_headers(environ):
        if name.lower() != "content-type":
            answer.headers.add(name, value)
    return answer
