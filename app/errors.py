"""Error pages for the service: JSON for API clients, HTML for browsers, never a traceback."""

from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException

from flasklite import Flask, Response, jsonify, render_template, request

# Headers an HTTP error carries that the new body must keep (405's Allow, 416's Content-Range...).
_BODY_HEADERS = {"content-type", "content-length"}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/html")


def relative_location(response: Response) -> Response:
    """Redirects to this site carry a path, not an absolute URL: the Host header a client sent
    (its port included) is never reflected back in Location. Routing's own redirects (308 for
    merged slashes) are built from that Host."""
    location = response.headers.get("Location")
    if location and 300 <= response.status_code < 400:
        parts = urlsplit(location)
        if parts.netloc and parts.netloc == request.host:
            # One leading slash: "//other.example/x" would be a protocol-relative URL.
            path = "/" + parts.path.lstrip("/")
            response.headers["Location"] = path + (f"?{parts.query}" if parts.query else "")
            if response.is_sequence:  # werkzeug's page repeats the absolute URL: drop it
                response.set_data(b"")
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
    if wants_json():
        response = jsonify(error={"code": error.code, "name": name, "message": message})
    else:
        html = render_template("error.html", code=error.code, name=name, message=message)
        response = Response(html, mimetype="text/html")
    response.status_code = error.code
    for key, value in error.get_headers():
        if key.lower() not in _BODY_HEADERS:
            response.headers[key] = value
    return response


def register_error_pages(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_http_error)
    app.after_request(relative_location)
