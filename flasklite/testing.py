"""Testing helpers: ``app.test_client()`` returns a ``FlaskClient``, ``app.test_request_context``
builds its environ with ``EnvironBuilder``.

``FlaskClient`` adds to werkzeug's ``Client``: ``with client:`` keeps the context of the last
request readable (``request``, ``session``, ``g``) until the block ends; ``session_transaction()``
edits the session cookie the client holds; ``environ_base`` for every request; JSON bodies and
responses through ``app.json``.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import werkzeug.test
from werkzeug.http import parse_date
from werkzeug.wrappers import Request as BaseRequest

from .globals import _cv_ctx

if TYPE_CHECKING:
    from werkzeug.test import TestResponse

    from .ctx import AppContext
    from .sessions import SessionMixin


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """werkzeug's builder with the app's URL settings as defaults: the host is ``SERVER_NAME``
    (else ``localhost``, with an optional ``subdomain``), the script root ``APPLICATION_ROOT``
    and the scheme ``PREFERRED_URL_SCHEME``. A full URL as ``path`` sets them itself. JSON
    bodies are serialized with ``app.json``."""

    def __init__(
        self,
        app: Any,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError("Give either 'base_url' or 'subdomain'/'url_scheme', not both.")
        if base_url is None:
            config = app.config
            parts = urlsplit(path)
            host = parts.netloc or config["SERVER_NAME"] or "localhost"
            if subdomain:
                host = f"{subdomain}.{host}"
            scheme = parts.scheme or url_scheme or config["PREFERRED_URL_SCHEME"]
            root = (config["APPLICATION_ROOT"] or "/").lstrip("/")
            base_url = f"{scheme}://{host}/{root}"
            path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        self.app = app
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: Any, **kwargs: Any) -> str:
        return self.app.json.dumps(obj, **kwargs)  # type: ignore[no-any-return]


def build_test_environ(app: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The environ of ``app.test_request_context(*args, **kwargs)``: ``EnvironBuilder``'s."""
    made = EnvironBuilder(app, *args, **kwargs)
    try:
        return made.get_environ()
    finally:
        made.close()


def _werkzeug_version() -> str:
    try:
        return importlib.metadata.version("werkzeug")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _KeptContext:
    """The context of a finished request, made current again for a ``with client:`` block.
    Its teardown already ran when the request ended; leaving the block only un-sets it."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.token: Any = None

    def __enter__(self) -> None:
        self.token = _cv_ctx.set(self.ctx)

    def __exit__(self, *exc_info: object) -> None:
        _cv_ctx.reset(self.token)


class FlaskClient(werkzeug.test.Client):
    """The app's test client; see the module docstring. Responses are ``app.response_class``
    objects wrapped by werkzeug's ``TestResponse`` (``.history`` after ``follow_redirects``)."""

    application: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: True inside ``with client:``: the last request's context outlives the request.
        self.keeping_context = False
        self._kept: _KeptContext | None = None
        self._last_ctx: AppContext | None = None
        #: WSGI environ values for every request (a request's own ``environ_base`` wins).
        self.environ_base: dict[str, Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Werkzeug/{_werkzeug_version()}",
        }

    def _remember_context(self, ctx: AppContext) -> None:
        self._last_ctx = ctx

    def _with_environ_base(self, environ: dict[str, Any] | None) -> dict[str, Any]:
        merged = dict(self.environ_base)
        if environ:
            merged.update(environ)
        if self.keeping_context:
            # The app calls this with the request's context just before popping it.
            merged["werkzeug.debug.preserve_context"] = self._remember_context
        return merged

    def _build_request(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> BaseRequest:
        """The request to send, from ``open``'s arguments: an ``EnvironBuilder``, an environ
        dict, a request, or the arguments of ``EnvironBuilder``."""
        given = args[0] if args else None
        environ: dict[str, Any] | None = None
        match given:
            case werkzeug.test.EnvironBuilder():
                environ = dict(given.get_environ())
            case dict():
                environ = given
            case BaseRequest():
                environ = given.environ
        if environ is not None:
            return BaseRequest(self._with_environ_base(environ))
        kwargs["environ_base"] = self._with_environ_base(kwargs.get("environ_base"))
        made = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return made.get_request()
        finally:
            made.close()

    def open(
        self,
        *args: Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: Any,
    ) -> TestResponse:
        request = self._build_request(args, kwargs)
        self._release_kept_context()  # a new request: the previous one's context goes
        response = super().open(request, buffered=buffered, follow_redirects=follow_redirects)
        response.json_module = self.application.json  # response.get_json() uses app.json
        if self.keeping_context and self._last_ctx is not None:
            self._kept = _KeptContext(self._last_ctx)
            self._kept.__enter__()
        self._last_ctx = None
        return response

    def _release_kept_context(self) -> None:
        if self._kept is not None:
            kept, self._kept = self._kept, None
            kept.__exit__(None, None, None)

    def __enter__(self) -> FlaskClient:
        if self.keeping_context:
            raise RuntimeError("Cannot nest client invocations")
        self.keeping_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.keeping_context = False
        self._release_kept_context()

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[SessionMixin]:
        """Open the session the client's cookie holds, let the block change it, and store the
        result back in the client's cookie, without calling a view. Arguments are those of
        ``app.test_request_context`` (to choose the URL the cookie is looked up for)."""
        app = self.application
        interface = app.session_interface
        environ = build_test_environ(app, *args, **kwargs)
        host = environ.get("HTTP_HOST", "localhost").partition(":")[0]
        cookie_name = interface.get_cookie_name(app)
        cookie = self.get_cookie(  # raises TypeError when the client keeps no cookies
            cookie_name,
            domain=(interface.get_cookie_domain(app) or host).lstrip("."),
            path=interface.get_cookie_path(app),
        )
        if cookie is not None:
            environ["HTTP_COOKIE"] = f"{cookie_name}={cookie.value}"
        with app.request_context(environ) as ctx:
            session = interface.open_session(app, ctx.request)
            if session is None:
                raise RuntimeError("Session backend did not open a session.")
            yield session
            if interface.is_null_session(session):
                return
            response = app.response_class()
            interface.save_session(app, session, response)
        for header in response.headers.getlist("Set-Cookie"):
            self._store_set_cookie(header, host)

    def _store_set_cookie(self, header: str, host: str) -> None:
        """Put one ``Set-Cookie`` value into the client's cookies (set, or delete when it has
        already expired) through werkzeug's public cookie methods."""
        pair, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = pair.partition("=")
        attrs = {}
        for attribute in attributes:
            key, _, attr_value = attribute.partition("=")
            attrs[key.lower()] = attr_value
        domain = attrs.get("domain", "").lstrip(".")
        path = attrs.get("path") or "/"
        expires = parse_date(attrs["expires"]) if "expires" in attrs else None
        if attrs.get("max-age") == "0" or (expires is not None and expires <= datetime.now(UTC)):
            self.delete_cookie(name, domain=domain or host, path=path)
        else:
            self.set_cookie(name, value, domain=domain or host, origin_only=not domain, path=path)


__all__ = ["EnvironBuilder", "FlaskClient"]
