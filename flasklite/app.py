"""The application object and the one request flow, top to bottom in the order a request takes:

``__call__`` → ``wsgi_app`` → request context push (``ctx.py``: match the URL) →
``full_dispatch_request`` → ``preprocess_request`` → ``dispatch_request`` (the view) →
``finalize_request`` → ``make_response`` → ``process_response``; an exception on the way goes to
``handle_user_exception`` (→ ``handle_http_exception``) or, unhandled, to ``handle_exception``;
last, ``ctx.pop(error)`` runs the teardown functions. Then ``run()``, the development server.

Every request goes through these methods; a subclass may override any of them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest, BadRequestKeyError, HTTPException, InternalServerError
from werkzeug.routing import RoutingException
from werkzeug.wrappers import Response as WerkzeugResponse

from .base import AppBase
from .cli import load_dotenv as load_dotenv_files
from .ctx import AppContext, RequestContext
from .devserver import serve
from .errorpages import error_response
from .globals import _cv_ctx
from .helpers import forget_tracebacks
from .sessions import save_context_session
from .signals import got_request_exception, request_finished, request_started
from .testing import FlaskClient, build_test_environ
from .wrappers import Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class Flask(AppBase):
    """The WSGI application: ``app = Flask(__name__)``, register views, hand ``app`` to a server.

    Constructor arguments (``import_name``, ``static_url_path``, ``static_folder``,
    ``template_folder``, ``root_path``) and attributes are Flask's; see ``base.py``.
    """

    test_client_class: type[FlaskClient] = FlaskClient

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        """The WSGI entry point. Middleware wraps ``wsgi_app``, so this object stays the app."""
        return self.wsgi_app(environ, start_response)

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        """Push a request context, dispatch, send the response, pop the context.

        The error that ended the request (if any) is handed to ``ctx.pop`` so that teardown
        functions see it; a ``BaseException`` (KeyboardInterrupt, a worker's timeout) is not
        handled here, only passed on after the teardown.
        """
        this_request = self.request_context(environ)
        failure: BaseException | None = None
        try:
            try:
                this_request.push()
                outcome = self.full_dispatch_request()
            except Exception as unhandled_error:
                failure = unhandled_error
                outcome = self.handle_exception(unhandled_error)
            except BaseException as not_handled_here:
                failure = not_handled_here
                raise
            return outcome(environ, start_response)
        finally:
            if "werkzeug.debug.preserve_context" in environ:  # ``with client:`` keeps it
                environ["werkzeug.debug.preserve_context"](this_request)
            this_request.pop(failure)
            # The error's traceback holds this frame, which holds the error: drop the link.
            failure = None

    def full_dispatch_request(self) -> Response:
        """Before-request functions and the view, an error handler if they raise, then
        ``finalize_request``. Sends ``request_started`` first."""
        self._serving = True
        try:
            if request_started.receivers:  # nobody listening: no call, no arguments built
                request_started.send(self, _async_wrapper=self.ensure_sync)
            returned = self.preprocess_request()
            if returned is None:
                returned = self.dispatch_request()
        except Exception as view_or_hook_error:
            returned = self.handle_user_exception(view_or_hook_error)
        return self.finalize_request(returned)

    def preprocess_request(self) -> Any:
        """URL value preprocessors, then before-request functions, app-wide scope first; the
        first value that is not None becomes the response and the view is skipped."""
        if not (self.before_request_funcs or self.url_value_preprocessors):
            return None  # nothing registered: the common case costs one check
        rule, args, _ = self._request_ctx().match_result()
        endpoint = None if rule is None else rule.endpoint
        preprocessors, before_funcs = self.request_hooks(endpoint)
        if not (preprocessors or before_funcs):
            return None  # hooks elsewhere (another blueprint's), none for this endpoint
        for func in preprocessors:
            func(endpoint, args)
        for func in before_funcs:
            early = self.ensure_sync(func)()
            if early is not None:
                return early
        return None

    def dispatch_request(self) -> Any:
        """Call the view with the URL's values. A failed match raises its error here (404, 405
        with Allow, 308 to the slash URL); OPTIONS is answered for rules that ask for it. HEAD
        runs the GET view; the response drops the body when it is sent."""
        ctx = self._request_ctx()
        rule, args, routing_error = ctx.match_result()
        if routing_error is not None:
            if type(self).raise_routing_exception is not Flask.raise_routing_exception:
                self.raise_routing_exception(ctx.request)  # a subclass's own handling
            raise routing_error  # as the method does, without building the Request for it
        assert rule is not None and rule.endpoint is not None
        method = ctx.environ.get("REQUEST_METHOD", "").upper()
        if method == "OPTIONS" and getattr(rule, "provide_automatic_options", False):
            return self.make_default_options_response()
        view = self.ensure_sync(self.view_functions[rule.endpoint])
        return view(**args) if args else view()  # no empty keyword dict to build and unpack

    def raise_routing_exception(self, request: Any) -> NoReturn:
        error = request.routing_exception
        assert error is not None
        raise error

    def make_default_options_response(self) -> Response:
        """An empty 200 whose ``Allow`` header lists every method the path accepts."""
        ctx = self._request_ctx()
        bound = ctx.url_adapter
        assert bound is not None
        answer = self.response_class()
        answer.allow.update(bound.allowed_methods(ctx.request.path))
        return answer

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        """``make_response`` then ``process_response``. If that fails while an error is being
        answered, the failure is logged and the unprocessed error response is sent.
        ``request_finished`` is sent with the processed response."""
        finished = self.make_response(rv)
        try:
            processed = self.process_response(finished)
            if request_finished.receivers:
                request_finished.send(self, _async_wrapper=self.ensure_sync, response=processed)
            return processed
        except Exception:
            if from_error_handler:
                self.logger.exception(
                    "Request finalizing failed with an error while handling an error"
                )
                return finished
            raise

    def make_response(self, rv: Any) -> Response:
        """Turn what a view returned into a ``Response``: str/bytes, dict/list (JSON), a response
        object, a generator or iterator (streamed), a WSGI callable, an ``HTTPException``, or a
        tuple ``(body, status)``, ``(body, headers)``, ``(body, status, headers)``."""
        value, status, headers = _unpack_tuple(rv) if type(rv) is tuple else (rv, None, None)
        cls = self.response_class
        # Most views return text or JSON, so those are tried first; no value is both.
        match value:
            case str() | bytes() | bytearray():
                response = cls(value, status, headers)
                status = headers = None
            case dict() | list():
                response = self.json.response(value)
            case cls():
                response = value
            case None:
                raise TypeError(
                    f"The view function for {self._request_ctx().endpoint!r} did not return a"
                    " valid response. The function either returned None or ended without a"
                    " return statement."
                )
            case Iterator():
                response = cls(value, status=status, headers=headers)
                status = headers = None
            case HTTPException():
                forget_tracebacks(value)  # answered: its response is all that is left of it
                response = error_response(self, value)
            case _ if isinstance(value, WerkzeugResponse) or callable(value):
                converted = cls.force_type(value, self._request_ctx().environ)
                assert isinstance(converted, Response)
                response = converted
            case _:
                raise TypeError(
                    "The view function did not return a valid response. The return type must be"
                    " a string, dict, list, tuple with headers or status, Response instance, or"
                    f" WSGI callable, but it was a {type(value).__name__}."
                )
        if status is not None:
            binary = type(status) is not int and isinstance(status, bytes | bytearray)
            response.status = str(status, "utf-8") if binary else status
        if headers:
            response.headers.update(headers)
        return response

    def process_response(self, response: Response) -> Response:
        """``after_this_request`` functions, then after-request functions, innermost scope and
        newest first; each returns the response. Then the session is saved into it."""
        ctx = self._request_ctx()
        for hook in ctx.after_request_functions or ():
            response = self.ensure_sync(hook)(response)
        if self.after_request_funcs:
            for scope in reversed(self.scopes_for(ctx.endpoint)):
                for hook in reversed(self.after_request_funcs.get(scope, ())):
                    response = self.ensure_sync(hook)(response)
        # The session is saved only if something opened it, or an unopened one could still
        # change the response (sessions.py): most requests skip this altogether.
        if ctx.opened_session is not None or self.session_interface.should_open_for_saving(
            self, ctx.environ
        ):
            self.save_session(ctx, response)
        return response

    def save_session(self, ctx: RequestContext, response: Response) -> None:
        """Store the request's session in the response through ``session_interface`` (opening
        it first if nothing has)."""
        save_context_session(self, ctx, response)

    # -- errors ---------------------------------------------------------------------------------

    def handle_user_exception(self, e: Exception) -> Any:
        """An exception from a before-request function or the view: HTTP errors go to
        ``handle_http_exception``; others to their registered handler, or are raised again
        (for ``handle_exception``)."""
        key_errors_shown = self.debug or bool(self.config["TRAP_BAD_REQUEST_ERRORS"])
        if key_errors_shown and isinstance(e, BadRequestKeyError):
            e.show_exception = True
        http_error = e if isinstance(e, HTTPException) else None
        if http_error is not None and not self.trap_http_exception(http_error):
            return self.handle_http_exception(http_error)
        handler = self.error_handler_for(e, self._current_scopes())
        if handler is None:
            raise e
        return self.ensure_sync(handler)(e)

    def handle_http_exception(self, e: HTTPException) -> Any:
        """Its registered handler, else the exception itself (``make_response`` renders it).
        Redirects from routing and code-less exceptions are answers, not errors: no handler."""
        if e.code is None or isinstance(e, RoutingException):
            return e
        handler = self.error_handler_for(e, self._current_scopes())
        return e if handler is None else self.ensure_sync(handler)(e)

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP error is raised like any other error instead of being answered
        (``TRAP_HTTP_EXCEPTIONS``; ``TRAP_BAD_REQUEST_ERRORS``, by default on for key errors
        in debug mode)."""
        cfg = self.config
        if cfg["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_400 = cfg["TRAP_BAD_REQUEST_ERRORS"]
        if trap_400 is None:
            return self.debug and isinstance(e, BadRequestKeyError)
        return bool(trap_400) and isinstance(e, BadRequest)

    def handle_exception(self, e: Exception) -> Response:
        """An error nothing handled: raised again when ``PROPAGATE_EXCEPTIONS`` (by default in
        testing and debug), else logged once with the request id and answered with a 500
        (through a 500 handler, if one is registered). Sends ``got_request_exception``."""
        if got_request_exception.receivers:
            got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
        setting = self.config["PROPAGATE_EXCEPTIONS"]
        if (self.testing or self.debug) if setting is None else setting:
            raise e
        self.log_exception(sys.exc_info())
        answer: Any = InternalServerError(original_exception=e)
        handler = self.error_handler_for(answer, self._current_scopes())
        if handler is not None:
            answer = self.ensure_sync(handler)(answer)
        return self.finalize_request(answer, from_error_handler=True)

    def log_exception(self, exc_info: Any) -> None:
        ctx = _cv_ctx.get(None)
        if ctx is None or ctx.environ is None:
            self.logger.error("Exception outside a request", exc_info=exc_info)
            return
        environ = ctx.environ
        where = f"{environ.get('PATH_INFO', '')} [{environ.get('REQUEST_METHOD')}]"
        rid = ctx.request.request_id if ctx.request is not None else None
        self.logger.error(f"Exception on {where}", exc_info=exc_info, extra={"request_id": rid})

    def make_error_response(self, e: HTTPException, *, as_json: bool | None = None) -> Response:
        """The default page of an HTTP error: JSON when the client prefers it, else HTML."""
        return error_response(self, e, as_json=as_json)

    def _request_ctx(self) -> RequestContext:
        # Called by the request flow's steps, inside the request context wsgi_app pushed.
        return _cv_ctx.get()  # type: ignore[return-value]

    def _current_scopes(self) -> tuple[str | None, ...]:
        ctx = _cv_ctx.get(None)
        return self.scopes_for(ctx.endpoint if ctx is not None else None)

    # -- contexts, the test client, the development server ---------------------------------------

    def app_context(self) -> AppContext:
        return AppContext(self)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        return RequestContext(self, environ)

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context for ``EnvironBuilder(*args, **kwargs)``, for tests and the shell."""
        return self.request_context(build_test_environ(self, *args, **kwargs))

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> FlaskClient:
        """The test client (``test_client_class``, see ``testing.py``) for this app."""
        return self.test_client_class(self, self.response_class, use_cookies=use_cookies, **kwargs)

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
        """The development server (werkzeug's ``run_simple``); never in production. See
        ``devserver.serve`` for the defaults (``SERVER_NAME`` gives host and port)."""
        if load_dotenv:
            load_dotenv_files()
        if debug is not None:
            self.debug = debug
        try:
            serve(self, host, port, allow_remote_debugger=allow_remote_debugger, **options)
        finally:
            # So the server can be started again from the same interactive session (and set-up
            # may change in between, so per-endpoint hook lists are worked out again).
            self._serving = False
            self._hooks_by_endpoint.clear()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _unpack_tuple(rv: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    """(body, status, headers) from a view's tuple; a dict/list/Headers second item is headers."""
    if len(rv) == 3:
        return rv[0], rv[1], rv[2]
    if len(rv) == 2:
        second = rv[1]
        if type(second) is int:  # the usual (body, status): decided without the class checks
            return rv[0], second, None
        if isinstance(second, Headers | dict | tuple | list):
            return rv[0], None, second
        return rv[0], second, None
    raise TypeError(
        "The view function did not return a valid response tuple. The tuple must have the form"
        " (body, status, headers), (body, status), or (body, headers)."
    )


__all__ = ["Flask"]
