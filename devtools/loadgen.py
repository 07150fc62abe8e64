"""A small HTTP/1.1 load client for the capacity scenarios: a fixed number of requests at a fixed
concurrency, over keep-alive connections, optionally paced to a target rate.

One asyncio loop, so a thousand requests a second cost the test process little of the shared
CPU. Each connection sends its next request when the previous answer is read; a connection that
breaks (refused, reset, closed without an answer, timed out) is an *error*, reconnected before
the next request. Every answer and error is kept with its latency, so a scenario can say what
the stack did to every single request.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int  # 0 for an error (no HTTP answer)
    latency: float
    retry_after: str | None = None
    body_size: int = 0
    error: str = ""


@dataclass
class LoadReport:
    answers: list[Answer] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def sent(self) -> int:
        return len(self.answers)

    def statuses(self) -> Counter[int]:
        return Counter(a.status for a in self.answers)

    def errors(self) -> list[Answer]:
        return [a for a in self.answers if a.status == 0]

    def latencies(self, status: int) -> list[float]:
        return sorted(a.latency for a in self.answers if a.status == status)

    def percentile(self, status: int, fraction: float) -> float:
        values = self.latencies(status)
        if not values:
            return 0.0
        return values[min(len(values) - 1, math.ceil(fraction * len(values)) - 1)]

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed if self.elapsed else 0.0

    def summary(self) -> str:
        counts = ", ".join(
            f"{status or 'error'}: {n}" for status, n in sorted(self.statuses().items())
        )
        return f"{self.sent} requests in {self.elapsed:.1f}s ({self.rate:.0f}/s): {counts}"


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], int]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    size = 0
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            chunk_size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(chunk_size + 2)
            size += chunk_size
            if chunk_size == 0:
                break
    elif "content-length" in headers:
        size = int(headers["content-length"])
        await reader.readexactly(size)
    return status, headers, size


async def _run(
    url: str,
    path: str,
    total: int,
    concurrency: int,
    rate: float | None,
    timeout: float,
    backoff_503: float,
) -> LoadReport:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: wsgi-stack-loadgen\r\n\r\n"
    ).encode()
    report = LoadReport()
    remaining = total
    started = time.monotonic()
    # With a rate, request number n is due at started + n / rate (spread over all connections).
    sequence = 0

    async def connection() -> None:
        nonlocal remaining, sequence
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while remaining > 0:
            remaining -= 1
            number = sequence
            sequence += 1
            if rate:
                delay = started + number / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            begin = time.monotonic()
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(host, port), timeout
                    )
                assert reader is not None
                writer.write(request)
                status, headers, size = await asyncio.wait_for(_read_answer(reader), timeout)
                report.answers.append(
                    Answer(status, time.monotonic() - begin, headers.get("retry-after"), size)
                )
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    writer = None
                if status == 503 and backoff_503:
                    await asyncio.sleep(backoff_503)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:200]
                report.answers.append(Answer(0, time.monotonic() - begin, error=error))
                if writer is not None:
                    writer.close()
                writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    report.elapsed = time.monotonic() - started
    return report


def run_load(
    url: str,
    path: str,
    *,
    total: int,
    concurrency: int,
    rate: float | None = None,
    timeout: float = 15.0,
    backoff_503: float = 0.0,
) -> LoadReport:
    """GET ``path`` ``total`` times over ``concurrency`` keep-alive connections (at most
    ``rate`` requests a second when given). ``backoff_503``: seconds a connection waits after a
    503 before its next request, as a client honouring Retry-After briefly would."""
    return asyncio.run(_run(url, path, total, concurrency, rate, timeout, backoff_503))
