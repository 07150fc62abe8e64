"""The example service: ``create_app()`` builds it from defaults, an optional instance file
(``instance/config.py``) and ``APP_*`` environment variables, in that order.

gunicorn loads ``app.wsgi:app``; ``flasklite --app app:create_app run --debug`` (``make dev``)
runs the development server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.auth import register_auth
from app.commands import register_commands
from app.config import DEFAULTS, ENV_PREFIX, check_config
from app.db import init_db
from app.diagnostics import register_diagnostics
from app.errors import register_error_pages
from app.items import api  # the api blueprint, with the items resource on it
from app.logs import configure_logging
from app.pages import pages
from flasklite import Flask
from flasklite.middleware import install_middleware
from wsgistack import mount_observability


def create_app(
    overrides: Mapping[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """``instance_path`` defaults to ``instance/`` next to the ``app`` package."""
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    # Settings for one deployment, kept out of git; the environment still wins over them.
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.from_mapping(overrides)
    app.config.update(check_config(app.config))

    configure_logging(app, app.config["LOG_LEVEL"])
    init_db(app)  # no connection here: each worker opens its own pool (app/db.py)
    app.register_blueprint(pages)
    app.register_blueprint(api)
    register_commands(app)
    register_auth(app)
    register_error_pages(app)
    if app.config["DIAGNOSTICS"]:
        register_diagnostics(app)

    # Last, so the middleware wraps the finished app (request id and X-Served-By, then ProxyFix
    # outermost).
    install_middleware(app, served_by=app.config["INSTANCE_NAME"])
    # Metrics (and traces, when OTEL_EXPORTER_OTLP_ENDPOINT is set) outside all of it.
    mount_observability(app)
    app.extensions["ready"] = True
    return app
