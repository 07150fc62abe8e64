"""``python -m app``: the development server (werkzeug's run_simple, through ``app.run()``)."""

from __future__ import annotations

import argparse

from app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    parser.add_argument("--host", default=None, help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default 5000 (or SERVER_NAME's)")
    args = parser.parse_args(argv)
    app = create_app()
    app.run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
