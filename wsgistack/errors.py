"""Error pages for any service: JSON for API clients, HTML for browsers, never a traceback.

The HTML page is the service's ``error.html`` template when it has one (given ``code``, ``name``
and ``message``), else a small page of our own, so a service without templates still answers
every error with a small body.
"""

from __future__ import annotations

import logging
from html import escape
from urllib.parse import urlsplit

from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException

from flasklite import Flask, Response, jsonify, render_template, request

log = logging.getLogger(__name__)

# Headers an HTTP error carries that the new body must keep (405's Allow, 416's Content-Range...).
_BODY_HEADERS = {"content-type", "content-length"}


# Paths whose clients are programs: their errors are JSON whatever the Accept header says.
JSON_PATH_PREFIXES = ("/api/", "/_probe/", "/_diag/")


def wants_json() -> bool:
    if request.path.startswith(JSON_PATH_PREFIXES):
        return True
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/html")


def relative_location(response: Response) -> Response:
    """Redirects to this site carry a path, not an absolute URL: the Host header a client sent
    (its port included) is never reflected back in Location. Routing's own redirects (308 for
    merged slashes) are built from that Host."""
    if not 300 <= response.status_code < 400:
        return response  # before `headers`: most replies need no header set built for this
    location = response.headers.get("Location")
    if location:
        parts = urlsplit(location)
        if parts.netloc and parts.netloc == request.host:
            # One leading slash: "//other.example/x" would be a protocol-relative URL.
            path = "/" + parts.path.lstrip("/")
            response.headers["Location"] = path + (f"?{parts.query}" if parts.query else "")
            if response.is_sequence:  # werkzeug's page repeats the absolute URL: drop it
                response.set_data(b"")
    return response


def builtin_error_page(code: int, name: str, message: str) -> str:
    """A small HTML page of our own, for a service without ``error.html`` (or whose one failed)."""
    title = escape(f"{code} {name}")
    return f"<!doctype html>\n<title>{title}</title>\n<h1>{title}</h1>\n<p>{escape(message)}</p>\n"


def error_response(code: int, name: str, message: str) -> Response:
    """The error page for this request: JSON or HTML (see ``wants_json``), status ``code``."""
    if wants_json():
        response = jsonify(error={"code": code, "name": name, "message": message})
    else:
        try:
            html = render_template("error.html", code=code, name=name, message=message)
        except TemplateNotFound:
            html = builtin_error_page(code, name, message)
        except Exception:
            # The service's page failed for this very request (its url_for cannot bind a Host
            # too long to encode, say): an error page must not fail, so answer with ours.
            log.warning("error.html failed to render; sent the built-in page", exc_info=True)
            html = builtin_error_page(code, name, message)
        response = Response(html, mimetype="text/html")
    response.status_code = code
    return response


def render_http_error(error: HTTPException) -> HTTPException | Response:
    if error.code is None or error.code < 400:
        # Redirects raised by routing (308 for a missing slash) are answers, not errors.
        return error
    name = error.name
    message = error.description or name
    if error.code >= 500:
        # The real cause is in the log with the request id; the client gets no detail.
        message = "The server hit an unexpected error. Quote the X-Request-ID when reporting it."
    response = error_response(error.code, name, message)
    for key, value in error.get_headers():
        if key.lower() not in _BODY_HEADERS:
            response.headers[key] = value
    return response


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_http_error)
    app.after_request(relative_location)
