"""Environs for tests and the shell: ``app.test_request_context(...)`` builds one of these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.test import EnvironBuilder

if TYPE_CHECKING:
    from .base import AppBase


def build_test_environ(app: AppBase, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """``EnvironBuilder(*args, **kwargs).get_environ()``; with ``SERVER_NAME`` set and no base
    URL given, the URL is on that host, under ``APPLICATION_ROOT``, with the preferred scheme."""
    cfg = app.config
    if cfg["SERVER_NAME"] and not {"base_url", "environ_base"} & kwargs.keys():
        root = str(cfg["APPLICATION_ROOT"] or "/").strip("/")
        kwargs["base_url"] = f"{cfg['PREFERRED_URL_SCHEME']}://{cfg['SERVER_NAME']}/{root}"
    builder = EnvironBuilder(*args, **kwargs)
    try:
        return builder.get_environ()
    finally:
        builder.close()
