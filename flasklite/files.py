"""``send_file`` and ``send_from_directory``: files as responses, from a view.

Both are werkzeug's functions (conditional requests with 304, byte ranges with 206, ETag,
Last-Modified, ``X-Sendfile``) given what they need from the app and the request: the WSGI
environ, ``USE_X_SENDFILE``, ``app.response_class``, ``app.get_send_file_max_age`` for
``max_age`` and ``app.root_path`` for relative paths.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

import werkzeug.utils

from .globals import _cv_ctx

if TYPE_CHECKING:
    from .wrappers import Response

PathOrFile = os.PathLike[str] | str | IO[bytes]


def _request_ctx(name: str) -> Any:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(f"{name}() needs a request context (call it from a view).")
    return ctx


def _under_root(app: Any, path: Any) -> Any:
    """A relative file name is relative to the app's folder, not the process's working folder."""
    if isinstance(path, str | os.PathLike):
        path = os.fspath(path)
        if not os.path.isabs(path):
            return os.path.join(app.root_path, path)
    return path


def _werkzeug_options(ctx: Any, max_age: Any, options: dict[str, Any]) -> dict[str, Any]:
    app = ctx.app
    options["environ"] = ctx.request.environ
    options["use_x_sendfile"] = app.config.get("USE_X_SENDFILE", False)
    options["response_class"] = app.response_class
    options["max_age"] = app.get_send_file_max_age if max_age is None else max_age
    return options


def send_file(
    path_or_file: PathOrFile,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | Callable[[str | None], int | None] | None = None,
) -> Response:
    """A response with the contents of a file (a path, or a binary file object).

    ``mimetype`` is guessed from the path or ``download_name``; ``as_attachment`` asks the
    browser to save it as ``download_name``; ``conditional`` answers ``If-None-Match``,
    ``If-Modified-Since`` and ``Range``; ``max_age`` (seconds, or a function of the path)
    defaults to ``SEND_FILE_MAX_AGE_DEFAULT``. Never pass a path a client chose: use
    ``send_from_directory`` for that.
    """
    ctx = _request_ctx("send_file")
    options = {
        "mimetype": mimetype,
        "as_attachment": as_attachment,
        "download_name": download_name,
        "conditional": conditional,
        "etag": etag,
        "last_modified": last_modified,
    }
    response = werkzeug.utils.send_file(
        _under_root(ctx.app, path_or_file), **_werkzeug_options(ctx, max_age, options)
    )
    return response  # type: ignore[return-value]


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: Any
) -> Response:
    """``send_file`` for ``path`` inside ``directory``, safe for a path taken from the URL:
    ``..``, absolute paths and anything outside the folder are 404, as is a missing file."""
    ctx = _request_ctx("send_from_directory")
    max_age = kwargs.pop("max_age", None)
    response = werkzeug.utils.send_from_directory(
        _under_root(ctx.app, directory), path, **_werkzeug_options(ctx, max_age, kwargs)
    )
    return response  # type: ignore[return-value]


__all__ = ["send_file", "send_from_directory"]
