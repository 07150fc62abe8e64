"""Machinery every service made from this template mounts the same way.

A service's ``create_app`` calls ``load_settings`` first (the machinery's ``APP_*`` settings
and its own) and ``install`` last; its ``wsgi.py`` hands the finished app to ``for_production``::

    def create_app(overrides=None):
        app = Flask(__name__, instance_relative_config=True)
        wsgistack.load_settings(app, overrides)
        ...  # the service's blueprints, hooks, readiness checks (add_readiness_check)
        wsgistack.install(app)
        return app

``install`` brings the JSON log lines (``wsgistack.applog``, schema ``wsgistack.logfmt``), the
session key (``wsgistack.secret_key``), the JSON/HTML error pages (``wsgistack.errors``),
``/healthz`` and ``/readyz`` (``wsgistack.health``), the probe routes (``/_probe/*``,
``wsgistack.probes``), the diagnostics when APP_DIAGNOSTICS is on (``/_diag/*``,
``wsgistack.diagnostics``), the request id and proxy middleware, Prometheus metrics
(``wsgistack.metrics``) and optional OpenTelemetry traces (``wsgistack.tracing``). See
docs/structure.md and docs/observability.md.

Nothing here imports prometheus_client at import time: it decides between per-process and
multiprocess mode when first imported, so gunicorn must have set ``PROMETHEUS_MULTIPROC_DIR``
(gunicorn.conf.py's ``raw_env``) before that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wsgistack.health import READY_KEY, add_readiness_check
from wsgistack.settings import load_settings

if TYPE_CHECKING:
    from flasklite import Flask

__all__ = ["add_readiness_check", "for_production", "install", "load_settings"]


def install(app: Flask) -> None:
    """Mount the machinery into ``app``; call it last in the app factory, after
    ``load_settings`` and the service's own routes, hooks and middleware."""
    from flasklite.middleware import install_middleware
    from wsgistack.applog import configure_logging
    from wsgistack.diagnostics import diagnostics
    from wsgistack.errors import register_error_pages
    from wsgistack.health import health
    from wsgistack.probes import probes
    from wsgistack.secret_key import configure_secret_key

    if "INSTANCE_NAME" not in app.config:
        raise RuntimeError("wsgistack.install: call wsgistack.load_settings(app) first")
    configure_logging(app, app.config["LOG_LEVEL"])
    configure_secret_key(app)
    register_error_pages(app)
    app.register_blueprint(health)
    app.register_blueprint(probes)
    if app.config["DIAGNOSTICS"]:
        app.register_blueprint(diagnostics)
    # Last, so the middleware wraps the finished app (request id and X-Served-By, then ProxyFix
    # outermost), and metrics (and traces) outside all of it.
    install_middleware(app, served_by=app.config["INSTANCE_NAME"])
    mount_observability(app)
    app.extensions[READY_KEY] = True


def mount_observability(app: Flask) -> None:
    """Wrap ``app.wsgi_app`` with the metrics middleware and, when ``OTEL_EXPORTER_OTLP_ENDPOINT``
    is set, OpenTelemetry's (outermost, so the app's log lines carry the trace id)."""
    from wsgistack.metrics import install_metrics
    from wsgistack.tracing import install_tracing_from_env

    install_metrics(app)
    install_tracing_from_env(app)


def for_production(app: Flask) -> Flask:
    """``app``, once it is fit to serve production traffic (a service's ``wsgi.py`` calls it).

    Debug mode under a production server propagates exceptions and reloads templates, and usually
    means someone copied a development .env into production; production sessions need a real key
    (wsgistack/secret_key.py). Either stops the server here, loudly.
    """
    # Imported here, once, rather than by the first request of every worker: gunicorn imports
    # the entry point in its master (preload_app) and forks the workers from it. The
    # TRUSTED_HOSTS check (werkzeug's host_is_trusted) encodes each new Host with the "idna"
    # codec, whose first use imports encodings.idna and stringprep: paid again by every
    # recycled worker otherwise.
    import encodings.idna  # noqa: F401

    from wsgistack.secret_key import require_production_secret_key

    if app.debug:
        raise RuntimeError(
            "APP_DEBUG is on, but app.wsgi is the production entry point. Debug mode is for the "
            "development server only (`make dev`); unset APP_DEBUG for gunicorn."
        )
    require_production_secret_key(app)
    return app
