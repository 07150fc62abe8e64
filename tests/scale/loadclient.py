"""A small, bounded load generator for the scale-out tests: GETs to 127.0.0.1 from a few threads.

Every request is recorded (status, X-Served-By, phase), so a test can say which replicas served
and whether anything failed while it scaled or rolled the service. Bounded three ways: a request
budget, a wall-clock limit, and a pause between requests so two shared cores are not saturated.
Each request uses its own connection: a keep-alive connection closed by nginx between two
requests would show up here as a failure that a browser would have retried silently.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    phase: str
    status: int  # 0 when no HTTP response came back at all
    served_by: str
    seconds: float = 0.0  # how long the request took (reported, never asserted)
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status != 200


@dataclass
class LoadClient:
    port: int
    path: str = "/_probe/text"
    threads: int = 3
    pause: float = 0.02  # per thread, between requests: ~150 requests/s at most in all
    max_requests: int = 30_000
    max_seconds: float = 240.0
    request_timeout: float = 15.0
    host: str = "127.0.0.1"  # loopback only: the published port of a stack this test started
    outcomes: list[Outcome] = field(default_factory=list)
    phase: str = "start"

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._deadline = 0.0

    # --- running ----------------------------------------------------------------------------
    def __enter__(self) -> LoadClient:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self._deadline = time.monotonic() + self.max_seconds
        for i in range(self.threads):
            worker = threading.Thread(target=self._run, name=f"load-{i}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=self.request_timeout + 5)

    def set_phase(self, phase: str) -> None:
        with self._lock:
            self.phase = phase

    def _budget_left(self) -> bool:
        with self._lock:
            return len(self.outcomes) < self.max_requests and time.monotonic() < self._deadline

    def _run(self) -> None:
        while not self._stop.is_set() and self._budget_left():
            phase = self.phase
            self._record(self.request_once(phase))
            self._stop.wait(self.pause)

    def request_once(self, phase: str) -> Outcome:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.request_timeout)
        started = time.monotonic()
        try:
            connection.request("GET", self.path, headers={"Connection": "close"})
            response = connection.getresponse()
            response.read()
            served_by = response.getheader("X-Served-By", "")
            return Outcome(phase, response.status, served_by, time.monotonic() - started)
        except (OSError, http.client.HTTPException) as error:
            message = f"{type(error).__name__}: {error}"
            return Outcome(phase, 0, "", time.monotonic() - started, message)
        finally:
            connection.close()

    def _record(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    # --- reading the results ----------------------------------------------------------------
    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)

    def served_by(self, phase: str | None = None) -> Counter[str]:
        return Counter(
            o.served_by
            for o in self.snapshot()
            if not o.failed and (phase is None or o.phase == phase)
        )

    def failures(self) -> list[Outcome]:
        return [o for o in self.snapshot() if o.failed]

    def wait_until(self, condition: str, predicate: Callable[[], bool], timeout: float) -> None:
        """Poll ``predicate()`` while the load runs; fail with ``condition`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if not any(w.is_alive() for w in self._workers):
                break  # request budget or time limit used up
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting until {condition}; {self.summary()}")

    def summary(self) -> str:
        outcomes = self.snapshot()
        phases = Counter(o.phase for o in outcomes)
        failed = [o for o in outcomes if o.failed]
        replicas = Counter(o.served_by for o in outcomes if not o.failed)
        sample = "; ".join(f"{o.phase}: {o.status} {o.error}" for o in failed[:5])
        slowest = {
            phase: round(max(o.seconds for o in outcomes if o.phase == phase), 2)
            for phase in phases
        }
        return (
            f"{len(outcomes)} requests {dict(phases)}, {len(failed)} failed"
            f"{' (' + sample + ')' if sample else ''}, served by {dict(replicas)}, "
            f"slowest request per phase (s) {slowest}"
        )
