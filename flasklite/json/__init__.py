"""``flasklite.json``: JSON through the current app's provider (``app.json``), or the stdlib with
the default provider's rules outside an app context.

``jsonify`` builds a response; ``dumps``/``loads``/``dump``/``load`` are the plain functions.
"""

from __future__ import annotations

import json as _stdlib_json
from typing import IO, TYPE_CHECKING, Any

from ..globals import _cv_ctx
from .provider import DefaultJSONProvider, JSONProvider, _default

if TYPE_CHECKING:
    from ..wrappers import Response


def _provider() -> JSONProvider | None:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        return None
    provider: Any = ctx.app.json
    return provider  # type: ignore[no-any-return]


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialize ``obj`` with ``app.json.dumps`` (the stdlib plus the default conversions when
    no app is active)."""
    provider = _provider()
    if provider is not None:
        return provider.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _stdlib_json.dumps(obj, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Write ``dumps(obj)`` to the text file ``fp``."""
    provider = _provider()
    if provider is not None:
        provider.dump(obj, fp, **kwargs)
        return
    kwargs.setdefault("default", _default)
    _stdlib_json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON text with ``app.json.loads`` (the stdlib outside an app)."""
    provider = _provider()
    if provider is not None:
        return provider.loads(s, **kwargs)
    return _stdlib_json.loads(s, **kwargs)


def load(fp: IO[Any], **kwargs: Any) -> Any:
    """Parse the JSON in the file ``fp``."""
    provider = _provider()
    if provider is not None:
        return provider.load(fp, **kwargs)
    return _stdlib_json.load(fp, **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response: one value as is, several as a list, keyword arguments as an object.
    Needs an app context (it is ``current_app.json.response``)."""
    provider = _provider()
    if provider is None:
        raise RuntimeError("jsonify() needs an application context (call it from a view).")
    return provider.response(*args, **kwargs)


__all__ = ["DefaultJSONProvider", "JSONProvider", "dump", "dumps", "jsonify", "load", "loads"]
