"""The example service: ``create_app()`` builds it from defaults, an optional instance file
(``instance/config.py``) and ``APP_*`` environment variables, in that order.

gunicorn loads ``app.wsgi:app``; ``flasklite --app app:create_app run --debug`` (``make dev``)
runs the development server. The machinery (health, probes, diagnostics, error pages, logs,
metrics) is mounted by ``wsgistack.install``, the same way in any service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import wsgistack
from app.auth import register_auth
from app.commands import register_commands
from app.config import SERVICE_DEFAULTS
from app.db import init_db, schema_ready
from app.items import api  # the api blueprint, with the items resource on it
from app.pages import pages
from flasklite import Flask


def create_app(
    overrides: Mapping[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """``instance_path`` defaults to ``instance/`` next to the ``app`` package."""
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    wsgistack.load_settings(app, overrides, defaults=SERVICE_DEFAULTS)

    init_db(app)  # no connection here: each worker opens its own pool (app/db.py)
    wsgistack.add_readiness_check(app, schema_ready)
    app.register_blueprint(pages)
    app.register_blueprint(api)
    register_commands(app)
    register_auth(app)

    # Last: health, probes, error pages, logs, middleware and metrics around the finished app.
    wsgistack.install(app)
    return app
