"""The example service: ``create_app()`` builds it from defaults and ``APP_*`` environment.

gunicorn loads ``app.wsgi:app``; ``python -m app`` runs the development server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.config import DEFAULTS, ENV_PREFIX, check_config
from app.diagnostics import register_diagnostics
from app.errors import register_error_pages
from app.logs import configure_logging
from app.views import register_views
from flasklite import Flask
from flasklite.middleware import install_middleware
from wsgistack import mount_observability


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.from_mapping(overrides)
    app.config.update(check_config(app.config))

    configure_logging(app, app.config["LOG_LEVEL"])
    register_views(app)
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
