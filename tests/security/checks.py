"""What every answer of the stack must (not) contain, shared by the security tests.

The rules: security headers on every HTTP response (errors included), no software versions, no
traceback, no 5xx unless a case names that exact code as the protocol's answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tests.security.rawhttp import RawResult

# Set by nginx (nginx/snippets/security-headers.conf) with `always`, so error pages carry them.
SECURITY_HEADERS: dict[str, str | None] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": None,  # any value: the policy is the site's choice, its presence is not
    "Content-Security-Policy": None,  # its directives are checked in tests/edge
}

# Text that gives away software versions or internals.
VERSION_PATTERNS = [
    re.compile(rb"nginx/\d", re.I),
    re.compile(rb"gunicorn/\d", re.I),
    re.compile(rb"werkzeug/\d", re.I),
    re.compile(rb"python/\d", re.I),
    re.compile(rb"flask/\d", re.I),
    re.compile(rb"debian|ubuntu", re.I),
]
# In headers even the bare name is too much: it says nginx is not the only thing answering.
HEADER_ONLY_PATTERNS = [re.compile(rb"gunicorn|werkzeug", re.I)]
TRACEBACK_PATTERNS = [
    re.compile(rb"Traceback \(most recent call last\)"),
    re.compile(rb'File "[^"]+", line \d+'),
    re.compile(rb"__debugger__|werkzeug\.debug|Werkzeug Debugger"),
]


def problems_with_response(result: RawResult) -> list[str]:
    """Everything wrong with one HTTP response, as sentences (empty when it is clean)."""
    found: list[str] = []
    if result.outcome != "response":
        return found
    for name, value in SECURITY_HEADERS.items():
        got = result.header(name)
        if got is None:
            found.append(f"{result.status} lacks security header {name}")
        elif value is not None and got.lower() != value.lower():
            found.append(f"{result.status} has {name}: {got!r}, expected {value!r}")
    head = "\r\n".join(f"{k}: {v}" for k, v in result.headers).encode("latin-1", "replace")
    for pattern in VERSION_PATTERNS + HEADER_ONLY_PATTERNS:
        for where, blob in (("headers", head), ("body", result.body)):
            if where == "body" and pattern in HEADER_ONLY_PATTERNS:
                continue
            match = pattern.search(blob)
            if match:
                found.append(f"{result.status} reveals {match.group(0)!r} in its {where}")
    for pattern in TRACEBACK_PATTERNS:
        if pattern.search(result.body):
            found.append(f"{result.status} body contains a traceback or debugger marker")
    return found


def problems_with_outcome(
    result: RawResult, expect: Iterable[str], must_not_contain: Iterable[str] = ()
) -> list[str]:
    """``problems_with_response`` plus: the outcome is one of ``expect``, never a timeout or an
    unexpected 5xx, and none of ``must_not_contain`` came back."""
    expected = set(expect)
    found = []
    if result.outcome == "timeout":
        found.append(f"no answer and no close before the deadline: {result.describe()}")
    elif result.label() not in expected:
        found.append(f"got {result.describe()}, expected one of {sorted(expected)}")
    if result.status is not None and result.status >= 500 and str(result.status) not in expected:
        found.append(f"server error {result.status}")
    for text in must_not_contain:
        if text.encode("latin-1") in result.raw:
            found.append(f"the reply contains {text!r}: the request reached a file it must not")
    return found + problems_with_response(result)
