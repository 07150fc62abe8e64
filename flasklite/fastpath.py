"""The request flow of ``app.py``, inlined for the commonest request.

``Flask.wsgi_app`` follows the seed's flow step by step: a dozen small methods (push, match,
preprocess, dispatch, finalize, make_response, process_response, pop, ...). On CPython each call
costs about as much as a whole request to a bare WSGI callable, and the ``Request`` and
``Response`` objects cost as much again, so for the request most services see most often this
module takes the same steps in one function and builds those objects only if someone looks:

- the path is an exact route (no converters) registered for the method, and the request is not
  HEAD, OPTIONS or an upgrade (``Scaffold._static_routes``);
- the Host already passed ``TRUSTED_HOSTS`` (the app's verdict cache), or none are configured;
- the app's class overrides none of the flow's methods, so no custom step is skipped.

Anything else goes through ``wsgi_app`` as usual. Within the shortcut, every step that can do
something still goes to the method ``wsgi_app`` would call: before/after-request functions, the
error handlers, ``make_response`` for anything but a string, teardown via ``ctx.pop``. The
``Request`` is made the first time anything reads ``request`` (the view, a hook, an error
handler, ``url_for``), with the same rule, view args and method as ``match_request`` would set.
Without after-request functions a string is answered straight to ``start_response`` with the
headers ``Response`` would send. The framework tests run with the shortcut and without it
(``Flask.inline_plain_requests = False``) and compare.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .ctx import RequestContext
from .globals import _cv_ctx
from .wrappers import Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.routing import Rule

    from .app import Flask
    from .wrappers import Request

# The methods the shortcut takes the place of; a subclass that overrides any of them is always
# served by ``wsgi_app``, so its override runs.
_INLINED_METHODS = (
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "finalize_request",
    "make_response",
    "process_response",
)
_inlinable: dict[type[Any], bool] = {}


def _class_is_inlinable(cls: type[Flask]) -> bool:
    from .app import Flask

    verdict = _inlinable[cls] = all(
        getattr(cls, name) is getattr(Flask, name) for name in _INLINED_METHODS
    )
    return verdict


class PlainRequestContext(RequestContext):
    """A request context whose ``Request`` is made on first use of ``ctx.request``."""

    __slots__ = ("_environ", "_method", "_request", "_rule")

    def __init__(self, app: Flask, environ: WSGIEnvironment, rule: Rule, method: str) -> None:
        self.app = app
        self._request: Request | None = None
        self._environ = environ
        self._rule = rule
        self._method = method
        self._g = None
        self._url_adapter = None
        self._token = None
        self._repushed = None

    if not TYPE_CHECKING:  # to the type checker, ``request`` stays RequestContext's attribute

        @property
        def request(self) -> Request:
            request = self._request
            if request is None:
                # What RequestContext.__init__ and the static-route branch of match_request set.
                request = self._request = self.app.request_class(self._environ)
                request.url_rule = self._rule
                request.view_args = {}
                request.method = self._method
            return request

        @request.setter
        def request(self, value: Request) -> None:
            self._request = value

    def _teardown(self, exc: BaseException | None) -> None:
        if self._request is not None:
            super()._teardown(exc)  # also closes files and unlinks the request from its environ
            return
        app = self.app
        if app.teardown_request_funcs:
            app.do_teardown_request(exc)
        if app.teardown_appcontext_funcs:
            app.do_teardown_appcontext(exc)

    def __repr__(self) -> str:
        environ = self._environ
        return f"<RequestContext {environ.get('PATH_INFO')!r} [{self._method}] of {self.app.name}>"


def serve_plain(app: Flask, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
    """Answer the request if it is a plain one (see the module docstring); else return None,
    having done nothing, and ``wsgi_app`` serves it."""
    cls = type(app)
    inlinable = _inlinable.get(cls)
    if inlinable is None:
        inlinable = _class_is_inlinable(cls)
    if not inlinable:
        return None
    by_method = app._static_routes.get(environ.get("PATH_INFO", ""))
    if by_method is None or "HTTP_UPGRADE" in environ:
        return None
    method = environ.get("REQUEST_METHOD", "")
    rule = by_method.get(method)
    if rule is None or method == "HEAD":  # HEAD: the response object drops the body
        return None
    trusted_hosts = app.config["TRUSTED_HOSTS"]
    if trusted_hosts is not None and (
        app._trusted_hosts_checked is not trusted_hosts
        or (environ.get("HTTP_HOST"), environ.get("SERVER_NAME"), environ.get("SERVER_PORT"))
        not in app._trusted_host_keys
    ):
        return None  # not known to be trusted yet: match_request checks it

    # wsgi_app: push the context (match_request found the rule above).
    ctx = PlainRequestContext(app, environ, rule, method)
    ctx._token = _cv_ctx.set(ctx)
    error: BaseException | None = None
    try:
        try:
            # full_dispatch_request: before-request functions, the view, user errors.
            app._got_first_request = True
            try:
                rv = app.preprocess_request() if app.before_request_funcs else None
                if rv is None:
                    rv = app.view_functions[rule.endpoint]()
            except Exception as e:
                rv = app.handle_user_exception(e)
            # finalize_request: make_response, process_response.
            if (
                type(rv) is str
                and not app._after_request_reversed
                and app.response_class is Response
            ):
                # What Response._from_bytes(...)(environ, start_response) sends.
                body = rv.encode()
                header = app._text_content_type
                if header is None or header[0] is not Response:
                    header = app._text_type()
                start_response("200 OK", [header[2], ("Content-Length", str(len(body)))])
                return [body]
            # make_response's first check, without the call, for a view's own Response.
            response = rv if type(rv) is app.response_class else app.make_response(rv)
            if app._after_request_reversed:
                response = app.process_response(response)
        except Exception as e:
            error = e
            response = app.handle_exception(e)
        except BaseException:
            error = sys.exc_info()[1]
            raise
        return response(environ, start_response)
    finally:
        if (
            ctx._request is None
            and not ctx._repushed
            and _cv_ctx.get(None) is ctx
            and not (app.teardown_request_funcs or app.teardown_appcontext_funcs)
        ):
            # ctx.pop(error) with nothing to tear down: restore the previous context.
            _cv_ctx.reset(ctx._token)
        else:
            ctx.pop(error)
        error = None  # its traceback holds this frame, which would hold it: no cycle
