"""``Request`` and ``Response``: werkzeug's wrappers with Flask's additions and a cheap hot path."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import IO, TYPE_CHECKING, Any, Generic, TypeVar

from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.exceptions import BadRequest, ClientDisconnected, HTTPException, LengthRequired
from werkzeug.routing import Rule
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Request as _WerkzeugRequest
from werkzeug.wrappers import Response as _WerkzeugResponse
from werkzeug.wsgi import LimitedStream, _get_server, get_input_stream

from .globals import _cv_ctx

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

T = TypeVar("T")


class _lazy(Generic[T]):
    """Compute an attribute on first access and store it in the instance ``__dict__``.

    A non-data descriptor: after the first access the instance dict wins and the descriptor is
    not consulted again (cheaper than werkzeug's data-descriptor ``cached_property``, and without
    the lock ``functools.cached_property`` takes on Python 3.11).
    """

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__

    def __get__(self, obj: Any, owner: type[Any] | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        value = self.func(obj)
        # setattr rather than ``obj.__dict__[...]``: on Python 3.11+ reading ``__dict__`` turns
        # the object's compact inline attribute storage into a real dict, on every request.
        setattr(obj, self.name, value)
        return value


def _decode(wsgi_string: str) -> str:
    # PEP 3333 passes paths as latin-1 strings of the raw bytes; URLs are UTF-8 (as werkzeug).
    return wsgi_string.encode("latin1").decode(errors="replace")


# Bytes that make ``json.detect_encoding`` answer something other than UTF-8 when they start
# a body (the UTF-8/16/32 byte order marks; NUL bytes are checked separately).
_NOT_UTF8_START = (b"\x00", b"\xef", b"\xfe", b"\xff")
_json_decoder = json.JSONDecoder()  # what json.loads uses when given no options


class _BoundedJSON:
    """The ``json`` module for request bodies, where input nested too deeply to parse is bad
    JSON like any other: a ``ValueError`` (→ 400), not a ``RecursionError`` that would escape
    ``get_json`` and become a 500 for a few kilobytes of ``[[[[``."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(data: str | bytes, **kwargs: Any) -> Any:
        try:
            if (
                not kwargs
                and type(data) is bytes
                and data[:1] not in _NOT_UTF8_START
                and b"\x00" not in data[:4]
            ):
                # Exactly json.loads(bytes) when its (pure-Python, per-call) detect_encoding
                # would say UTF-8: no BOM, no NUL in the first four bytes.
                return _json_decoder.decode(data.decode("utf-8", "surrogatepass"))
            return json.loads(data, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class Request(_WerkzeugRequest):
    """The request object (``request``). Adds, as Flask does: ``url_rule``, ``view_args``,
    ``routing_exception``, ``endpoint``, and the body limits from the app config. Ours also has
    ``request_id``.

    werkzeug's ``__init__`` eagerly computes method, path, headers, … for every request. Here
    ``__init__`` only stores the environ and each of those fields is computed on first use, with
    exactly werkzeug's expressions — a request that never reads its headers never builds them.
    """

    url_rule: Rule | None = None
    view_args: dict[str, Any] | None = None
    routing_exception: HTTPException | None = None
    json_module = _BoundedJSON  # type: ignore[assignment]  # duck-types the json module
    _max_content_length: int | None = None
    # Set once form parsing has run, so the request context knows whether uploaded files may
    # need closing without looking into ``__dict__`` (which costs a dict on every request).
    _form_loaded = False

    def __init__(
        self, environ: WSGIEnvironment, populate_request: bool = True, shallow: bool = False
    ) -> None:
        self.environ = environ
        self.shallow = shallow
        if populate_request and not shallow:
            environ["werkzeug.request"] = self

    def _load_form_data(self) -> None:
        self._form_loaded = True
        super()._load_form_data()

    if not TYPE_CHECKING:  # the type checker sees werkzeug's attribute types

        @_lazy
        def method(self) -> str:
            return self.environ.get("REQUEST_METHOD", "GET").upper()

        @_lazy
        def scheme(self) -> str:
            return self.environ.get("wsgi.url_scheme", "http")

        @_lazy
        def server(self) -> tuple[str, int | None] | None:
            return _get_server(self.environ)

        @_lazy
        def root_path(self) -> str:
            return _decode(self.environ.get("SCRIPT_NAME") or "").rstrip("/")

        @_lazy
        def path(self) -> str:
            return "/" + _decode(self.environ.get("PATH_INFO") or "").lstrip("/")

        @_lazy
        def query_string(self) -> bytes:
            return self.environ.get("QUERY_STRING", "").encode("latin1")

        @_lazy
        def headers(self) -> EnvironHeaders:
            return EnvironHeaders(self.environ)

        @_lazy
        def remote_addr(self) -> str | None:
            return self.environ.get("REMOTE_ADDR")

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON (``application/json`` or ``application/*+json``)."""
        # The exact common value needs no header parsing; anything else (parameters, +json,
        # odd casing) goes through werkzeug's parser.
        if self.environ.get("CONTENT_TYPE") == "application/json":
            return True
        return super().is_json

    if not TYPE_CHECKING:

        @_lazy
        def stream(self) -> IO[bytes]:
            # werkzeug's stream (Content-Length / MAX_CONTENT_LENGTH limits), made to answer
            # 400 when the server fails to read what the client sent.
            if self.shallow:
                raise RuntimeError(
                    "This request was created with 'shallow=True', reading from the input"
                    " stream is disabled."
                )
            environ = self.environ
            if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get(
                "wsgi.input_terminated"
            ):
                # A chunked body the server did not de-chunk (wsgiref) has no CONTENT_LENGTH
                # and no wsgi.input_terminated; werkzeug would hand out an empty stream and the
                # upload would be silently lost. gunicorn, werkzeug's server and nginx de-chunk.
                raise LengthRequired(
                    "This server cannot read a chunked request body; send Content-Length."
                )
            limited = get_input_stream(environ, max_content_length=self.max_content_length)
            consumed = self.__dict__.get("_body_consumed")
            if consumed is not None and isinstance(limited, LimitedStream):
                limited._pos = consumed  # get_data's fast path already read this much
            return _ClientBody(limited)

        def get_data(
            self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
        ) -> bytes | str:
            # werkzeug's get_data; a body with a plain Content-Length is read by ``_read_body``
            # instead of through the stream layers (LimitedStream under RawIOBase under
            # _ClientBody cost more than parsing a small JSON body).
            d = self.__dict__
            if (
                d.get("_cached_data") is None
                and not parse_form_data
                and "stream" not in d
                and "_body_consumed" not in d  # read once already: the stream knows the rest
            ):
                rv = self._read_body()
                if rv is not None:
                    if cache:
                        self._cached_data = rv
                    return rv.decode(errors="replace") if as_text else rv
            return super().get_data(cache, as_text, parse_form_data)

    def _read_body(self) -> bytes | None:
        """The body, read as werkzeug's ``LimitedStream`` reads it (chunks of at most 64 KiB up
        to Content-Length; an error or an early end is ``ClientDisconnected``), or ``None``
        when the request is not the simple case (no plain-digit Content-Length, chunked,
        ``wsgi.input_terminated``, over ``max_content_length``, shallow): then the stream is
        used, with all its checks."""
        environ = self.environ
        length = environ.get("CONTENT_LENGTH")
        if (
            type(length) is not str
            or not (length.isascii() and length.isdigit())
            or self.shallow
            or "HTTP_TRANSFER_ENCODING" in environ
            or "wsgi.input_terminated" in environ
        ):
            return None
        remaining = int(length)
        limit = self.max_content_length
        if limit is not None and remaining > limit:
            return None  # the stream raises the 413
        stream = environ["wsgi.input"]
        chunks: list[bytes] = []
        consumed = 0
        try:
            while remaining > 0:
                try:
                    chunk = stream.read(min(remaining, 65536))
                except Exception:  # any server's complaint about the body: see _ClientBody
                    raise ClientDisconnected()  # noqa: B904 - as LimitedStream.on_disconnect
                if not chunk:
                    raise ClientDisconnected()
                chunks.append(chunk)
                consumed += len(chunk)
                remaining -= len(chunk)
        finally:
            # A later ``request.stream`` starts where this read stopped, as werkzeug's would.
            self.__dict__["_body_consumed"] = consumed
        if len(chunks) == 1 and type(chunks[0]) is bytes:
            return chunks[0]
        return b"".join(chunks)  # always bytes, as werkzeug's readall returns

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule (``None`` when matching failed)."""
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def request_id(self) -> str:
        """The id ``RequestIdMiddleware`` put in ``environ["REQUEST_ID"]``; without the
        middleware, one is generated on first use so log lines still correlate."""
        rid: str | None = self.environ.get("REQUEST_ID")
        if rid is None:
            rid = self.environ["REQUEST_ID"] = uuid.uuid4().hex
        return rid

    def _config(self, key: str) -> Any:
        ctx = _cv_ctx.get(None)
        return None if ctx is None else ctx.app.config[key]

    @property
    def max_content_length(self) -> int | None:
        """``MAX_CONTENT_LENGTH`` from the app config: a longer body is refused with 413 when
        the view reads it (``get_data``, ``form``, ``get_json``)."""
        if self._max_content_length is not None:
            return self._max_content_length
        value: int | None = self._config("MAX_CONTENT_LENGTH")
        return value

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:  # type: ignore[override]
        """``MAX_FORM_MEMORY_SIZE`` (werkzeug's default outside an app context)."""
        if _cv_ctx.get(None) is None:
            return 500_000
        value: int | None = self._config("MAX_FORM_MEMORY_SIZE")
        return value

    @property
    def max_form_parts(self) -> int | None:  # type: ignore[override]
        """``MAX_FORM_PARTS`` (werkzeug's default outside an app context)."""
        if _cv_ctx.get(None) is None:
            return 1000
        value: int | None = self._config("MAX_FORM_PARTS")
        return value


class _ClientBody(io.RawIOBase):
    """The request body stream, where a read that fails because of what the client sent (a
    broken chunked encoding, a connection cut mid-body) is a 400, not a 500.

    Servers report those with exception classes of their own (gunicorn: ``NoMoreData``, an
    OSError, and ``InvalidChunkSize``/``ChunkMissingTerminator``, plain Exceptions), which a
    framework cannot import without depending on one server. Reading ``wsgi.input`` has no
    failure that is the app's fault, so any exception but werkzeug's own HTTP errors (413,
    ``ClientDisconnected``) becomes the 400."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def _failed(self, error: Exception) -> BadRequest:
        return BadRequest(f"The request body could not be read ({type(error).__name__}).")

    def read(self, size: int | None = -1) -> bytes:
        try:
            return self._raw.read(-1 if size is None else size)
        except HTTPException:
            raise
        except Exception as e:
            raise self._failed(e) from e

    def readline(self, size: int | None = -1) -> bytes:
        try:
            return self._raw.readline(-1 if size is None else size)
        except HTTPException:
            raise
        except Exception as e:
            raise self._failed(e) from e

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


_WERKZEUG_STATUS = _WerkzeugResponse.status
_WERKZEUG_CLEAN = _WerkzeugResponse._clean_status
_STATUS_LINES: dict[int, tuple[str, int]] = {}  # code → werkzeug's (status line, code)

# Response headers werkzeug's ``get_wsgi_headers`` rewrites; their presence disables the fast path.
_REWRITTEN_HEADERS = frozenset(("location", "content-location", "content-length"))
# content type → its ("Content-Type", value) header: header tuples are immutable, so one per
# content type serves every response. And the same for a mimetype given to the constructor.
_CONTENT_TYPE_HEADERS: dict[str, tuple[str, str]] = {}
_MIMETYPE_HEADERS: dict[str, tuple[str, str]] = {}
_plain_classes: dict[type[Any], bool] = {}
K = TypeVar("K")


def _remember(cache: dict[K, T], key: K, value: T, limit: int) -> T:
    """Store ``value`` in ``cache`` unless it already holds ``limit`` entries (the keys come from
    what views pass, so the cache must not grow without bound), and return it."""
    if len(cache) < limit:
        cache[key] = value
    return value


def _plain_constructor(cls: type[Any]) -> bool:
    """Whether ``Response.__init__``'s shortcut builds what werkzeug's constructor would for
    this class: it stores bodies, lengths, the default status and status lines the usual way."""
    verdict = _plain_classes.get(cls)
    if verdict is None:
        verdict = _plain_classes[cls] = (
            cls.set_data is _WerkzeugResponse.set_data
            and cls.automatically_set_content_length is True
            and cls.default_status == 200
            and cls.status is _WERKZEUG_STATUS
            and cls._clean_status is _WERKZEUG_CLEAN
        )
    return verdict


class _PlainHeaders:
    """``Response.headers`` for a response built by ``_from_bytes``: the ``Headers`` object is
    made on first use, from the two headers such a response starts with. A request whose view
    returns a string and whose hooks never touch the headers never builds it.

    A non-data descriptor: werkzeug's ``__init__`` (and anyone assigning ``response.headers``)
    stores a ``Headers`` in the instance ``__dict__``, which then wins over this descriptor, so
    responses built the usual way are not affected at all.
    """

    def __get__(self, response: Any, owner: type[Any] | None = None) -> Any:
        if response is None:
            return self
        headers = Headers.__new__(Headers)  # __init__ would only set the list we set below
        # Our own values, already valid: set the list werkzeug keeps rather than re-validating
        # each one through ``Headers.__init__``.
        headers._list = [response._plain_content_type, response._plain_content_length]
        response.__dict__["headers"] = headers
        return headers


class Response(_WerkzeugResponse):
    """The response object. Default mimetype ``text/html`` (as Flask).

    Two hot-path shortcuts, both producing exactly what werkzeug would (the tests compare them):
    ``_from_bytes`` builds the common "200 + body + content type" response without werkzeug's
    generic argument handling and header validation (and without a ``Headers`` object until one
    is asked for), and ``__call__`` starts a plain buffered response without copying and
    re-scanning the headers. Anything unusual (HEAD, 1xx/204/304, a streamed body, a Location
    header, close callbacks) takes werkzeug's full path.
    """

    default_mimetype: str | None = "text/html"
    if not TYPE_CHECKING:  # the type checker sees werkzeug's ``headers: Headers``
        headers = _PlainHeaders()
    # Instance attributes werkzeug's __init__ always sets; these class-level values are only seen
    # by responses built by ``_from_bytes``, which skips them. ``call_on_close`` replaces the
    # empty tuple with a list before appending.
    direct_passthrough = False
    _on_close: Any = ()
    _plain_content_type: tuple[str, str]
    _plain_content_length: tuple[str, str]

    def __init__(
        self,
        response: Any = None,
        status: int | str | HTTPStatus | None = None,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        # ``Response("text", mimetype=...)`` in a view: what werkzeug's constructor would set,
        # as ``_from_bytes`` sets it. Anything else (headers, a content type, an iterable body,
        # a subclass that changes how bodies or statuses are stored) takes werkzeug's way.
        body_type = type(response)
        if (
            (body_type is str or body_type is bytes)
            and headers is None
            and content_type is None
            and not direct_passthrough
            and (status is None or type(status) is int)
            and (_plain_classes.get(type(self)) or _plain_constructor(type(self)))
        ):
            if mimetype is None:
                mimetype = self.default_mimetype
            if mimetype is not None:
                header = _MIMETYPE_HEADERS.get(mimetype)
                if header is None:
                    header = ("Content-Type", get_content_type(mimetype, "utf-8"))
                    _remember(_MIMETYPE_HEADERS, mimetype, header, 100)
                body = response.encode() if body_type is str else response
                self._plain_content_type = header
                self._plain_content_length = ("Content-Length", str(len(body)))
                self.response = [body]
                code = 200 if status is None else status
                line = _STATUS_LINES.get(code)  # _set_status_int's cache, without the call
                if line is None:
                    self._set_status_int(code)
                else:
                    self._status, self._status_code = line
                return
        super().__init__(response, status, headers, mimetype, content_type, direct_passthrough)

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        if type(self._on_close) is not list:
            self._on_close = []
        self._on_close.append(func)
        return func

    def _set_status_int(self, code: int) -> Response:
        """``self.status = code`` for an int, returning the response: the status line of a code
        never changes, so it is computed once (werkzeug formats it on every assignment)."""
        cls = type(self)
        if cls.status is not _WERKZEUG_STATUS or cls._clean_status is not _WERKZEUG_CLEAN:
            self.status = code  # a subclass customises statuses: let it
            return self
        line = _STATUS_LINES.get(code)
        if line is None:
            line = _remember(_STATUS_LINES, code, self._clean_status(code), 1000)
        self._status, self._status_code = line
        return self

    @classmethod
    def _from_bytes(cls, body: bytes, content_type: str) -> Response:
        self = cls.__new__(cls)
        header = _CONTENT_TYPE_HEADERS.get(content_type)
        if header is None:
            header = _remember(
                _CONTENT_TYPE_HEADERS, content_type, ("Content-Type", content_type), 100
            )
        self._plain_content_type = header
        self._plain_content_length = ("Content-Length", str(len(body)))
        self._status = "200 OK"
        self._status_code = 200
        self.response = [body]
        return self

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        headers = super().get_wsgi_headers(environ)
        # A 204 (or 1xx) has no content, so no content type either (PEP 3333's validator
        # rejects one; werkzeug only drops Content-Length). 304 is already handled by werkzeug.
        if self.status_code == 204 or 100 <= self.status_code < 200:
            headers.remove("Content-Type")
        return headers

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Any:  # an iterable of bytes
        body = self.response
        status = self._status_code
        if (
            type(body) is list
            and len(body) == 1
            and type(body[0]) is bytes
            and not self._on_close
            and status >= 200
            and status != 204
            and status != 304
            and environ["REQUEST_METHOD"] != "HEAD"
        ):
            if "headers" not in self.__dict__:  # built by _from_bytes, headers never touched
                start_response(self._status, [self._plain_content_type, self._plain_content_length])
                return body
            headers: list[tuple[str, str]] = list(self.headers._list)
            has_length = False
            for key, _value in headers:
                lowered = key.lower()
                if lowered in _REWRITTEN_HEADERS:
                    if lowered != "content-length":
                        break
                    has_length = True
            else:
                if has_length or not self.automatically_set_content_length:
                    start_response(self._status, headers)
                    return body
        return super().__call__(environ, start_response)
