"""``python -m wsgistack.devserver``: the development server, i.e. ``flasklite --app APP run``
after checking that the port is free (a clear message instead of a traceback).

``make dev`` runs it with ``--port $(PORT) --host $(HOST)`` (5000 and 127.0.0.1 by default) for
the service's factory, ``--app app:create_app`` unless told otherwise; it is machinery, so any
service gets ``make dev`` without writing a ``__main__`` of its own. Other options of ``run``
(``--no-reload``, ``--debug``, ...) pass through.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys

from flasklite.cli import main as flasklite_main

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_APP = "app:create_app"


def port_problem(host: str, port: int) -> str | None:
    """Why the dev server could not listen on ``host:port``, or None when it can."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the server itself binds: a port left in TIME_WAIT by the last run is free to reuse.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"{host}:{port} is already in use by another program"
            return f"cannot listen on {host}:{port} ({error.strerror})"
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="make dev", description=__doc__)
    parser.add_argument("--app", default=DEFAULT_APP, help=f"module:factory, default {DEFAULT_APP}")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    args, run_options = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    # The reloader's child inherits the parent's socket: only the first process checks.
    if not os.environ.get("WERKZEUG_RUN_MAIN") and (problem := port_problem(args.host, args.port)):
        sys.exit(
            f"make dev: {problem}. Choose another port: `make dev PORT={args.port + 1}` "
            f"(or `python -m wsgistack.devserver --port {args.port + 1}`); HOST= picks the address."
        )
    run = ["run", "--host", args.host, "--port", str(args.port), *run_options]
    flasklite_main(["--app", args.app, *run])


if __name__ == "__main__":
    main()
