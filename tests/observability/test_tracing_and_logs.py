"""Traces with the SDK's in-memory exporter, and the log schema of the app's own lines."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from werkzeug.test import Client

from app import create_app
from flasklite import Flask
from tests.observability.schema import check_python_line
from wsgistack import tracing
from wsgistack.logfmt import JsonLineFormatter

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


@pytest.fixture
def traced() -> Iterator[tuple[Flask, InMemorySpanExporter, io.StringIO]]:
    app = create_app({"TESTING": True})
    seen: dict[str, Any] = {}

    @app.get("/calls-on")
    def calls_on() -> dict[str, Any]:
        seen["outgoing"] = tracing.outgoing_headers()
        app.logger.warning("calling the next service")
        return {"ok": True}

    app.extensions["seen"] = seen
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install_tracing(app, provider)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    app.logger.addHandler(handler)
    try:
        yield app, exporter, stream
    finally:
        app.logger.removeHandler(handler)
        tracing._state["enabled"] = False


def test_incoming_traceparent_is_continued_and_passed_on(
    traced: tuple[Flask, InMemorySpanExporter, io.StringIO],
) -> None:
    app, exporter, stream = traced
    response = Client(app).get("/calls-on", headers={"traceparent": TRACEPARENT}, buffered=True)
    assert response.status_code == 200
    (span,) = exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT_SPAN_ID
    # Passed on: to services this one calls, and back to the client.
    outgoing = app.extensions["seen"]["outgoing"]["traceparent"]
    assert outgoing.split("-")[1] == TRACE_ID and outgoing.split("-")[2] != PARENT_SPAN_ID
    assert TRACE_ID in response.headers["traceresponse"]
    # The app's log line of that request carries the trace id and the request id.
    (line,) = stream.getvalue().splitlines()
    record = check_python_line(line)
    assert record["trace_id"] == TRACE_ID
    assert record["request_id"] == response.headers["X-Request-ID"]


def test_without_traceparent_a_new_trace_starts(
    traced: tuple[Flask, InMemorySpanExporter, io.StringIO],
) -> None:
    app, exporter, _stream = traced
    Client(app).get("/_probe/text", buffered=True)
    (span,) = exporter.get_finished_spans()
    assert span.parent is None and span.context.trace_id != 0


def test_tracing_stays_off_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(tracing.ENDPOINT_ENV, raising=False)
    app = create_app({"TESTING": True})
    response = Client(app).get("/_probe/text", headers={"traceparent": TRACEPARENT})
    assert "traceresponse" not in response.headers
    assert not tracing.enabled()


def test_endpoint_turns_tracing_on() -> None:
    # In a process of its own: the global tracer provider can be set once per process. Nothing
    # listens at the endpoint; spans are batched in the background and dropped.
    code = (
        "from werkzeug.test import Client; from app import create_app; "
        f"r = Client(create_app()).get('/_probe/text', headers={{'traceparent': {TRACEPARENT!r}}}); "
        "print(r.headers.get('traceresponse'))"
    )
    env = {
        **os.environ,
        tracing.ENDPOINT_ENV: "http://127.0.0.1:9",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert TRACE_ID in done.stdout


def test_line_without_request_or_trace_has_placeholders() -> None:
    record = logging.makeLogRecord(
        {
            "name": "app",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "hi %s",
            "args": ("x",),
        }
    )
    entry = check_python_line(JsonLineFormatter().format(record))
    assert entry["message"] == "hi x" and entry["request_id"] == "-"
    assert "trace_id" not in entry


def test_exception_and_extra_fields_are_kept() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("app").makeRecord(
            "app",
            logging.ERROR,
            __file__,
            1,
            "failed",
            (),
            __import__("sys").exc_info(),
            extra={"request_id": "rid-1", "order": 7},
        )
    entry = json.loads(JsonLineFormatter().format(record))
    assert entry["request_id"] == "rid-1" and entry["order"] == 7
    assert "ValueError: boom" in entry["exception"] and entry["level"] == "ERROR"
