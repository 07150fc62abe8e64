"""Helpers used from views: ``url_for``, ``abort``, ``redirect``, ``jsonify``, ``make_response``;
and, from their own modules, files (``send_file``), flashing, streaming and request-scoped
helpers, so ``from flasklite.helpers import ...`` finds what ``flask.helpers`` has."""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
import os
import random
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.exceptions import abort as werkzeug_abort
from werkzeug.utils import redirect as werkzeug_redirect

from .files import send_file as send_file
from .files import send_from_directory as send_from_directory
from .flashing import flash as flash
from .flashing import get_flashed_messages as get_flashed_messages
from .globals import _cv_ctx, current_app
from .request_scope import after_this_request as after_this_request
from .request_scope import copy_current_request_context as copy_current_request_context
from .streaming import stream_with_context as stream_with_context
from .template_extras import get_template_attribute as get_template_attribute

if TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse

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
