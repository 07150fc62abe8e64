"""A raw-socket HTTP/1.x client for hostile input.

An HTTP library would repair, refuse or re-encode exactly the bytes these tests exist to send (bare
LF, NUL in a header, two Content-Lengths, an unencoded ``..``), so requests are written to the
socket as given and the reply is parsed by hand. The client reads at most one response and never
waits past its deadline: a server that hangs shows up as ``outcome == "timeout"``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

# How much of a response is kept: error pages are small, and a runaway reply must not eat memory.
MAX_RESPONSE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Pause:
    """A silence between two writes, for slow-header and slow-body cases."""

    seconds: float


@dataclass
class RawResult:
    """What came back. ``outcome`` is one of:

    ``response``  an HTTP/1.x status line (``status``, ``headers``, ``body`` are filled in);
    ``closed``    the server closed or reset the connection without sending a byte;
    ``http09``    bytes came back without a status line (an HTTP/0.9-style answer);
    ``timeout``   nothing conclusive before the deadline: the server is hanging on us.
    """

    outcome: str
    status: int | None = None
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    raw: bytes = b""
    elapsed: float = 0.0
    error: str = ""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def label(self) -> str:
        """The outcome as a corpus file spells an expectation: a status code or a word."""
        return str(self.status) if self.outcome == "response" else self.outcome

    def describe(self) -> str:
        head = self.raw[:300].decode("latin-1", "replace")
        return f"{self.label()} after {self.elapsed:.2f}s {self.error} {head!r}"


def send_raw(
    host: str,
    port: int,
    parts: Iterable[bytes | Pause],
    *,
    deadline: float,
    head_only: bool = False,
) -> RawResult:
    """Send ``parts`` on a fresh connection and read one response within ``deadline`` seconds.

    Writes stop quietly if the server closes early (it may reject a request line before the
    headers arrive); the reply, or the close, is what the caller judges.
    """
    started = time.monotonic()
    end = started + deadline
    with socket.create_connection((host, port), timeout=deadline) as sock:
        for part in parts:
            if isinstance(part, Pause):
                # A slow client: the server may give up on us during the pause; stop writing then.
                if _wait_readable(sock, min(part.seconds, max(end - time.monotonic(), 0))):
                    break
                continue
            try:
                sock.sendall(part)
            except OSError:
                break
        result = _read_response(sock, end, head_only)
    result.elapsed = time.monotonic() - started
    return result


def _wait_readable(sock: socket.socket, seconds: float) -> bool:
    """Sleep ``seconds`` unless the server speaks (or closes) first; True if it did."""
    sock.settimeout(max(seconds, 0.001))
    try:
        sock.recv(1, socket.MSG_PEEK)
    except TimeoutError:
        return False
    except OSError:
        return True
    return True


def _read_response(sock: socket.socket, end: float, head_only: bool) -> RawResult:
    data = bytearray()
    error = ""
    header_end = -1
    closed = False
    needed: int | None = None  # total bytes of a complete response, once the head says so
    while True:
        remaining = end - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except OSError as exc:  # ECONNRESET: the server dropped us, which counts as closed
            error = f"{type(exc).__name__}: {exc}"
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
        if len(data) >= MAX_RESPONSE_BYTES:
            break
        if header_end < 0:
            header_end = data.find(b"\r\n\r\n")
            if header_end >= 0:
                needed = _expected_length(bytes(data[:header_end]), header_end + 4, head_only)
        if needed is not None and needed >= 0 and len(data) >= needed:
            break
        if needed == -2 and data.endswith(b"0\r\n\r\n"):  # last chunk of a chunked body
            break
    raw = bytes(data)
    if not raw:
        return RawResult("closed" if closed else "timeout", raw=raw, error=error)
    if not raw.startswith(b"HTTP/"):
        return RawResult("http09" if closed else "timeout", raw=raw, body=raw, error=error)
    complete = header_end >= 0 and (
        (needed is not None and needed >= 0 and len(raw) >= needed)
        or (needed == -2 and raw.endswith(b"0\r\n\r\n"))
    )
    if not complete and not closed:
        # A status line arrived but the response never finished: the server hangs on us. (A
        # response cut off by a close is judged as the response it began.)
        return _parse(raw, "timeout", error)
    return _parse(raw, "response", error)


def _expected_length(head: bytes, body_start: int, head_only: bool) -> int:
    """Total length of the response (>= 0), -2 for chunked, -1 for read-until-close."""
    status_line, _, rest = head.partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if head_only or status in (204, 304) or 100 <= status < 200:
        return body_start
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"transfer-encoding" and b"chunked" in value.lower():
            return -2
        if key == b"content-length" and value.strip().isdigit():
            return body_start + int(value.strip())
    return -1


def _parse(raw: bytes, outcome: str, error: str) -> RawResult:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    if status is None:
        outcome = "http09"
    return RawResult(outcome, status, reason, headers, body, raw, error=error)


def dechunk(body: bytes) -> bytes:
    """The payload of a chunked body (best effort: a malformed one returns what parsed)."""
    out = bytearray()
    rest = body
    while rest:
        size_line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            break
        try:
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
        except ValueError:
            break
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)
