"""Machinery every service made from this template mounts the same way: Prometheus metrics
(``wsgistack.metrics``), one JSON log schema (``wsgistack.logfmt``) and optional OpenTelemetry
traces (``wsgistack.tracing``). See docs/observability.md.

Nothing here imports prometheus_client at import time: it decides between per-process and
multiprocess mode when first imported, so gunicorn must have set ``PROMETHEUS_MULTIPROC_DIR``
(gunicorn.conf.py's ``raw_env``) before that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flasklite import Flask


def mount_observability(app: Flask) -> None:
    """Wrap ``app.wsgi_app`` with the metrics middleware and, when ``OTEL_EXPORTER_OTLP_ENDPOINT``
    is set, OpenTelemetry's (outermost, so the app's log lines carry the trace id). Call it last
    in the app factory, after the app's own middleware."""
    from wsgistack.metrics import install_metrics
    from wsgistack.tracing import install_tracing_from_env

    install_metrics(app)
    install_tracing_from_env(app)
