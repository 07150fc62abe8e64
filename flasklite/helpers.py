"""Helpers used from views: ``url_for``, ``abort``, ``redirect``, ``jsonify``, ``make_response``,
and the JSON provider behind ``jsonify`` and dict/list return values."""

from __future__ import annotations

import dataclasses
import decimal
import importlib
import importlib.util
import ipaddress
import json
import os
import random
import sys
import uuid
import weakref
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.exceptions import abort as werkzeug_abort
from werkzeug.http import http_date
from werkzeug.utils import redirect as werkzeug_redirect

from .globals import _cv_ctx, current_app

if TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse

    from .base import AppBase
    from .wrappers import Response


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: Any,
) -> str:
    """Build the URL of ``endpoint``; values that are not rule arguments become the query
    string. Relative (with the ``SCRIPT_NAME`` prefix) in a request, absolute outside one."""
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def abort(code: int | BaseResponse, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the ``HTTPException`` for ``code`` (e.g. ``abort(404)``)."""
    werkzeug_abort(code, *args, **kwargs)


def redirect(
    location: str, code: int = 302, Response: type[BaseResponse] | None = None
) -> BaseResponse:
    """A redirect response to ``location`` (302 by default)."""
    ctx = _cv_ctx.get(None)
    if Response is None and ctx is not None:
        Response = ctx.app.response_class
    return werkzeug_redirect(location, code, Response)


def make_response(*args: Any) -> Response:
    """Turn a view's return value into a response object, to add headers before returning it."""
    if not args:
        return current_app.response_class()
    return current_app.make_response(args[0] if len(args) == 1 else args)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response of the arguments: one positional value, or several (a list), or keyword
    arguments (an object)."""
    return current_app.json.response(*args, **kwargs)


def _to_json_value(value: Any) -> Any:
    """What ``json`` cannot encode by itself: dates (as HTTP dates), decimals and UUIDs (as
    strings), dataclasses (as objects), objects with ``__html__`` (their markup)."""
    match value:
        case date():
            return http_date(value)
        case decimal.Decimal() | uuid.UUID():
            return str(value)
        case _ if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        case _ if callable(getattr(value, "__html__", None)):
            return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class JSONProvider:
    """``app.json``: sorted keys, ASCII-safe output, compact responses (indented in debug).
    ``sort_keys``, ``ensure_ascii`` and ``compact`` can be changed as in Flask.

    It holds the app weakly, so the app is freed when its last reference goes. Encoders are made
    once per setting change (``json.dumps`` with options builds a new one on every call).
    """

    mimetype: str = "application/json"

    def __init__(self, app: AppBase) -> None:
        self.app_ref: weakref.ReferenceType[AppBase] = weakref.ref(app)
        self.options: dict[str, Any] = {"sort_keys": True, "ensure_ascii": True}
        #: None: compact unless the app is in debug mode.
        self.compact: bool | None = None
        self.encoders = self._make_encoders()

    def _make_encoders(self) -> dict[str, json.JSONEncoder]:
        shared = dict(self.options, default=_to_json_value)
        return {
            "plain": json.JSONEncoder(**shared),
            "compact": json.JSONEncoder(separators=(",", ":"), **shared),
            "pretty": json.JSONEncoder(indent=2, **shared),
        }

    def _set_option(self, name: str, value: bool) -> None:
        self.options[name] = value
        self.encoders = self._make_encoders()

    @property
    def sort_keys(self) -> bool:
        return bool(self.options["sort_keys"])

    @sort_keys.setter
    def sort_keys(self, value: bool) -> None:
        self._set_option("sort_keys", value)

    @property
    def ensure_ascii(self) -> bool:
        return bool(self.options["ensure_ascii"])

    @ensure_ascii.setter
    def ensure_ascii(self, value: bool) -> None:
        self._set_option("ensure_ascii", value)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize as ``app.json.dumps`` does in Flask (default separators, sorted keys)."""
        if not kwargs:
            return self.encoders["plain"].encode(obj)
        merged = {**self.options, "default": _to_json_value, **kwargs}
        return json.dumps(obj, **merged)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response (what ``jsonify`` and dict/list return values produce)."""
        if args and kwargs:
            raise TypeError("jsonify() behavior undefined when passed both args and kwargs")
        data: Any = args[0] if len(args) == 1 else (args or kwargs)
        app = self.app_ref()
        if app is None:
            raise RuntimeError("the application of this JSON provider no longer exists")
        pretty = self.compact is False or (self.compact is None and app.debug)
        text = self.encoders["pretty" if pretty else "compact"].encode(data)
        return app.response_class(text + "\n", mimetype=self.mimetype)


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (where ``templates/`` is looked up)."""
    module = sys.modules.get(import_name)
    filename = getattr(module, "__file__", None) if module is not None else None
    if filename is None:
        try:
            found = importlib.util.find_spec(import_name)
        except (ValueError, ImportError):  # not importable: fall back to the working directory
            found = None
        filename = None if found is None else found.origin
    if not filename or filename in ("namespace", "built-in"):
        return os.getcwd()
    return os.path.dirname(os.path.abspath(filename))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an IPv4/IPv6 address) only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: Loaded in this order; a variable already set (in the environment or the first file) wins.
DOTENV_FILES = (".flaskenv", ".env")


def load_dotenv_files() -> None:
    """Load ``.env``/``.flaskenv`` if python-dotenv is installed (optional, as in Flask)."""
    try:
        dotenv: Any = importlib.import_module("dotenv")
    except ImportError:
        return
    for filename in DOTENV_FILES:
        found = dotenv.find_dotenv(filename, usecwd=True)
        if found:
            dotenv.load_dotenv(found, encoding="utf-8")


def forget_tracebacks(error: BaseException | None) -> None:
    """Drop the tracebacks of an error that has been dealt with, and of the errors it was
    raised from. Their frames (through ``f_back``) reach the frame holding the error, a cycle
    only the garbage collector would free; after the request nothing reads them."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        error = error.__cause__ or error.__context__


# Request ids come from ``random``, which CPython reseeds from os.urandom in every forked child,
# so gunicorn's workers never share a sequence. os.urandom (behind uuid4) is a system call that
# drops the GIL, handing it to another thread and back on every request. An id correlates log
# lines and is no secret (a client may bring its own), so a good PRNG is enough.
_bits = random.getrandbits


def new_request_id() -> str:
    """32 random hex digits (as ``uuid4().hex``): the one way this package makes request ids."""
    return f"{_bits(128):032x}"
