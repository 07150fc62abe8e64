"""Fault scenarios against the native stack (nginx -> gunicorn on loopback), with a verdict table.

``make resilience`` (``python -m devtools.resilience``) runs every scenario and prints::

    scenario | requests sent | failed | expected | verdict

``tests/faults/`` calls the same functions and asserts on the verdicts, so the table and the tests
can never disagree. Each scenario starts its own stack (they kill and stop things), bounds its load
by count and time, and stops everything in ``finally``.

Load is a small pool of threads on loopback, one fresh connection a request (so a client-side
keep-alive race is never counted as a server failure), lightly paced: the machine is shared.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Every wait in this module is bounded; these are the margins added to the configured timeouts.
REQUEST_TIMEOUT = 15.0  # one request through the stack, hung handler excluded
MARGIN = 10.0  # slack on top of a configured timeout before "it did not happen" is the verdict
PACE = 0.02  # seconds between requests of one load thread (about 50 requests/s per thread)


# --- A bounded load client ----------------------------------------------------------------------
@dataclass
class Outcome:
    started: float
    ended: float
    status: int | None
    error: str = ""
    served_by: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


def request(
    url: str,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> tuple[Outcome, bytes, dict[str, str]]:
    """One request on a fresh connection; never raises for network errors (they are outcomes)."""
    parts = urlsplit(url)
    started = time.monotonic()
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        data = response.read()
        response_headers = {k.lower(): v for k, v in response.getheaders()}
        outcome = Outcome(
            started, time.monotonic(), response.status, "", response_headers.get("x-served-by")
        )
        return outcome, data, response_headers
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(started, time.monotonic(), None, f"{type(exc).__name__}: {exc}"), b"", {}
    finally:
        conn.close()


class Load:
    """``threads`` clients requesting ``paths`` in turn until stopped, ``max_requests`` is
    reached, or ``max_seconds`` pass. Use as a context manager; ``outcomes`` holds every result."""

    def __init__(
        self,
        url: str,
        paths: Sequence[str] = ("/_probe/text", "/_probe/number/1", "/healthz"),
        *,
        threads: int = 4,
        max_requests: int = 5000,
        max_seconds: float = 60.0,
        pace: float = PACE,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.url = url
        self.paths = list(paths)
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.pace = pace
        self.timeout = timeout
        self.outcomes: list[Outcome] = []
        self._in_flight: dict[int, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True, name=f"load-{i}")
            for i in range(threads)
        ]

    def __enter__(self) -> Load:
        self._deadline = time.monotonic() + self.max_seconds
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + MARGIN)
        return self.outcomes

    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        """Block until at least ``count`` requests have completed (bounded)."""
        end = time.monotonic() + timeout
        while len(self.outcomes) < count and time.monotonic() < end:
            time.sleep(0.05)

    def _run(self, index: int) -> None:
        turn = index
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            with self._lock:
                if len(self.outcomes) + len(self._in_flight) >= self.max_requests:
                    return
                ident = threading.get_ident()
                self._in_flight[ident] = time.monotonic()
            path = self.paths[turn % len(self.paths)]
            turn += 1
            outcome, _, _ = request(self.url, path, timeout=self.timeout)
            with self._lock:
                del self._in_flight[ident]
                self.outcomes.append(outcome)
            self._stop.wait(self.pace)

    def served_by(self, instance: str, since: int = 0) -> bool:
        """True if a request after the first ``since`` was answered by ``instance``."""
        return any(o.ok and o.served_by == instance for o in self.outcomes[since:])

    @property
    def sent(self) -> int:
        return len(self.outcomes)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


# --- Process and socket facts from /proc (Linux) -----------------------------------------------
def children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (gunicorn's workers, for a master pid)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _socket_inodes(pid: int) -> set[int]:
    inodes: set[int] = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        names = list(fd_dir.iterdir())
    except OSError:
        return inodes
    for fd in names:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def established_connections(pid: int, local_port: int) -> int:
    """TCP connections to ``local_port`` held open by process ``pid`` (ESTABLISHED, state 01).

    For a gunicorn worker this is every connection it has accepted and not closed: the requests
    in flight on it plus idle keep-alive connections from nginx, an upper bound on what dies with
    it when it is killed.
    """
    inodes = _socket_inodes(pid)
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            port = int(cols[1].rsplit(":", 1)[1], 16)
            if port == local_port and cols[3] == "01" and int(cols[9]) in inodes:
                count += 1
    return count


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def port_of(url: str) -> int:
    port = urlsplit(url).port
    if port is None:
        raise ValueError(f"{url} has no port")
    return port


def refuses_connections(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1.0):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def json_error_code(body: bytes) -> int | None:
    """The ``error.code`` of one of the stack's JSON error pages, else None."""
    try:
        document = json.loads(body)
        return int(document["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


# nginx adds these with `always` (nginx/snippets/security-headers.conf): its own error pages must
# carry them like every other response.
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "referrer-policy")


def error_page_gaps(headers: Mapping[str, str], body: bytes) -> list[str]:
    """What an nginx error page lacks or leaks: security headers, versions."""
    gaps = [f"no {name}" for name in SECURITY_HEADERS if name not in headers]
    if re.search(rb"nginx/\d|gunicorn|Traceback", body):
        gaps.append("version or traceback in the body")
    return gaps


# --- Scenarios -------------------------------------------------------------------------------
@dataclass
class ScenarioResult:
    name: str
    sent: int
    failed: int
    expected: str
    passed: bool
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


def _native_stack(**kwargs: Any) -> Any:
    # Imported here so `--help` and the table code work without the stack module's prerequisites.
    from devtools.native_stack import NativeStack

    return NativeStack(**kwargs)


DIAG_ENV = {"APP_DIAGNOSTICS": "1"}
# Workers recycled by max_requests would look like replaced workers; the scenarios that count
# worker pids switch it off.
NO_RECYCLING = {"GUNICORN_MAX_REQUESTS": "0", "GUNICORN_MAX_REQUESTS_JITTER": "0"}


@contextmanager
def _started(stack: Any) -> Iterator[Any]:
    """Run ``stack`` for the block; stop it and remove its run directory even on failure."""
    try:
        with stack:
            yield stack
    finally:
        stack.cleanup()


def worker_sigkill() -> ScenarioResult:
    """SIGKILL one gunicorn worker under load: the master replaces it; only the requests in
    flight on that worker may fail (at most its open connections), everything after succeeds."""
    name = "worker SIGKILL under load"
    notes: list[str] = []
    # No max_requests recycling: a new worker pid must mean the kill, nothing else.
    gunicorn_env = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4", **NO_RECYCLING}
    with _started(_native_stack(app_env=DIAG_ENV, gunicorn_env=gunicorn_env)) as stack:
        master = stack.gunicorn_pids[0]
        upstream_port = port_of(stack.gunicorn_urls[0])
        if not wait_until(lambda: len(children(master)) == 2, 20):
            return ScenarioResult(name, 0, 0, "2 workers", False, ["workers never came up"])
        # Slow requests keep several in flight on each worker at the moment of the kill.
        paths = ("/_diag/sleep?seconds=0.5", "/_probe/text", "/_probe/number/1")
        with Load(stack.url, paths, threads=8, max_seconds=40) as load:
            load.wait_for(20)
            victim = min(children(master))
            open_on_victim = established_connections(victim, upstream_port)
            in_flight = load.in_flight()
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            replaced = wait_until(
                lambda: len(children(master)) == 2 and victim not in children(master), 30
            )
            # Keep the load on a while after the replacement booted: these must all succeed.
            after = len(load.outcomes)
            load.wait_for(after + 40)
            outcomes = load.stop()
    failures = [o for o in outcomes if not o.ok]
    # A request that started after the kill was never on the dead worker: it must succeed.
    after_kill = [o for o in failures if o.started > killed_at]
    notes.append(
        f"victim pid {victim}: {open_on_victim} connections open, {in_flight} requests in "
        f"flight overall at the kill; replaced: {replaced}; failures that started after "
        f"the kill: {len(after_kill)}"
    )
    if failures:
        notes.append("failures: " + "; ".join(sorted({o.error or str(o.status) for o in failures})))
    passed = replaced and len(failures) <= open_on_victim and not after_kill
    expected = f"<= {open_on_victim} (connections open on the killed worker)"
    return ScenarioResult(name, len(outcomes), len(failures), expected, passed, notes)


def hung_handler(worker_class: str = "gthread") -> ScenarioResult:
    """A handler that never returns, under light load: nginx answers 504 with its JSON error
    page once proxy_read_timeout passes, and the other requests keep succeeding.

    With ``sync`` workers gunicorn's worker timeout (GUNICORN_TIMEOUT) also fires: the stuck
    worker is killed and replaced. With ``gthread`` (the default) it cannot: the worker's main
    loop keeps heart-beating while one thread is stuck, so that thread stays busy until the
    handler returns, and the worker is *not* replaced. Both are checked, since both are what a
    copier of this template gets depending on GUNICORN_WORKER_CLASS.
    """
    name = f"hanging handler -> 504 ({worker_class})"
    notes: list[str] = []
    # nginx gives up before gunicorn does, so the client sees nginx's 504, not a dropped 502.
    read_timeout, worker_timeout = 2, 4
    gunicorn_env = {
        "WEB_CONCURRENCY": "2",
        "GUNICORN_WORKER_CLASS": worker_class,
        # gunicorn silently upgrades `sync` to gthread when threads > 1.
        "GUNICORN_THREADS": "1" if worker_class == "sync" else "4",
        "GUNICORN_TIMEOUT": str(worker_timeout),
        **NO_RECYCLING,
    }
    directives = {"proxy_read_timeout": f"{read_timeout}s"}
    stack = _native_stack(app_env=DIAG_ENV, gunicorn_env=gunicorn_env, nginx_directives=directives)
    hang: dict[str, Any] = {}
    with _started(stack):
        master = stack.gunicorn_pids[0]
        wait_until(lambda: len(children(master)) == 2, 20)
        workers_before = children(master)
        configured = stack_setting(stack, "proxy_read_timeout", 60.0)

        def hang_once() -> None:
            outcome, body, headers = request(
                stack.url,
                "/_diag/sleep?seconds=60",
                headers={"Accept": "application/json"},
                timeout=configured + MARGIN,
            )
            hang.update(outcome=outcome, body=body, headers=headers)

        hanger = threading.Thread(target=hang_once, daemon=True)
        with Load(
            stack.url, ("/_probe/text", "/_probe/number/1"), threads=2, max_seconds=60
        ) as load:
            hanger.start()
            hanger.join(configured + 2 * MARGIN)
            if worker_class == "sync":
                # The worker timeout fires a little after nginx's; wait for the replacement.
                wait_until(
                    lambda: len(children(master)) == 2 and children(master) != workers_before,
                    worker_timeout + MARGIN,
                )
            load.wait_for(len(load.outcomes) + 20)
            outcomes = load.stop()
        workers_after = children(master)
    hanged: Outcome | None = hang.get("outcome")
    status = hanged.status if hanged else None
    json_code = json_error_code(hang.get("body", b""))
    replaced = bool(workers_before - workers_after) and len(workers_after) == 2
    failures = [o for o in outcomes if not o.ok]
    waited = (hanged.ended - hanged.started) if hanged else 0.0
    notes.append(
        f"hung request -> {status} (JSON error code {json_code}) after {waited:.1f}s; "
        f"proxy_read_timeout {configured:g}s, GUNICORN_TIMEOUT {worker_timeout}s; "
        f"worker replaced: {replaced}"
    )
    if failures:
        notes.append("failures: " + "; ".join(sorted({o.error or str(o.status) for o in failures})))
    # gthread: the stuck thread's worker stays (see the docstring); sync: it must be replaced.
    replacement_ok = replaced if worker_class == "sync" else not replaced
    gaps = error_page_gaps(hang.get("headers", {}), hang.get("body", b""))
    if gaps:
        notes.append("504 page: " + ", ".join(gaps))
    passed = status == 504 and json_code == 504 and replacement_ok and not failures and not gaps
    sent = len(outcomes) + 1
    failed = len(failures) + (0 if status == 504 else 1)
    expected = "0 + the hung one: 504 JSON, " + (
        "worker replaced" if worker_class == "sync" else "worker kept (thread busy)"
    )
    return ScenarioResult(name, sent, failed, expected, passed, notes)


def app_down() -> ScenarioResult:
    """gunicorn stopped: nginx answers its 502 page at once; once gunicorn is back, nginx serves
    again without a restart or reload (same master and worker pids)."""
    name = "app stopped -> 502, then back"
    notes: list[str] = []
    with _started(_native_stack()) as stack:
        nginx_before = {stack.nginx_pid, *children(stack.nginx_pid)}
        stack.stop_replica(0)
        down = [
            request(stack.url, "/_probe/number/1", headers={"Accept": "application/json"})
            for _ in range(5)
        ]
        stack.start_replica(0)
        up: list[Outcome] = []

        def serving() -> bool:
            outcome, _, _ = request(stack.url, "/_probe/number/1")
            up.append(outcome)
            return outcome.status == 200

        back = wait_until(serving, 30, interval=0.2)
        nginx_after = {stack.nginx_pid, *children(stack.nginx_pid)}
    bad_down = [
        o
        for o, body, headers in down
        if o.status != 502 or json_error_code(body) != 502 or error_page_gaps(headers, body)
    ]
    slowest = max(o.ended - o.started for o, _, _ in down)
    notes.append(
        f"while down: {[o.status for o, _, _ in down]} (slowest {slowest:.2f}s); back after "
        f"{len(up)} probes; nginx processes unchanged: {nginx_before == nginx_after}"
    )
    passed = not bad_down and back and nginx_before == nginx_after
    sent = len(down) + len(up)
    failed = len(bad_down) + (0 if back else 1)
    return ScenarioResult(name, sent, failed, "0 (5 x 502 page, then 200)", passed, notes)


def probe_new_connection(url: str, timeout: float) -> str:
    """Open a new connection to ``url`` and send a GET: ``refused``, ``reset`` (accepted by the
    kernel but closed without an answer) or ``served <status>``."""
    parts = urlsplit(url)
    try:
        sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    except ConnectionRefusedError:
        return "refused"
    except OSError as exc:
        return f"error {exc}"
    with sock:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
            head = sock.recv(64)
        except (ConnectionResetError, BrokenPipeError):
            return "reset"
        except TimeoutError:
            return "hung"
    if not head:
        return "reset"
    return "served " + head.split(b" ", 2)[1].decode("latin-1", "replace")


def graceful_sigterm() -> ScenarioResult:
    """SIGTERM to gunicorn with slow requests in flight: they complete, the draining gunicorn
    serves no new connection, and the master exits within graceful_timeout.

    A new connection during the drain is not refused outright: each worker keeps the listening
    socket it inherited open until it exits, so the kernel still queues new connections and
    resets them when the last worker closes it. The probe records which of the two it saw; both
    mean "not served here", which is what lets nginx retry it on another replica.
    """
    name = "graceful SIGTERM, slow requests in flight"
    notes: list[str] = []
    slow_seconds = 6
    grace = 15
    gunicorn_env = {"WEB_CONCURRENCY": "1", "GUNICORN_GRACEFUL_TIMEOUT": str(grace)}
    results: list[tuple[Outcome, bytes]] = []
    with _started(_native_stack(app_env=DIAG_ENV, gunicorn_env=gunicorn_env)) as stack:
        direct = stack.gunicorn_urls[0]
        master = stack.gunicorn_pids[0]
        port = port_of(direct)

        def slow() -> None:
            outcome, body, _ = request(direct, f"/_diag/sleep?seconds={slow_seconds}", timeout=60)
            results.append((outcome, body))

        threads = [threading.Thread(target=slow, daemon=True) for _ in range(3)]
        for thread in threads:
            thread.start()
        workers = children(master)
        # In flight = accepted by a worker (not merely queued in the listen backlog).
        started = wait_until(
            lambda: sum(established_connections(w, port) for w in workers) >= 3, 10
        )
        error_log = Path(stack.logs_dir) / "gunicorn-0.error.log"
        os.kill(master, signal.SIGTERM)
        signalled = time.monotonic()
        # The probe must come after the workers stopped accepting: the master logs the signal,
        # and a gthread worker notices within its 1-second poll. The slow requests still run.
        wait_until(lambda: "Handling signal: term" in error_log.read_text(errors="replace"), 5)
        time.sleep(1.2)
        probe = probe_new_connection(direct, grace + MARGIN)
        probe_after = time.monotonic() - signalled
        for thread in threads:
            thread.join(grace + MARGIN)
        exited = wait_until(lambda: not alive(master), grace + MARGIN)
        exit_after = time.monotonic() - signalled
    completed = [o for o, body in results if o.status == 200 and body.startswith(b"slept")]
    notes.append(
        f"in flight: {started}; completed {len(completed)}/3; a new connection during the "
        f"drain: {probe} (after {probe_after:.1f}s); master exited after {exit_after:.1f}s "
        f"(graceful_timeout {grace}s)"
    )
    not_served = probe in ("refused", "reset")
    passed = started and len(completed) == 3 and exited and not_served
    failed = 3 - len(completed)
    return ScenarioResult(
        name, 3, failed, "0; new connection refused/reset, not served", passed, notes
    )


def rolling_restart() -> ScenarioResult:
    """Two gunicorn replicas behind one nginx, restarted one at a time under continuous load:
    nginx retries idempotent requests on the other replica, so zero requests fail."""
    name = "rolling restart of 2 replicas under load"
    notes: list[str] = []
    with _started(_native_stack(replicas=2)) as stack, Load(stack.url, max_seconds=90) as load:
        settle = upstream_fail_timeout(stack)
        notes.append(f"settle time between replicas: {settle:g}s (upstream fail_timeout)")
        load.wait_for(30)
        for index in range(2):
            # stop_replica drains (SIGTERM, waits for exit); nginx must route around it.
            stack.stop_replica(index)
            load.wait_for(len(load.outcomes) + 20)  # traffic while this replica is down
            stack.start_replica(index)
            # A rolling restart moves on only once the new instance takes traffic again (here:
            # nginx has routed a request to it), as an orchestrator's readiness gate would.
            instance = f"native-{index}"
            mark = len(load.outcomes)
            back = wait_until(functools.partial(load.served_by, instance, mark), 30)
            notes.append(f"{instance} back in rotation: {back}")
            # Each nginx worker process keeps its own record of a failed server and skips it for
            # fail_timeout; stopping the other replica sooner leaves some worker with no live
            # upstream ("no live upstreams" -> 502). An orchestrator's settle delay does the same.
            time.sleep(settle)
        outcomes = load.stop()
    failures = [o for o in outcomes if not o.ok]
    served = sorted({o.served_by or "?" for o in outcomes if o.ok})
    notes.append(f"served by {served}")
    if failures:
        notes.append("failures: " + "; ".join(sorted({o.error or str(o.status) for o in failures})))
    return ScenarioResult(name, len(outcomes), len(failures), "0", not failures, notes)


REPO = Path(__file__).resolve().parent.parent
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def nginx_seconds(value: str) -> float:
    """nginx's time syntax (``10s``, ``500ms``, ``1m``, bare seconds) in seconds."""
    for suffix in ("ms", "s", "m", "h"):
        if value.endswith(suffix) and value[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(value[: -len(suffix)]) * _UNITS[suffix]
    return float(value)


def nginx_timeout(directive: str, default: float, root: Path | None = None) -> float:
    """The largest value of an nginx time directive in the repository's ``nginx/`` config.

    The native and compose stacks both run these files, so they are the one source of truth for
    how long nginx waits. nginx's built-in default applies when no file sets it.
    """
    found: list[float] = []
    for path in sorted((root or REPO / "nginx").rglob("*.conf*")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            words = line.split("#", 1)[0].replace(";", " ").split()
            if len(words) >= 2 and words[0] == directive:
                found.append(nginx_seconds(words[1]))
    return max(found) if found else default


def stack_setting(stack: Any, directive: str, default: float) -> float:
    """A timeout directive (in seconds) nginx runs with in ``stack``: its rendered config when
    the stack exposes one (``run_dir``), else the repository's ``nginx/`` files."""
    run_dir = getattr(stack, "run_dir", None)
    if run_dir is not None and Path(run_dir).is_dir():
        return nginx_timeout(directive, default, Path(run_dir))
    return nginx_timeout(directive, default)


def upstream_fail_timeout(stack: Any, default: float = 10.0) -> float:
    """The longest ``fail_timeout=`` of the upstream servers nginx runs with (nginx: 10 s)."""
    found = [default]
    run_dir = getattr(stack, "run_dir", None)
    root = Path(run_dir) / "nginx" if run_dir is not None else REPO / "nginx"
    for path in root.rglob("*.conf"):
        for match in re.finditer(r"fail_timeout=([0-9.]+m?s?)", path.read_text()):
            found.append(nginx_seconds(match.group(1)))
    return max(found[1:]) if len(found) > 1 else default


# --- Compose scenarios (Docker) ---------------------------------------------------------------
def _compose_stack(**kwargs: Any) -> Any:
    from devtools.compose_stack import ComposeStack

    return ComposeStack(**kwargs)


def _inspect(container_id: str) -> dict[str, Any]:
    done = subprocess.run(
        ["docker", "inspect", container_id], capture_output=True, text=True, timeout=60, check=True
    )
    document: dict[str, Any] = json.loads(done.stdout)[0]
    return document


def _container_established(container_id: str, port: int) -> int:
    """ESTABLISHED TCP connections on ``port`` inside a container (its own /proc/net/tcp)."""
    done = subprocess.run(
        ["docker", "exec", container_id, "cat", "/proc/net/tcp", "/proc/net/tcp6"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    count = 0
    for line in done.stdout.splitlines()[1:]:
        cols = line.split()
        if len(cols) > 3 and cols[1].endswith(f":{port:04X}") and cols[3] == "01":
            count += 1
    return count


def compose_app_down() -> ScenarioResult:
    """`docker compose stop app`: nginx answers its 502 page at once; after `start app` it serves
    again with no nginx restart (same container, same start time, no restarts).

    Until nginx's upstream watcher has seen the replica go (NGINX_UPSTREAM_WATCH_INTERVAL, 2 s),
    a request may still try the gone address and get the 504 page after proxy_connect_timeout
    (1 s): an nginx error page either way, within that bound.
    """
    name = "compose: app stopped -> 502, then back"
    notes: list[str] = []
    with _compose_stack(name="rel-down") as stack:
        nginx_id = stack.container_ids("nginx")[0]
        nginx_started = _inspect(nginx_id)["State"]["StartedAt"]
        stack.compose("stop", "app")
        down = [
            request(stack.url, "/_probe/number/1", headers={"Accept": "application/json"})
            for _ in range(5)
        ]
        stack.compose("start", "app")
        up: list[Outcome] = []

        def serving() -> bool:
            outcome, _, _ = request(stack.url, "/_probe/number/1")
            up.append(outcome)
            return outcome.status == 200

        # Health check start + the upstream watcher (2 s, or resolve valid=5s) bound "back".
        back = wait_until(serving, 90, interval=0.5)
        after = _inspect(nginx_id)["State"]
    same_nginx = after["StartedAt"] == nginx_started and after.get("Restarting") is False
    connect_timeout = nginx_timeout("proxy_connect_timeout", 60.0)
    bad_down = [
        o
        for o, body, headers in down
        if o.status not in (502, 504)
        or json_error_code(body) != o.status
        or error_page_gaps(headers, body)
        or o.ended - o.started > connect_timeout + 1.0
    ]
    notes.append(
        f"while down: {[o.status for o, _, _ in down]} (slowest "
        f"{max(o.ended - o.started for o, _, _ in down):.2f}s); back after {len(up)} probes; "
        f"nginx container not restarted: {same_nginx}"
    )
    passed = not bad_down and back and same_nginx
    failed = len(bad_down) + (0 if back else 1)
    return ScenarioResult(
        name, len(down) + len(up), failed, "0 (502/504 page at once, then 200)", passed, notes
    )


def compose_graceful_stop() -> ScenarioResult:
    """`docker compose stop app` with slow requests in flight: they complete, and the container
    exits by itself (code 0, not 137) within stop_grace_period."""
    name = "compose: stop with slow requests in flight"
    notes: list[str] = []
    slow_seconds = 4
    results: list[tuple[Outcome, bytes]] = []
    with _compose_stack(name="rel-stop", env={"APP_DIAGNOSTICS": "1"}) as stack:
        app_id = stack.container_ids("app")[0]

        def slow() -> None:
            outcome, body, _ = request(
                stack.url, f"/_diag/sleep?seconds={slow_seconds}", timeout=60
            )
            results.append((outcome, body))

        threads = [threading.Thread(target=slow, daemon=True) for _ in range(3)]
        for thread in threads:
            thread.start()
        started = wait_until(lambda: _container_established(app_id, 8000) >= 3, 15, 0.2)
        stopped_at = time.monotonic()
        stack.compose("stop", "app", timeout=120)
        stop_took = time.monotonic() - stopped_at
        for thread in threads:
            thread.join(60)
        state = _inspect(app_id)["State"]
    completed = [o for o, body in results if o.status == 200 and body.startswith(b"slept")]
    exit_code = state.get("ExitCode")
    notes.append(
        f"in flight: {started}; completed {len(completed)}/3; `compose stop` took "
        f"{stop_took:.1f}s; exit code {exit_code} (137 would mean SIGKILL after the grace period)"
    )
    passed = started and len(completed) == 3 and exit_code == 0
    return ScenarioResult(name, 3, 3 - len(completed), "0, exit code 0", passed, notes)


def compose_rolling_restart() -> ScenarioResult:
    """`--scale app=2`, each replica stopped and started in turn under continuous load: zero
    failed requests (nginx retries idempotent requests on the other replica)."""
    name = "compose: rolling restart of 2 replicas"
    notes: list[str] = []
    # nginx's upstream follows `app` in Docker's DNS within 5 s (the entrypoint's watcher every
    # 2 s on older nginx, `resolve` with valid=5s on 1.27.3+): the settle time between replicas.
    settle = 5.0
    with _compose_stack(name="rel-roll", scale={"app": 2}) as stack:
        ids = stack.container_ids("app")
        hostnames = {cid: _inspect(cid)["Config"]["Hostname"] for cid in ids}
        with Load(stack.url, max_seconds=240) as load:
            load.wait_for(30)
            for cid in ids:
                subprocess.run(["docker", "stop", cid], capture_output=True, timeout=120)
                load.wait_for(len(load.outcomes) + 20)
                subprocess.run(["docker", "start", cid], capture_output=True, timeout=120)
                mark = len(load.outcomes)
                back = wait_until(functools.partial(load.served_by, hostnames[cid], mark), 90, 0.2)
                notes.append(f"{hostnames[cid]} back in rotation: {back}")
                time.sleep(settle)
            outcomes = load.stop()
    failures = [o for o in outcomes if not o.ok]
    if failures:
        notes.append("failures: " + "; ".join(sorted({o.error or str(o.status) for o in failures})))
    served = sorted({o.served_by or "?" for o in outcomes if o.ok})
    notes.append(f"served by {served}")
    return ScenarioResult(name, len(outcomes), len(failures), "0", not failures, notes)


def _capacity(name: str, compose: bool = False) -> Callable[[], ScenarioResult]:
    """A scenario from devtools/capacity.py (imported late: it builds on this module)."""

    def run() -> ScenarioResult:
        from devtools import capacity

        scenario = getattr(capacity, name)
        result: ScenarioResult = capacity.with_compose(scenario) if compose else scenario()
        return result

    return run


SCENARIOS: dict[str, Callable[[], ScenarioResult]] = {
    "worker-sigkill": worker_sigkill,
    "hung-handler": hung_handler,
    "hung-handler-sync": lambda: hung_handler("sync"),
    "app-down": app_down,
    "graceful-sigterm": graceful_sigterm,
    "rolling-restart": rolling_restart,
    "slow-body-flood": _capacity("slow_body_flood"),
    "master-kill": _capacity("master_kill"),
}


COMPOSE_SCENARIOS: dict[str, Callable[[], ScenarioResult]] = {
    "compose-app-down": compose_app_down,
    "compose-graceful-stop": compose_graceful_stop,
    "compose-rolling-restart": compose_rolling_restart,
    "compose-sustained-load": _capacity("sustained_load", compose=True),
    "compose-amplification": _capacity("amplification_burst", compose=True),
    "compose-overload-ramp": _capacity("overload_ramp", compose=True),
    "compose-scale-out-in": _capacity("scale_out_and_in", compose=True),
    "compose-container-kill": _capacity("container_kill", compose=True),
}


# --- The table ---------------------------------------------------------------------------------
HEADERS = ("scenario", "requests sent", "failed", "expected", "verdict")


def format_table(results: Sequence[ScenarioResult]) -> str:
    rows = [HEADERS] + [
        (r.name, str(r.sent), str(r.failed), r.expected, r.verdict) for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = [
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def run(names: Sequence[str]) -> list[ScenarioResult]:
    every = {**SCENARIOS, **COMPOSE_SCENARIOS}
    results = []
    for scenario in names:
        print(f"running {scenario} ...", file=sys.stderr, flush=True)
        try:
            result = every[scenario]()
        except Exception as exc:  # one broken scenario must not hide the others' verdicts
            result = ScenarioResult(scenario, 0, 0, "-", False, [f"{type(exc).__name__}: {exc}"])
        for note in result.notes:
            print(f"  {note}", file=sys.stderr, flush=True)
        results.append(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.resilience",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"default: the native ones ({', '.join(SCENARIOS)}); "
        f"with --compose also {', '.join(COMPOSE_SCENARIOS)}",
    )
    parser.add_argument(
        "--compose", action="store_true", help="also run the Docker Compose scenarios"
    )
    args = parser.parse_args(argv)
    every = {**SCENARIOS, **COMPOSE_SCENARIOS}
    unknown = sorted(set(args.scenarios) - set(every))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(every)}")
    names = args.scenarios or [*SCENARIOS, *(COMPOSE_SCENARIOS if args.compose else [])]
    results = run(names)
    print(format_table(results))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
