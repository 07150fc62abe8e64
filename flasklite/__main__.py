"""``python -m flasklite``: the framework's command line (see ``cli.py``)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main()
