"""The ``blueprint`` case of ``bench/dispatch.py``: a route inside a blueprint mounted with a
``url_prefix``, behind a blueprint ``before_request`` hook whose result the view returns (so no
contender can skip the hook). Kept here so the case reads in one place; ``dispatch.py`` adds it
to each contender."""

from __future__ import annotations

from typing import Any

PATH = "/v1/ping"
BODY = b"pong v1"


def hook_value() -> str:
    return "v1"


def add_to_framework_app(app: Any, mod: Any) -> None:
    """The same blueprint for this framework and for Flask (``mod`` is the package)."""
    v1 = mod.Blueprint("v1", __name__, url_prefix="/v1")

    @v1.before_request
    def remember_version() -> None:
        mod.g.api_version = hook_value()

    @v1.get("/ping")
    def ping() -> str:
        return f"pong {mod.g.api_version}"

    app.register_blueprint(v1)


def bare_answer(path: str, method: str) -> bytes | None:
    """The floor's answer: string comparison, the hook as a plain call."""
    if path == PATH and method == "GET":
        return f"pong {hook_value()}".encode()
    return None
