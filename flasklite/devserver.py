"""``app.run()``: werkzeug's development server with safe defaults. Never for production."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .helpers import is_loopback

if TYPE_CHECKING:
    from .base import AppBase

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


def address_for(app: AppBase, host: str | None, port: int | None) -> tuple[str, int]:
    """Where to listen: the arguments, else what ``SERVER_NAME`` names ("example.test:8080"
    gives both, "example.test" only the host), else 127.0.0.1 and port 5000."""
    configured = app.config["SERVER_NAME"] or ""
    name_host, name_port = configured, ""
    if ":" in configured and not configured.endswith("]"):  # "]": an IPv6 address, no port
        name_host, _, name_port = configured.rpartition(":")
    chosen_host = host or name_host or DEFAULT_HOST
    if port is not None:
        return chosen_host, int(port)
    return chosen_host, int(name_port) if name_port else DEFAULT_PORT


def serve(
    app: AppBase,
    host: str | None,
    port: int | None,
    *,
    allow_remote_debugger: bool = False,
    **options: Any,
) -> None:
    """Run ``werkzeug.serving.run_simple`` for ``app``. ``app.debug`` sets the defaults of
    ``use_reloader`` and ``use_debugger``; threads are on, as in Flask since 1.0.

    The interactive debugger runs any code typed into the browser, so it is refused on a host
    that is not loopback unless ``allow_remote_debugger=True`` (``use_evalex=False`` keeps the
    traceback pages without code execution, and is allowed anywhere).
    """
    bind_host, bind_port = address_for(app, host, port)
    for option in ("use_reloader", "use_debugger"):
        options.setdefault(option, app.debug)
    options.setdefault("threaded", True)
    executes_code = options["use_debugger"] and options.get("use_evalex", True)
    if executes_code and not allow_remote_debugger and not is_loopback(bind_host):
        raise RuntimeError(
            f"Refusing to start the interactive debugger on {bind_host!r}, which is not a"
            " loopback address: the debugger executes arbitrary Python code sent from the"
            " browser, so anyone who can reach this port could run code on this machine. Bind to"
            " 127.0.0.1, or pass use_debugger=False (use_evalex=False keeps tracebacks without"
            " code execution), or pass allow_remote_debugger=True to override."
        )
    from werkzeug.serving import run_simple

    run_simple(bind_host, bind_port, app, **options)  # type: ignore[arg-type]
