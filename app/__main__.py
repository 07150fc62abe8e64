"""``python -m app``: the development server; the same as ``flasklite --app app:create_app run``
(options such as ``--host``, ``--port`` and ``--no-reload`` pass through)."""

from __future__ import annotations

import sys

from flasklite.cli import main


def run(argv: list[str] | None = None) -> None:
    main(["--app", "app:create_app", "run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    run()
