"""The ``blueprint`` case of ``bench/dispatch.py`` (flasklite and Flask only: the Blueprint API):
a route inside a blueprint mounted with a ``url_prefix``, behind a blueprint ``before_request``
hook whose result the view returns, so neither can skip the hook."""

from __future__ import annotations

from typing import Any

PATH = "/v1/ping"


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
