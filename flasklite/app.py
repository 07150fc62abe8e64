"""The application object and the request flow, in the order a request goes through it:

``__call__`` → ``wsgi_app`` → ``full_dispatch_request`` → ``preprocess_request`` /
``dispatch_request`` → ``finalize_request`` → ``make_response`` → ``process_response``; on errors
``handle_user_exception`` / ``handle_http_exception`` / ``handle_exception``; finally the context
is popped with the error so teardown functions see it. Then ``run()``, the development server.

The commonest request (an exact route, a class that overrides none of these steps) is served by
``fastpath.serve_plain``: the same steps inlined, calling the methods below wherever one of them
has something to do. ``inline_plain_requests = False`` sends every request through this file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn, cast

from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest, BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import RoutingException
from werkzeug.test import Client, EnvironBuilder
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Response as BaseResponse

from .base import AppBase
from .ctx import AppContext, RequestContext
from .fastpath import serve_plain
from .globals import _cv_ctx
from .helpers import forget_tracebacks, is_loopback, load_dotenv_files
from .wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class Flask(AppBase):
    """The WSGI application: ``app = Flask(__name__)``, register views, hand ``app`` to a server.

    Constructor arguments (``import_name``, ``static_url_path``, ``static_folder``,
    ``template_folder``, ``root_path``) and attributes are Flask's; see ``base.py``.
    """

    test_client_class: type[Client] = Client

    # -- the request flow -----------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        """The WSGI entry point; middleware wraps ``wsgi_app`` so this stays the same object."""
        return self.wsgi_app(environ, start_response)

    #: Serve plain requests (an exact route, no HEAD/OPTIONS) through ``fastpath.serve_plain``,
    #: the same steps inlined. False: every request takes the flow below, step by step.
    inline_plain_requests = True

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        """The actual WSGI application: push a request context, dispatch, answer, pop."""
        if self.inline_plain_requests:
            answer = serve_plain(self, environ, start_response)
            if answer is not None:
                return answer
        ctx = RequestContext(self, environ)
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                response = self.full_dispatch_request()
            except Exception as e:
                error = e
                response = self.handle_exception(e)
            except BaseException:
                error = sys.exc_info()[1]
                raise
            return response(environ, start_response)
        finally:
            ctx.pop(error)
            error = None  # its traceback holds this frame, which would hold it: no cycle

    def full_dispatch_request(self) -> Response:
        """Before-request functions, the view, error handling, then ``finalize_request``."""
        self._got_first_request = True
        try:
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def preprocess_request(self) -> Any:
        """Run before-request functions in order; the first non-None value is the response."""
        for func in self.before_request_funcs:
            rv = func()
            if rv is not None:
                return rv
        return None

    def dispatch_request(self) -> Any:
        """Raise the routing error if matching failed (404, 405 with Allow, 308 to the slash
        URL), answer automatic OPTIONS, else call the view with the URL values. HEAD runs the GET
        view; the body is dropped when the response is sent."""
        req = _cv_ctx.get().request
        assert req is not None
        if req.routing_exception is not None:
            self.raise_routing_exception(req)
        rule = req.url_rule
        assert rule is not None and rule.endpoint is not None and req.view_args is not None
        if req.method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
            return self.make_default_options_response()
        return self.view_functions[rule.endpoint](**req.view_args)

    def raise_routing_exception(self, request: Request) -> NoReturn:
        assert request.routing_exception is not None
        raise request.routing_exception

    def make_default_options_response(self) -> Response:
        ctx = _cv_ctx.get()
        assert ctx.request is not None and ctx.url_adapter is not None
        rv = self.response_class()
        rv.allow.update(ctx.url_adapter.allowed_methods(ctx.request.path))
        return rv

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        """``make_response`` then ``process_response``. When finalizing an error response fails,
        the failure is logged and the unprocessed response is sent instead of a second crash."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def make_response(self, rv: Any) -> Response:
        """Convert a view's return value: str/bytes, dict/list (JSON), a response, a generator or
        iterator (streamed), a WSGI callable, or a tuple ``(body, status)``, ``(body, headers)``,
        ``(body, status, headers)``."""
        rv_type = type(rv)
        if rv_type is str:  # the most common case first, built without generic handling
            cached = self._text_content_type
            if cached is None or cached[0] is not self.response_class:
                cached = self._text_type()
            return self.response_class._from_bytes(rv.encode(), cached[1])
        if rv_type is dict:
            return self.json.response(rv)
        if rv_type is self.response_class:  # a view that built its own response
            # Not typing.cast: a call to a function in another module, on every request.
            built: Response = rv
            return built
        if rv_type is tuple and len(rv) == 2 and type(rv[1]) is int and type(rv[0]) is dict:
            # ``return data, 201``: what the generic path below does for it, without its checks.
            return self.json.response(rv[0])._set_status_int(rv[1])
        status: Any = None
        headers: Any = None
        if isinstance(rv, tuple):
            if len(rv) == 3:
                rv, status, headers = rv
            elif len(rv) == 2:
                if isinstance(rv[1], Headers | dict | tuple | list):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple. The tuple must"
                    " have the form (body, status, headers), (body, status), or (body, headers)."
                )
        if rv is None:
            raise TypeError(
                f"The view function for {_current_endpoint()!r} did not return a valid response."
                " The function either returned None or ended without a return statement."
            )
        if not isinstance(rv, self.response_class):
            if isinstance(rv, dict | list):  # before the (slower) Iterator ABC check
                rv = self.json.response(rv)
            elif isinstance(rv, str | bytes | bytearray | Iterator):
                rv = self.response_class(cast(Any, rv), status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, HTTPException):
                forget_tracebacks(rv)  # handled: its response is all that is left of it
                rv = self.make_error_response(rv)
            elif isinstance(rv, BaseResponse) or callable(rv):
                ctx = _cv_ctx.get()
                assert ctx.request is not None
                rv = self.response_class.force_type(rv, ctx.request.environ)
            else:
                raise TypeError(
                    "The view function did not return a valid response. The return type must be"
                    " a string, dict, list, tuple with headers or status, Response instance, or"
                    f" WSGI callable, but it was a {type(rv).__name__}."
                )
        if status is not None:
            if isinstance(status, str | bytes | bytearray):
                rv.status = status.decode() if isinstance(status, bytes | bytearray) else status
            elif type(status) is int:
                rv._set_status_int(status)  # the status line of a code is computed once
            else:
                rv.status = status
        if headers:
            rv.headers.update(headers)
        response: Response = rv
        return response

    def _text_type(self) -> tuple[type[Response], str, tuple[str, str]]:
        # "text/html; charset=utf-8" (and its header) for the configured response class,
        # computed once per class (``response_class`` may be replaced after the app is created).
        cls = self.response_class
        mimetype = cls.default_mimetype or "text/plain"
        content_type = get_content_type(mimetype, "utf-8")
        self._text_content_type = (cls, content_type, ("Content-Type", content_type))
        return self._text_content_type

    def process_response(self, response: Response) -> Response:
        """After-request functions, last registered first; each returns the response."""
        for func in self._after_request_reversed:
            response = func(response)
        return response

    # -- errors ---------------------------------------------------------------------------------

    def handle_http_exception(self, e: HTTPException) -> Any:
        """An ``HTTPException`` from the view or routing: its registered handler, else the
        exception itself (turned into a JSON or HTML error page by ``make_response``)."""
        if e.code is None or isinstance(e, RoutingException):
            return e  # e.g. a 308 redirect: not an error, never sent to error handlers
        handler = self._find_error_handler(e)
        return e if handler is None else handler(e)

    def trap_http_exception(self, e: Exception) -> bool:
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and isinstance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequest)
        return False

    def handle_user_exception(self, e: Exception) -> Any:
        """An exception from a before-request function or the view: HTTP errors go to
        ``handle_http_exception``; others to their handler, else it is re-raised (to
        ``handle_exception``)."""
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)
        handler = self._find_error_handler(e)
        if handler is None:
            raise
        return handler(e)

    def handle_exception(self, e: Exception) -> Response:
        """An unhandled exception: re-raise when ``PROPAGATE_EXCEPTIONS`` (default: TESTING or
        DEBUG), else log the traceback once, with the request id, and answer 500 without it."""
        exc_info = sys.exc_info()
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            if exc_info[1] is e:
                raise
            raise e
        self.log_exception(exc_info)
        server_error: Any = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error)
        if handler is not None:
            server_error = handler(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(self, exc_info: Any) -> None:
        ctx = _cv_ctx.get(None)
        req = ctx.request if ctx is not None else None
        if req is None:
            self.logger.error("Exception outside a request", exc_info=exc_info)
            return
        self.logger.error(
            f"Exception on {req.path} [{req.method}]",
            exc_info=exc_info,
            extra={"request_id": req.request_id},
        )

    def make_error_response(self, e: HTTPException, *, as_json: bool | None = None) -> Response:
        """The default answer for an HTTP error without a handler: JSON
        ``{"error": {"code", "name", "message"}}`` when the client prefers JSON (``Accept``, or
        ``as_json=True``), else werkzeug's small HTML page. Headers the error defines (``Allow``
        on 405, ``Retry-After``, …) are kept; redirects are werkzeug's own responses."""
        ctx = _cv_ctx.get(None)
        environ = ctx.request.environ if ctx is not None and ctx.request is not None else None
        if e.response is not None:  # abort(some_response)
            return cast(Response, self.response_class.force_type(cast(Any, e.response), environ))
        code = e.code
        if code is None or code < 400 or type(e).get_response is not HTTPException.get_response:
            # Redirects, and exceptions that build their own response, answer as werkzeug does.
            page = e.get_response(environ)
            return cast(Response, self.response_class.force_type(page, environ))
        wants_json = _prefers_json(ctx, as_json)
        # The body of an error page depends only on the exception's class, code and description
        # (unless a subclass customises get_body/get_description), so it is rendered once and
        # reused: 404s from scanners should not cost a template render each.
        key = (type(e), code, e.description, wants_json, self.debug)
        body = self._error_bodies.get(key)
        if body is None:
            if wants_json:
                error = {"code": code, "name": e.name, "message": e.description}
                body = self.json.response({"error": error}).get_data()
            else:
                body = e.get_body(environ).encode()
            if len(self._error_bodies) < 256 and _default_body(e):
                self._error_bodies[key] = body
        rv = self.response_class._from_bytes(
            body, "application/json" if wants_json else "text/html; charset=utf-8"
        )
        rv.status = code
        for name, value in e.get_headers(environ):
            if name.lower() != "content-type":
                rv.headers.add(name, value)
        return rv

    # -- contexts and the test client -----------------------------------------------------------

    def app_context(self) -> AppContext:
        return AppContext(self)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        return RequestContext(self, environ)

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context for ``EnvironBuilder(*args, **kwargs)``, for tests and the shell."""
        server_name = self.config["SERVER_NAME"]
        if server_name and "base_url" not in kwargs and "environ_base" not in kwargs:
            root = (self.config["APPLICATION_ROOT"] or "/").lstrip("/")
            kwargs["base_url"] = f"{self.config['PREFERRED_URL_SCHEME']}://{server_name}/{root}"
        builder = EnvironBuilder(*args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> Client:
        """werkzeug's test client around this app; responses are ``Response`` objects."""
        return self.test_client_class(self, self.response_class, use_cookies=use_cookies, **kwargs)

    # -- the development server -----------------------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        *,
        allow_remote_debugger: bool = False,
        **options: Any,
    ) -> None:
        """Run the development server (``werkzeug.serving.run_simple``); never in production.

        Host defaults to 127.0.0.1; port to the one in ``SERVER_NAME``, else 5000; ``debug``
        sets the defaults of ``use_reloader`` and ``use_debugger``. The interactive debugger
        runs arbitrary code typed into the browser, so it is refused on a non-loopback host
        unless ``allow_remote_debugger=True`` (or ``use_evalex=False``: traceback only).
        """
        if load_dotenv:
            load_dotenv_files()
        if host is None:
            host = "127.0.0.1"
        if port is None:
            server_name = self.config["SERVER_NAME"]
            if server_name and ":" in server_name:  # noqa: SIM108 - kept in the seed's shape
                port = int(server_name.rsplit(":", 1)[1])
            else:
                port = 5000
        if debug is not None:
            self.debug = bool(debug)
        options.setdefault("use_reloader", self.debug)
        options.setdefault("use_debugger", self.debug)
        options.setdefault("threaded", True)  # Flask's default since 1.0
        if (
            options["use_debugger"]
            and options.get("use_evalex", True)
            and not allow_remote_debugger
            and not is_loopback(host)
        ):
            raise RuntimeError(
                f"Refusing to start the interactive debugger on {host!r}, which is not a loopback"
                " address: the debugger executes arbitrary Python code sent from the browser, so"
                " anyone who can reach this port could run code on this machine. Bind to"
                " 127.0.0.1, or pass use_debugger=False (use_evalex=False keeps tracebacks"
                " without code execution), or pass allow_remote_debugger=True to override."
            )
        from werkzeug.serving import run_simple

        try:
            run_simple(host, port, self, **options)
        finally:
            # Reset so the server can be started again from the same interactive session.
            self._got_first_request = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _current_endpoint() -> str | None:
    ctx = _cv_ctx.get(None)
    return ctx.request.endpoint if ctx is not None and ctx.request is not None else None


def _default_body(e: HTTPException) -> bool:
    cls = type(e)
    return (
        cls.get_body is HTTPException.get_body
        and cls.get_description is HTTPException.get_description
    )


def _prefers_json(ctx: AppContext | None, as_json: bool | None) -> bool:
    if as_json is not None or ctx is None or ctx.request is None:
        return bool(as_json)
    accept = ctx.request.environ.get("HTTP_ACCEPT", "")
    # Shortcut: JSON can only win if the header names it or "application/*"; browsers, curl
    # ("*/*") and clients without Accept get HTML without parsing the header.
    if "json" not in accept and "application/*" not in accept:
        return False
    best = ctx.request.accept_mimetypes.best_match(("text/html", "application/json"))
    return best == "application/json"


__all__ = ["Flask"]
