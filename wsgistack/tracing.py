"""Optional OpenTelemetry traces: on only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

``pip install 'wsgi-stack[otel]'`` brings the SDK, the WSGI instrumentation and the OTLP/HTTP
exporter; the exporter reads the standard ``OTEL_*`` variables (endpoint, headers, protocol).
Each request becomes a server span. An incoming W3C ``traceparent`` (from nginx or the client)
makes it a child of the caller's span, in the caller's trace; the response carries
``traceresponse`` so the client learns the trace id, and ``outgoing_headers()`` passes the
context on to services this one calls. Log lines carry ``trace_id`` while tracing is on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from opentelemetry.sdk.trace import TracerProvider

    from flasklite import Flask

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
#: Where the request's trace id is left for gunicorn's access line (written after the span ends).
TRACE_ID_ENVIRON_KEY = "wsgistack.trace_id"
NO_TRACE = "-"

_state = {"enabled": False}


def enabled() -> bool:
    return _state["enabled"]


def current_trace_id() -> str:
    """The trace id of the active span as 32 hex digits, or "-"."""
    if not _state["enabled"]:
        return NO_TRACE
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else NO_TRACE


def outgoing_headers() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) for a call to another service from within a request."""
    headers: dict[str, str] = {}
    if _state["enabled"]:
        from opentelemetry import propagate

        propagate.inject(headers)
    return headers


def _remember_trace_id(span: Any, environ: WSGIEnvironment) -> None:
    context = span.get_span_context()
    if context.is_valid:
        environ[TRACE_ID_ENVIRON_KEY] = format(context.trace_id, "032x")


class TraceResponseHeader:
    """Adds ``traceresponse`` (W3C Trace Context Level 2) naming the request's span, so the
    client can find its trace. Runs inside OpenTelemetry's middleware, where that span is
    current."""

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        from opentelemetry.instrumentation.propagators import TraceResponsePropagator

        self.wsgi_app = wsgi_app
        self.propagator = TraceResponsePropagator()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        extra: dict[str, str] = {}
        self.propagator.inject(extra)

        def start_with_trace(status: str, headers: Any, exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *extra.items()], exc_info)

        return self.wsgi_app(environ, start_with_trace)


def install_tracing(app: Flask, tracer_provider: TracerProvider) -> None:
    """Wrap ``app.wsgi_app`` in OpenTelemetry's WSGI middleware, spans going to
    ``tracer_provider`` (tests pass one with the SDK's in-memory exporter)."""
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    app.wsgi_app = OpenTelemetryMiddleware(  # type: ignore[method-assign]
        TraceResponseHeader(app.wsgi_app),
        request_hook=_remember_trace_id,
        tracer_provider=tracer_provider,
    )
    _state["enabled"] = True


def install_tracing_from_env(app: Flask) -> None:
    """``install_tracing`` with an OTLP exporter, when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set."""
    if not os.environ.get(ENDPOINT_ENV, "").strip():
        return
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as missing:
        raise RuntimeError(
            f"{ENDPOINT_ENV} is set but the OpenTelemetry packages are not installed: "
            "pip install 'wsgi-stack[otel]' (or unset it)"
        ) from missing
    service = os.environ.get("OTEL_SERVICE_NAME") or str(app.config.get("SERVICE_NAME", "app"))
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    # Batched in a background thread (the SDK restarts it in each forked gunicorn worker).
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    install_tracing(app, provider)
