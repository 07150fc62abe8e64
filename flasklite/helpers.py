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
import sys
import uuid
from collections.abc import Callable
from datetime import date
from json import encoder as _json_encoder
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.exceptions import abort as _abort
from werkzeug.http import http_date
from werkzeug.utils import redirect as _redirect

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
    _abort(code, *args, **kwargs)


def redirect(
    location: str, code: int = 302, Response: type[BaseResponse] | None = None
) -> BaseResponse:
    """A redirect response to ``location`` (302 by default)."""
    ctx = _cv_ctx.get(None)
    if Response is None and ctx is not None:
        Response = ctx.app.response_class
    return _redirect(location, code, Response)


def make_response(*args: Any) -> Response:
    """Turn a view's return value into a response object, to add headers before returning it."""
    if not args:
        return current_app.response_class()
    return current_app.make_response(args[0] if len(args) == 1 else args)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response of the arguments: one positional value, or several (a list), or keyword
    arguments (an object)."""
    return current_app.json.response(*args, **kwargs)


def _default(o: Any) -> Any:
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, decimal.Decimal | uuid.UUID):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


class JSONProvider:
    """Flask's default JSON behaviour (``app.json``): sorted keys, ASCII-safe, dates as HTTP
    dates, decimals and UUIDs as strings, dataclasses as objects; responses compact, or indented
    in debug. ``sort_keys``, ``ensure_ascii`` and ``compact`` can be changed as in Flask.

    The encoders are built once (and again when a setting changes): ``json.dumps`` with any
    non-default argument builds a new ``JSONEncoder`` on every call.
    """

    mimetype = "application/json"

    def __init__(self, app: AppBase) -> None:
        self._app = app
        self._settings: dict[str, Any] = {"sort_keys": True, "ensure_ascii": True}
        self._compact_setting: bool | None = None  # None: compact unless debug
        self._build()

    def _build(self) -> None:
        common = {**self._settings, "default": _default}
        self._plain = json.JSONEncoder(**common)
        self._compact = json.JSONEncoder(separators=(",", ":"), **common)
        self._pretty = json.JSONEncoder(indent=2, **common)
        self._encode_compact = _one_shot(self._compact)

    @property
    def sort_keys(self) -> bool:
        return bool(self._settings["sort_keys"])

    @sort_keys.setter
    def sort_keys(self, value: bool) -> None:
        self._settings["sort_keys"] = value
        self._build()

    @property
    def ensure_ascii(self) -> bool:
        return bool(self._settings["ensure_ascii"])

    @ensure_ascii.setter
    def ensure_ascii(self, value: bool) -> None:
        self._settings["ensure_ascii"] = value
        self._build()

    @property
    def compact(self) -> bool | None:
        return self._compact_setting

    @compact.setter
    def compact(self, value: bool | None) -> None:
        self._compact_setting = value

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize like Flask's ``app.json.dumps`` (default separators, sorted keys)."""
        if kwargs:
            for key, value in self._settings.items():
                kwargs.setdefault(key, value)
            kwargs.setdefault("default", _default)
            return json.dumps(obj, **kwargs)
        return self._plain.encode(obj)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response (what ``jsonify`` and dict/list return values produce)."""
        if args and kwargs:
            raise TypeError("jsonify() behavior undefined when passed both args and kwargs")
        data: Any = args[0] if len(args) == 1 else (args or kwargs)
        compact = self._compact_setting
        pretty = compact is False or (compact is None and self._app.debug)
        text = self._pretty.encode(data) if pretty else self._encode_compact(data)
        return self._app.response_class._from_bytes(f"{text}\n".encode(), self.mimetype)


def _one_shot(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode`` for an encoder without indent, minus its per-call Python set-up
    (``iterencode`` defines a closure and re-reads every setting before reaching the C
    encoder): the same C encoder, called directly with the same arguments, so the output and
    the errors (circular references, NaN, unserializable objects) are the same."""
    make_encoder = getattr(_json_encoder, "c_make_encoder", None)
    if make_encoder is None or encoder.indent is not None:
        return encoder.encode
    args = (
        encoder.default,
        _json_encoder.encode_basestring_ascii
        if encoder.ensure_ascii
        else _json_encoder.encode_basestring,
        None,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )

    def encode(o: Any) -> str:
        # A fresh markers dict per call, as iterencode makes (check_circular is on).
        return "".join(make_encoder({}, *args)(o, 0))

    return encode


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (where ``templates/`` is looked up)."""
    module = sys.modules.get(import_name)
    filename = getattr(module, "__file__", None) if module is not None else None
    if filename is None:
        try:
            spec = importlib.util.find_spec(import_name)
        except (ImportError, ValueError):
            spec = None
        filename = spec.origin if spec is not None else None
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


def load_dotenv_files() -> None:
    """Load ``.env``/``.flaskenv`` if python-dotenv is installed (optional, as in Flask)."""
    try:
        dotenv: Any = importlib.import_module("dotenv")
    except ImportError:
        return
    for name in (".flaskenv", ".env"):
        path = dotenv.find_dotenv(name, usecwd=True)
        if path:
            dotenv.load_dotenv(path, encoding="utf-8")


def forget_tracebacks(error: BaseException | None) -> None:
    """Drop the tracebacks of an error that has been dealt with, and of the errors it was
    raised from. Their frames (through ``f_back``) reach the frame holding the error, a cycle
    only the garbage collector would free; after the request nothing reads them."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        error = error.__cause__ or error.__context__
