"""JSON request bodies read with a bounded amount of work, per route class.

``request.get_json()`` parses whatever fits under MAX_CONTENT_LENGTH (10 MB): one body of
700,000 keys made a worker allocate hundreds of megabytes. Here each route class states how
many bytes, how deep and how many members it accepts; a declared Content-Length over the limit
is refused before the body is read, the bytes are counted and scanned before ``json.loads`` sees
them, and numbers are length-checked before they are converted. So the memory one request can
cost a worker is bounded by ``max_bytes`` times a small factor (docs/capacity.md states it and
tests/security/test_json_bounds.py measures it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from flasklite import Request, abort


@dataclass(frozen=True)
class JsonLimits:
    """What one JSON body of a route class may contain."""

    max_bytes: int
    max_depth: int
    # Separators outside strings (each ``:`` and ``,``): an object of n keys has 2n - 1.
    max_members: int
    # Digits and signs of one number: int("9" * 4300) alone costs milliseconds of CPU.
    max_number_chars: int = 24


# Small records (an item): a few fields, one level deep, a few hundred bytes in real use.
RECORD = JsonLimits(max_bytes=16 * 1024, max_depth=4, max_members=128)

# One token the scanner cares about: a whole string (possessive, so a string without its closing
# quote is consumed in one pass instead of being rescanned from every quote: linear time), or a
# structural character outside strings.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|[\[\]{},:]')
_OPEN = frozenset(b"[{")
DISCARD_CHUNK = 64 * 1024
_CLOSE = frozenset(b"]}")


def refuse(code: int, message: str) -> NoReturn:
    abort(code, description=message)


def discard_body(request: Request) -> None:
    """Read the rest of the body and throw it away, a chunk at a time (memory stays one chunk).

    Answering before the body is read makes gunicorn close the connection while nginx is still
    sending it, and nginx then turns the 413 into a 502. The body is already limited to
    MAX_CONTENT_LENGTH by nginx and the framework, so this costs bounded time.
    """
    stream = request.stream
    while stream.read(DISCARD_CHUNK):
        pass


def read_body(request: Request, limits: JsonLimits) -> bytes:
    """The request body, at most ``limits.max_bytes`` of it (413 past that, before reading a
    declared length, after ``max_bytes + 1`` bytes of a chunked one)."""
    too_large = f"The JSON body is larger than this endpoint accepts ({limits.max_bytes} bytes)."
    declared = request.content_length
    if declared is not None:
        if declared > limits.max_bytes:
            discard_body(request)
            refuse(413, too_large)
        data = request.get_data(cache=False)
    else:  # chunked: no length up front, so read one byte past the limit at most
        data = request.stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        refuse(413, too_large)
    return bytes(data)


def check_shape(data: bytes, limits: JsonLimits) -> None:
    """Depth and member count from one linear scan, before anything is built."""
    depth = members = 0
    for match in _TOKENS.finditer(data):
        first = data[match.start()]
        if first in _OPEN:
            depth += 1
            if depth > limits.max_depth:
                refuse(400, f"The JSON body is nested deeper than {limits.max_depth} levels.")
        elif first in _CLOSE:
            depth -= 1
        elif first != 0x22:  # ``:`` or ``,`` (0x22 is a string's opening quote)
            members += 1
            if members > limits.max_members:
                refuse(400, f"The JSON body has more than {limits.max_members} members.")


class NumberTooLong(Exception):
    """A number token longer than the route class accepts (raised from inside json.loads)."""


def _bounded_number(limits: JsonLimits, convert: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        if len(text) > limits.max_number_chars:
            raise NumberTooLong
        return convert(text)

    return parse


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _has_lone_surrogate(value: Any) -> bool:
    """True if a string anywhere in ``value`` holds half a UTF-16 pair (``"\\ud800"``), which
    no UTF-8 encoder, database or log line will take. The walk is bounded by check_shape."""
    if isinstance(value, dict):
        return any(map(_has_lone_surrogate, value)) or any(map(_has_lone_surrogate, value.values()))
    if isinstance(value, list):
        return any(map(_has_lone_surrogate, value))
    # Lone surrogates are exactly what a strict UTF-8 encoder refuses.
    return isinstance(value, str) and value.encode("utf-8", "surrogatepass") != value.encode(
        "utf-8", "replace"
    )


def parse_json(data: bytes, limits: JsonLimits) -> Any:
    """``data`` as JSON within ``limits``; any violation is a 400 with a short message."""
    if len(data) > limits.max_bytes:
        refuse(
            413, f"The JSON body is larger than this endpoint accepts ({limits.max_bytes} bytes)."
        )
    check_shape(data, limits)
    try:
        text = data.decode("utf-8")
        value = json.loads(
            text,
            parse_int=_bounded_number(limits, int),
            parse_float=_bounded_number(limits, float),
            parse_constant=_no_constant,
        )
    except NumberTooLong:
        refuse(400, f"The JSON body has a number longer than {limits.max_number_chars} characters.")
    except (ValueError, RecursionError):
        refuse(400, "The request body is not valid JSON.")
    if _has_lone_surrogate(value):
        refuse(400, "The JSON body has a string with an unpaired surrogate (\\ud800-\\udfff).")
    return value


def read_json(request: Request, limits: JsonLimits) -> Any:
    """The request's JSON body within ``limits`` (400 for a non-JSON Content-Type)."""
    if not request.is_json:
        refuse(400, "Expected a JSON body with Content-Type: application/json.")
    return parse_json(read_body(request, limits), limits)
