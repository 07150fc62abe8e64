"""The one log schema (wsgistack/logfmt.py), checked line by line."""

from __future__ import annotations

import json
import re
from typing import Any

from wsgistack.logfmt import ACCESS_FIELDS, COMMON_FIELDS

LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
# Python writes milliseconds and +00:00; nginx's $time_iso8601 whole seconds and its offset.
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?[+-]\d\d:\d\d")
TRACE_ID = re.compile(r"[0-9a-f]{32}|-")


def check_common(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError:
        raise AssertionError(f"not a JSON line: {line!r}") from None
    assert isinstance(record, dict), line
    missing = [name for name in COMMON_FIELDS if name not in record]
    assert not missing, f"{missing} missing from {line}"
    assert TIME.fullmatch(record["time"]), line
    assert record["level"] in LEVELS, line
    assert isinstance(record["request_id"], str) and record["request_id"], line
    assert isinstance(record["pid"], int), line
    if "trace_id" in record:
        assert TRACE_ID.fullmatch(record["trace_id"]), line
    return record


def check_python_line(line: str) -> dict[str, Any]:
    record = check_common(line)
    assert list(record)[: len(COMMON_FIELDS)] == list(COMMON_FIELDS), line
    if record.get("type") == "access":
        assert set(ACCESS_FIELDS) <= record.keys(), line
        assert isinstance(record["status"], int) and isinstance(record["duration_ms"], float)
    return record


def check_nginx_access_line(line: str) -> dict[str, Any]:
    record = check_common(line)
    assert record["logger"] == "nginx.access" and record["type"] == "access", line
    return record
