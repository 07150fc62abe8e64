"""``Request`` and ``Response``: werkzeug's wrappers, extended through their public hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import IO, TYPE_CHECKING, Any

from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest, ClientDisconnected, HTTPException, LengthRequired
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse
from werkzeug.wsgi import get_input_stream

from . import json as flasklite_json
from .globals import _cv_ctx
from .helpers import new_request_id

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.routing import Rule


class BoundedJSON:
    """The ``json`` module as request bodies use it, through the app's provider (``app.json``;
    the stdlib outside an app), where input nested too deeply for the parser is bad JSON like
    any other (a ``ValueError``, so a 400) rather than a ``RecursionError`` that would make a
    few kilobytes of ``[[[[`` a 500."""

    dumps = staticmethod(flasklite_json.dumps)

    @staticmethod
    def loads(data: str | bytes, **kwargs: Any) -> Any:
        ctx = _cv_ctx.get(None)
        try:
            if ctx is None:
                return flasklite_json.loads(data, **kwargs)
            if kwargs:
                return ctx.app.json.loads(data, **kwargs)
            return ctx.app.json.loads(data)  # get_json passes none: no dict to build
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _app_setting(key: str, outside: Any) -> Any:
    ctx = _cv_ctx.get(None)
    return outside if ctx is None else ctx.app.config[key]


class Request(WerkzeugRequest):
    """The request object (``request``). Adds, as Flask does: ``url_rule``, ``view_args``,
    ``routing_exception``, ``endpoint``, ``blueprint(s)`` and the body limits from the app
    config; ours also has ``request_id``."""

    url_rule: Rule | None = None
    view_args: dict[str, Any] | None = None
    routing_exception: HTTPException | None = None
    json_module = BoundedJSON  # type: ignore[assignment]  # duck-types the json module
    #: Set to override ``MAX_CONTENT_LENGTH`` for this request.
    body_limit: int | None = None
    #: True until werkzeug's constructor has run (see ``__init__``).
    construction_deferred = False

    def __init__(
        self, environ: WSGIEnvironment, populate_request: bool = True, shallow: bool = False
    ) -> None:
        # werkzeug's constructor decodes the path, the server address and the query string;
        # a view that only reads the body (``get_json``) or the environ needs none of it, so it
        # runs when an attribute it sets is first read (``__getattr__``).
        self.environ = environ
        self.shallow = shallow
        self.construction_deferred = True
        self.populates_environ = populate_request
        if populate_request and not shallow:
            environ["werkzeug.request"] = self

    def finish_construction(self) -> None:
        """Run werkzeug's deferred constructor; attributes set on the request since are kept,
        as if the constructor had run first."""
        if not self.construction_deferred:
            return
        self.construction_deferred = False
        kept = dict(vars(self))
        WerkzeugRequest.__init__(self, self.environ, self.populates_environ, self.shallow)
        vars(self).update(kept)

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule (``None`` when matching failed)."""
        return None if self.url_rule is None else self.url_rule.endpoint

    @property
    def blueprints(self) -> list[str]:
        """The blueprints of the endpoint, innermost first (``"a.b.view"`` → ``["a.b", "a"]``);
        empty for the app's own endpoints."""
        name = self.endpoint
        if name is None or "." not in name:
            return []
        parts = name.split(".")[:-1]
        return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]

    @property
    def blueprint(self) -> str | None:
        """The innermost blueprint of the endpoint, if any."""
        found = self.blueprints
        return found[0] if found else None

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON (``application/json`` or ``application/*+json``); the exact
        common value is recognised without parsing the header."""
        if self.environ.get("CONTENT_TYPE") == "application/json":
            return True
        return super().is_json

    @property
    def request_id(self) -> str:
        """The id the middleware put in ``environ["REQUEST_ID"]``; made on first use without
        it (same generator), so log lines still correlate."""
        rid: str | None = self.environ.get("REQUEST_ID")
        if rid is None:
            rid = self.environ["REQUEST_ID"] = new_request_id()
        return rid

    @property
    def max_content_length(self) -> int | None:
        """``MAX_CONTENT_LENGTH`` of the app: a longer body is refused with 413 when read."""
        if self.body_limit is not None:
            return self.body_limit
        limit: int | None = _app_setting("MAX_CONTENT_LENGTH", None)
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self.body_limit = value

    @property
    def max_form_memory_size(self) -> int | None:  # type: ignore[override]
        limit: int | None = _app_setting("MAX_FORM_MEMORY_SIZE", 500_000)
        return limit

    @property
    def max_form_parts(self) -> int | None:  # type: ignore[override]
        limit: int | None = _app_setting("MAX_FORM_PARTS", 1000)
        return limit

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Bad JSON is a 400 whose message names the parser's complaint only in debug mode
        (it quotes the client's input back); a wrong content type stays werkzeug's 415."""
        try:
            return super().on_json_loading_failed(e)
        except BadRequest:
            if _app_setting("DEBUG", False):
                raise
            raise BadRequest("The request body is not valid JSON.") from None

    #: The body stream once ``stream`` opened it (or something assigned one).
    opened_stream: IO[bytes] | None = None

    # A plain property over ``open_stream`` where werkzeug has a cached_property: the same
    # caching, assignment and deletion, without a Python-level descriptor on every body read.
    @property
    def stream(self) -> IO[bytes]:
        """werkzeug's input stream (with the Content-Length and size limits), where a read the
        server fails because of what the client sent becomes a 400. Opened on first use."""
        opened = self.opened_stream
        if opened is None:
            opened = self.opened_stream = self.open_stream()
        return opened

    @stream.setter
    def stream(self, value: IO[bytes]) -> None:
        self.opened_stream = value

    @stream.deleter
    def stream(self) -> None:
        self.opened_stream = None

    def open_stream(self) -> IO[bytes]:
        """The body stream ``stream`` hands out (see there)."""
        if self.shallow:
            raise RuntimeError(
                "This request was created with 'shallow=True', reading from the input stream is"
                " disabled."
            )
        environ = self.environ
        if not environ.get("wsgi.input_terminated"):
            coding = environ.get("HTTP_TRANSFER_ENCODING")
            if coding and "chunked" in coding.lower():
                # A server that leaves chunked bodies encoded (wsgiref) gives no length and no
                # end marker: werkzeug would read nothing and the upload would vanish silently.
                raise LengthRequired(
                    "This server cannot read a chunked request body; send Content-Length."
                )
            text: Any = environ.get("CONTENT_LENGTH")
            if type(text) is str and text.isdigit() and text.isascii():
                # The plain case, read directly (see BoundedBody); anything else, and the 413,
                # is get_input_stream's.
                length = int(text)
                limit = self.max_content_length
                if limit is None or length <= limit:
                    return BoundedBody(environ["wsgi.input"], length)  # type: ignore[return-value]
        limited = get_input_stream(environ, max_content_length=self.max_content_length)
        return ClientBody(limited)  # type: ignore[return-value]  # a binary stream


class SetOnConstruction:
    """A class attribute standing in for one that werkzeug's ``Request`` constructor sets on the
    instance: the first read runs that deferred constructor, whose assignment then shadows this
    (a descriptor without ``__set__``), so later reads are plain instance look-ups.

    Rather than a ``__getattr__``: with one, every miss costs two exceptions, and werkzeug
    probes for its optional attributes (``getattr(self, name, None)``) on every body read."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, request: Request | None, owner: type[Any] | None = None) -> Any:
        if request is None:
            return self
        request.finish_construction()
        try:
            return vars(request)[self.name]
        except KeyError:
            raise AttributeError(self.name) from None


#: The attributes werkzeug's ``Request`` constructor sets (beyond ``environ`` and ``shallow``),
#: found by running it once.
_SET_BY_REQUEST_CONSTRUCTOR = frozenset(vars(WerkzeugRequest({}))) - {"environ", "shallow"}
if not TYPE_CHECKING:  # for mypy, attributes stay werkzeug's as declared
    for attribute_name in _SET_BY_REQUEST_CONSTRUCTOR:
        setattr(Request, attribute_name, SetOnConstruction(attribute_name))
    del attribute_name


class ClientBody:
    """The body stream, where a failure of the client's making (a broken chunked encoding, a
    connection cut mid-body) is a 400 and not a 500.

    Servers raise their own classes for those (gunicorn: ``NoMoreData``, ``InvalidChunkSize``),
    which a framework cannot import without tying itself to one server. Reading ``wsgi.input``
    cannot fail through the app's fault, so anything but werkzeug's HTTP errors becomes 400.

    A plain wrapper rather than an ``io`` class: those run a finaliser (``close``) when freed,
    which cost as much as reading a small body. Anything but reading goes to the wrapped stream.
    """

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._guarded(self.source.read, size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._guarded(self.source.readline, size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines: list[bytes] = []
        total = 0
        for line in self:
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)

    @staticmethod
    def _guarded(reader: Any, size: int | None) -> bytes:
        try:
            data: bytes = reader(-1 if size is None else size)
        except HTTPException:
            raise
        except Exception as failure:
            message = f"The request body could not be read ({type(failure).__name__})."
            raise BadRequest(message) from failure
        return data


class BoundedBody(ClientBody):
    """A body of known length (``Content-Length``), read straight from ``wsgi.input``: never
    past that length, and a body that ends early is ``ClientDisconnected`` (400), as werkzeug's
    ``LimitedStream`` behaves. Built for the plain case only (a digit Content-Length within
    ``MAX_CONTENT_LENGTH``, no ``wsgi.input_terminated``); werkzeug's stream does the rest.
    Cheaper than ``LimitedStream`` under ``ClientBody``: no ``io`` object with a finaliser, and
    one Python call per read instead of four."""

    def __init__(self, source: IO[bytes], length: int) -> None:
        self.source = source
        self.limit = length
        self.position = 0

    @property
    def is_exhausted(self) -> bool:
        return self.position >= self.limit

    def read(self, size: int | None = -1) -> bytes:
        remaining = self.limit - self.position
        if remaining <= 0 or size == 0:
            return b""
        if size is not None and size > 0:
            return self._take(self.source.read, min(size, remaining))
        if remaining <= 65536:  # the usual whole body in one read: no list to join
            first = self._take(self.source.read, remaining)
            if self.position >= self.limit:
                return first
            chunks = [first]
        else:
            chunks = []
        while self.position < self.limit:
            chunks.append(self._take(self.source.read, min(self.limit - self.position, 65536)))
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def readline(self, size: int | None = -1) -> bytes:
        remaining = self.limit - self.position
        if remaining <= 0 or size == 0:
            return b""
        wanted = remaining if size is None or size < 0 else min(size, remaining)
        return self._take(self.source.readline, wanted)

    def _take(self, reader: Any, size: int) -> bytes:
        try:
            data: bytes = reader(size)
        except (OSError, ValueError) as failure:
            raise ClientDisconnected() from failure  # as LimitedStream says it
        except HTTPException:
            raise
        except Exception as failure:
            message = f"The request body could not be read ({type(failure).__name__})."
            raise BadRequest(message) from failure
        if not data:
            raise ClientDisconnected()  # the body ended before its Content-Length
        self.position += len(data)
        return data

    def close(self) -> None:
        """Nothing to release: the server owns ``wsgi.input``."""

    def __getattr__(self, name: str) -> Any:
        # Not the raw input's other methods: they would read past the limit.
        raise AttributeError(name)


# mimetype → full Content-Type value (with the charset for text types). Bounded: the keys come
# from what views pass.
_CONTENT_TYPES: dict[str, str] = {}
_CACHE_LIMIT = 512


def content_type_of(mimetype: str) -> str:
    """The Content-Type for a mimetype (``; charset=utf-8`` added to text types), cached."""
    known = _CONTENT_TYPES.get(mimetype)
    if known is None:
        known = get_content_type(mimetype, "utf-8")
        if len(_CONTENT_TYPES) < _CACHE_LIMIT:
            _CONTENT_TYPES[mimetype] = known
    return known


# (type, value) → (status line, code), as werkzeug's ``status`` setter makes them. Keyed by type
# too, so that values equal to a cached one (``200.0``, ``True``) are still judged by werkzeug.
_STATUSES: dict[tuple[type[Any], Any], tuple[str, int]] = {}


def status_of(value: str | int | HTTPStatus) -> tuple[str, int]:
    """The status line and code werkzeug's ``status`` setter makes of ``value`` (it raises what
    that setter raises), computed once per value."""
    key = (type(value), value)
    try:
        known = _STATUSES.get(key)
    except TypeError:  # unhashable: not a status; werkzeug says why
        known = None
    if known is None:
        probe = WerkzeugResponse()
        probe.status = value
        known = (probe.status, probe.status_code)
        if len(_STATUSES) < _CACHE_LIMIT:
            _STATUSES[key] = known
    return known


# Response headers that werkzeug's get_wsgi_headers may rewrite: a response carrying one of them
# is sent through werkzeug's own path.
_REWRITTEN = frozenset(("location", "content-location"))
# ``add_header`` never keeps these aside: the deferred construction sets the first two, and the
# others would have to go through werkzeug's rewriting.
_NOT_KEPT_ASIDE = _REWRITTEN | {"content-type", "content-length"}


class Response(WerkzeugResponse):
    """The response object; its default mimetype is ``text/html``, as in Flask.

    Built and sent through werkzeug's public methods, with savings for the plain buffered
    response most views make (a str/bytes body, no headers passed):

    - its werkzeug construction (a ``Headers`` object, Content-Type and Content-Length) is
      deferred until something reads an attribute only that construction sets (``headers``,
      ``mimetype``, ``call_on_close``...); ``response``, ``status`` and ``direct_passthrough``
      are set at once, as werkzeug would set them;
    - such a response, never looked at, is started with its two headers as a plain list, which
      is what ``get_wsgi_headers``/``get_app_iter`` would produce for it; so is any plain
      buffered response whose headers werkzeug would not rewrite.
    """

    default_mimetype: str | None = "text/html"
    #: False only for a response built by ``__init__`` below with no ``call_on_close`` since:
    #: one whose class was swapped in by ``force_type`` may carry werkzeug's callbacks.
    has_close_callbacks = True
    #: (Content-Type, Content-Length) while werkzeug's construction is deferred, else None.
    deferred: tuple[str, str] | None = None
    #: Headers ``add_header`` kept aside while the construction is deferred, in order.
    pending_headers: tuple[tuple[str, str], ...] = ()

    def __init__(
        self,
        response: Any = None,
        status: int | str | HTTPStatus | None = None,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        if content_type is None and headers is None:
            chosen = self.default_mimetype if mimetype is None else mimetype
            if chosen is not None:
                content_type = _CONTENT_TYPES.get(chosen) or content_type_of(chosen)
        kind = type(response)
        cls = type(self)
        plain = _plain_storers.get(cls)
        if plain is None:
            plain = _stores_bodies_plainly(cls)
        if (kind is str or kind is bytes) and plain:
            data = response.encode() if kind is str else response
            if headers is None and content_type is not None and not direct_passthrough:
                # What werkzeug's constructor and set_data would leave, minus the headers; the
                # status as the ``status`` setter stores it (the class keeps that setter).
                self.response = [data]
                self.direct_passthrough = False
                value = self.default_status if status is None else status
                known = _STATUSES.get((type(value), value))
                self.status_line, self.status_number = known or status_of(value)
                self.deferred = (content_type, str(len(data)))
                self.has_close_callbacks = False
                return
            # What set_data does: the body as one bytes chunk, and its Content-Length.
            super().__init__(None, status, headers, mimetype, content_type, direct_passthrough)
            self.response = [data]
            if headers is None:  # fresh headers: nothing to replace
                self.headers.add("Content-Length", str(len(data)))
            else:
                self.headers["Content-Length"] = str(len(data))
        else:
            super().__init__(response, status, headers, mimetype, content_type, direct_passthrough)
        self.has_close_callbacks = False

    if not TYPE_CHECKING:  # for mypy, attributes stay werkzeug's as declared

        def __getattr__(self, name: str) -> Any:
            # Only reached for a name the object does not have: if werkzeug's constructor sets
            # it and that was deferred, run the constructor now.
            if name in ("status_line", "status_number"):
                # A response werkzeug built, given this class by ``force_type``: its status is
                # where werkzeug's own property keeps it.
                self.status = WerkzeugResponse.status.fget(self)
                return getattr(self, name)
            if self.deferred is None or name not in _SET_BY_RESPONSE_CONSTRUCTOR:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            self.finish_construction()
            return getattr(self, name)

    def finish_construction(self) -> None:
        """Run werkzeug's deferred constructor; what was set on the response since (its body,
        status, any attribute, headers ``add_header`` kept aside) is kept, as if the
        constructor had run first."""
        deferred = self.deferred
        if deferred is None:
            return
        content_type, length = deferred
        self.deferred = None
        kept = dict(vars(self))
        WerkzeugResponse.__init__(self, None, self.status, None, None, content_type)
        vars(self).update(kept)
        self.headers.add("Content-Length", length)
        for name, value in self.pending_headers:
            self.headers.add(name, value)
        self.pending_headers = ()

    def add_header(self, name: str, value: str) -> None:
        """``headers.add(name, value)``; while werkzeug's construction is deferred, the pair is
        kept aside instead of building a ``Headers`` object for it, and sent after Content-Type
        and Content-Length (a session's ``Set-Cookie`` and ``Vary`` on a plain response).
        Values with a line break, and headers that construction sets or werkzeug rewrites,
        always go to ``headers.add``, which refuses or handles them as werkzeug does."""
        if (
            self.deferred is None
            or type(value) is not str
            or "\n" in value
            or "\r" in value
            or name.lower() in _NOT_KEPT_ASIDE
        ):
            self.headers.add(name, value)
        else:
            self.pending_headers = (*self.pending_headers, (name, value))

    @property
    def status(self) -> str:
        """The status line (``"200 OK"``); set it from a code, an ``HTTPStatus`` or a line."""
        return self.status_line

    @status.setter
    def status(self, value: str | int | HTTPStatus) -> None:
        self.status_line, self.status_number = status_of(value)

    @property
    def status_code(self) -> int:
        return self.status_number

    @status_code.setter
    def status_code(self, code: int) -> None:
        self.status = code

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        self.has_close_callbacks = True
        return super().call_on_close(func)

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        headers = super().get_wsgi_headers(environ)
        # 204 and 1xx carry no content, so no content type either (PEP 3333's validator refuses
        # one; werkzeug drops only Content-Length). werkzeug already handles 304.
        if self.status_code == 204 or 100 <= self.status_code < 200:
            headers.remove("Content-Type")
        return headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = self.response
        cls = type(self)
        as_is = _plain_senders.get(cls)
        if as_is is None:
            as_is = _sends_as_is(cls)
        if (
            as_is  # then the status is where this class's setter keeps it
            and type(body) is list
            and len(body) == 1
            and type(body[0]) is bytes
            and not self.has_close_callbacks
            and not self.direct_passthrough
            and 200 <= self.status_number != 204
            and self.status_number != 304
            and environ.get("REQUEST_METHOD") != "HEAD"
        ):
            deferred = self.deferred
            if deferred is not None:
                start_response(
                    self.status_line,
                    [
                        ("Content-Type", deferred[0]),
                        ("Content-Length", deferred[1]),
                        *self.pending_headers,
                    ],
                )
                return body
            pairs = self.headers.to_wsgi_list()
            names = {name.lower() for name, _ in pairs}
            if "content-length" in names and not names & _REWRITTEN:
                start_response(self.status, pairs)
                return body
        return super().__call__(environ, start_response)


#: The attributes werkzeug's ``Response`` constructor sets, found by running it once.
_SET_BY_RESPONSE_CONSTRUCTOR = frozenset(vars(WerkzeugResponse()))


_plain_senders: dict[type[Any], bool] = {}
_plain_storers: dict[type[Any], bool] = {}


def _stores_bodies_plainly(cls: type[Response]) -> bool:
    """Whether ``cls`` keeps werkzeug's ``set_data`` and automatic Content-Length, and this
    class's ``status`` (the constructor's shortcut stores what its setter would)."""
    verdict = _plain_storers.get(cls)
    if verdict is None:
        same = cls.set_data is WerkzeugResponse.set_data and cls.status is Response.status
        verdict = _plain_storers[cls] = same and cls.automatically_set_content_length is True
    return verdict


def _sends_as_is(cls: type[Response]) -> bool:
    """Whether ``cls`` sends responses the way ``Response.__call__``'s shortcut assumes: a
    subclass that changes how headers, bodies or the WSGI answer are made is left to them."""
    verdict = _plain_senders.get(cls)
    if verdict is None:
        steps = ["get_wsgi_headers", "get_app_iter", "get_wsgi_response", "iter_encoded"]
        steps += ["status", "status_code"]  # the shortcut reads what their setters stored
        verdict = all(getattr(cls, step) is getattr(Response, step) for step in steps)
        _plain_senders[cls] = verdict
    return verdict
