"""``python -m app``: the development server for this service (``make dev`` runs the same)."""

from __future__ import annotations

from wsgistack.devserver import main

if __name__ == "__main__":
    main()
