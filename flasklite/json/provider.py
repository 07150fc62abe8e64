"""JSON providers: the object behind ``app.json`` that every JSON read and write goes through.

``JSONProvider`` is the interface (override ``dumps``/``loads`` to use another library);
``DefaultJSONProvider`` is the stdlib ``json`` with Flask's defaults. An app builds one in its
constructor from ``app.json_provider_class``.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
import weakref
from collections.abc import Callable
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from werkzeug.http import http_date

if TYPE_CHECKING:
    from ..wrappers import Response


class JSONProvider:
    """The interface of ``app.json``: serialize, parse, and build JSON responses.

    The provider refers to its app through a weak reference: the app owns the provider, and a
    strong reference back would keep every discarded app (one per test, often) alive until the
    cyclic garbage collector ran.
    """

    def __init__(self, app: Any) -> None:
        #: A weak reference to the app (call it: the app, or None once it is gone).
        self.app_ref: Callable[[], Any] = weakref.ref(app)

    @property
    def app(self) -> Any:
        app = self.app_ref()
        if app is None:
            raise RuntimeError("The app this JSON provider belonged to no longer exists.")
        return app

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        raise NotImplementedError

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        raise NotImplementedError

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        fp.write(self.dumps(obj, **kwargs))

    def load(self, fp: IO[Any], **kwargs: Any) -> Any:
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if kwargs:
            if args:
                raise TypeError("jsonify() behavior undefined when passed both args and kwargs")
            return kwargs
        if len(args) == 1:
            return args[0]
        return list(args) or None  # several values: a list; none at all: null

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A response with ``dumps`` of the arguments: one value, several (a list), or keyword
        arguments (an object)."""
        data = self._prepare_response_obj(args, kwargs)
        return self.app.response_class(self.dumps(data), mimetype="application/json")  # type: ignore[no-any-return]


def _default(o: Any) -> Any:
    """What the stdlib encoder cannot serialize by itself, as Flask documents it."""
    if isinstance(o, date):
        return http_date(o)  # datetimes too: RFC 822 dates, in UTC
    if isinstance(o, decimal.Decimal | uuid.UUID):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


class DefaultJSONProvider(JSONProvider):
    """The stdlib ``json`` with Flask's defaults: keys sorted, non-ASCII escaped, dates as HTTP
    dates, decimals and UUIDs as strings, dataclasses as objects, ``__html__`` objects as their
    HTML. Responses are compact, or indented in debug mode (``compact`` decides when set).

    ``sort_keys``, ``ensure_ascii``, ``compact``, ``mimetype`` and ``default`` can be changed on
    the class or on ``app.json``. The encoders for the current settings are built once and
    rebuilt when a setting changes: ``json.dumps`` with any argument builds a new encoder per
    call, a cost every JSON response would pay.
    """

    default: Callable[[Any], Any] = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    compact: bool | None = None
    mimetype = "application/json"

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._encoders_for: tuple[Any, ...] | None = None
        self._plain: json.JSONEncoder
        self._pretty: json.JSONEncoder
        self._compact: json.JSONEncoder

    def _encoders(self) -> tuple[Any, ...]:
        settings = (self.default, self.ensure_ascii, self.sort_keys)
        if self._encoders_for != settings:
            options: dict[str, Any] = {"default": self.default, "ensure_ascii": self.ensure_ascii}
            options["sort_keys"] = self.sort_keys
            self._plain = json.JSONEncoder(**options)
            self._pretty = json.JSONEncoder(indent=2, **options)
            self._compact = json.JSONEncoder(separators=(",", ":"), **options)
            self._encoders_for = settings
        return settings

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """``json.dumps`` with this provider's settings as defaults for ``kwargs``."""
        if kwargs:
            options = {"default": self.default, "ensure_ascii": self.ensure_ascii}
            options["sort_keys"] = self.sort_keys
            return json.dumps(obj, **{**options, **kwargs})
        self._encoders()
        return self._plain.encode(obj)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """``json.loads``; input nested too deeply to parse is a ``ValueError`` like any other
        bad JSON (so a request body of ``[[[[…`` is a 400, not a ``RecursionError``)."""
        try:
            if not kwargs:
                if type(s) is bytes and _plain_utf8(s):
                    # How json.loads decodes UTF-8, without its (Python) encoding detection,
                    # which costs more than parsing a small request body.
                    s = s.decode("utf-8", "surrogatepass")
                if type(s) is str and not s.startswith("\ufeff"):
                    return _parse_json_text(s)
            return json.loads(s, **kwargs)
        except RecursionError:
            raise json.JSONDecodeError("JSON nested too deeply", "", 0) from None

    def response(self, *args: Any, **kwargs: Any) -> Response:
        # One value, what make_response passes, is the common case: no packing to decide.
        data = (
            args[0] if len(args) == 1 and not kwargs else self._prepare_response_obj(args, kwargs)
        )
        self._encoders()
        app = self.app_ref() or self.app  # the property only to raise its error
        compact = self.compact
        indent = compact is False or (compact is None and app.debug)
        text = (self._pretty if indent else self._compact).encode(data)
        return app.response_class(f"{text}\n", mimetype=self.mimetype)  # type: ignore[no-any-return]


def _plain_utf8(data: bytes) -> bool:
    """Whether ``json.loads`` would read ``data`` as UTF-8 without a byte order mark. It tells
    the encodings apart by the first two bytes: a mark starts with a non-ASCII byte, UTF-16 and
    UTF-32 text has a NUL in one of them."""
    head = data[:2]
    return head.isascii() and 0 not in head


_JSON_SPACE = " \t\n\r"
_json_decoder = json.JSONDecoder()


def _parse_json_text(text: str) -> Any:
    """``json.loads`` of a str with default options, through the decoder's public
    ``raw_decode``: the same value and the same errors, without ``loads``'s layers of calls."""
    value, end = _json_decoder.raw_decode(text, len(text) - len(text.lstrip(_JSON_SPACE)))
    rest = text[end:].lstrip(_JSON_SPACE)
    if rest:
        raise json.JSONDecodeError("Extra data", text, len(text) - len(rest))
    return value
