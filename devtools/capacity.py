"""Capacity and hostile-client scenarios, with verdicts for ``make resilience``'s table.

Each scenario drives a fixed number of requests at a fixed concurrency (no timed assertions on
rates: the rates are reported, not judged) and checks what the stack did with every one:

- sustained load: many more requests over keep-alive than the ephemeral port range holds;
- amplification burst: JSON bodies built to cost a worker memory and echo themselves back;
- overload ramp: 4x the connections that fill the app's bounded queue;
- slow-body flood: thousands of connections trickling a body, from one address;
- container kill / master kill: every death recovered.

The compose scenarios take a running ``ComposeStack`` (tests share one per module); the CLI
(``python -m devtools.resilience --compose``) starts one per scenario.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from devtools.loadgen import LoadReport, run_load
from devtools.resilience import (
    DIAG_ENV,
    NO_RECYCLING,
    Load,
    ScenarioResult,
    alive,
    children,
    request,
    wait_until,
)

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# The hostile body: 8.3 MB, 700,000 unknown keys (under the site's 10 MB body limit).
HUGE_OBJECT = b"{" + b",".join(b'"f%06d":0' % i for i in range(700_000)) + b"}"
# Just under the API's 1 MB nginx limit, so the app itself has to refuse it.
LARGE_OBJECT = b"{" + b",".join(b'"f%06d":0' % i for i in range(80_000)) + b"}"
# Small, but more members than a JSON record may have (wsgistack/json_input.py's RECORD).
MANY_KEYS = b"{" + b",".join(b'"k%d":0' % i for i in range(200)) + b"}"
DEEP = b"[" * 8000 + b"]" * 8000
HOSTILE_BODIES = [HUGE_OBJECT] * 8 + [LARGE_OBJECT] * 8 + [MANY_KEYS, DEEP] * 4
SMALL_REPLY = 2048  # bytes: every refusal above must fit, whatever it was sent
HEALTHZ_BOUND = 1.0  # seconds: /healthz answers within this during the burst


def _ok(status: int, report: LoadReport) -> int:
    return report.statuses().get(status, 0)


# --- sustained load ------------------------------------------------------------------------------
def sustained_load(
    stack: Any, total: int = 45_000, concurrency: int = 16, rate: float = 1000.0
) -> ScenarioResult:
    """``total`` GET /_probe/text at ``rate``/s over ``concurrency`` connections: every one 200, and
    nginx never runs out of local ports to gunicorn ("Cannot assign requested address")."""
    name = "sustained load (keep-alive to gunicorn)"
    report = run_load(stack.url, "/_probe/text", total=total, concurrency=concurrency, rate=rate)
    logs = stack.logs("nginx", tail=None, prefix=False)
    exhausted = logs.count("Cannot assign requested address")
    failed = report.sent - _ok(200, report)
    notes = [report.summary(), f'"Cannot assign requested address" in nginx log: {exhausted}']
    if report.errors():
        notes.append("errors: " + "; ".join(sorted({a.error for a in report.errors()})[:5]))
    passed = failed == 0 and exhausted == 0 and report.sent == total
    return ScenarioResult(name, report.sent, failed, "0", passed, notes)


# --- amplification burst -------------------------------------------------------------------------
def amplification_burst(stack: Any, bodies: list[bytes] | None = None) -> ScenarioResult:
    """Hostile JSON bodies all at once (8 x 8.3 MB of unknown keys, 8 x 1 MB, deep nesting,
    many keys), with /healthz probed throughout: every hostile one refused (400/413) with a
    small reply, /healthz always within HEALTHZ_BOUND, no worker killed."""
    name = "amplification burst (hostile JSON)"
    sent = bodies or HOSTILE_BODIES
    results: list[tuple[int | None, int]] = []
    lock = threading.Lock()

    def post(body: bytes) -> None:
        outcome, data, _ = request(
            stack.url, "/_probe/json", method="POST", headers=JSON_HEADERS, body=body, timeout=60
        )
        with lock:
            results.append((outcome.status, len(data)))

    threads = [threading.Thread(target=post, args=(body,), daemon=True) for body in sent]
    for thread in threads:
        thread.start()
    health: list[float] = []
    health_bad = 0
    while any(t.is_alive() for t in threads) or len(health) < 10:
        outcome, _, _ = request(stack.url, "/healthz", timeout=10)
        health.append(outcome.ended - outcome.started)
        health_bad += outcome.status != 200
        time.sleep(0.05)
    for thread in threads:
        thread.join(60)
    refused = [(s, n) for s, n in results if s in (400, 413) and n <= SMALL_REPLY]
    deaths = worker_deaths(stack)
    notes = [
        f"hostile replies: {sorted({s for s, _ in results}, key=str)}, largest "
        f"{max((n for _, n in results), default=0)} bytes",
        f"/healthz: {len(health)} probes, slowest {max(health):.3f}s, not 200: {health_bad}",
        f"workers killed or restarted: {deaths}",
    ]
    failed = len(sent) - len(refused) + health_bad
    passed = failed == 0 and max(health) < HEALTHZ_BOUND and not deaths
    expected = f"0; replies <= {SMALL_REPLY} B, /healthz < {HEALTHZ_BOUND:g}s, no worker killed"
    return ScenarioResult(name, len(sent) + len(health), failed, expected, passed, notes)


def worker_deaths(stack: Any) -> str:
    """What the app log says about workers dying (empty when none did)."""
    if hasattr(stack, "logs_dir"):  # native
        text = "\n".join(p.read_text() for p in Path(stack.logs_dir).glob("gunicorn-*.error.log"))
    else:
        text = stack.logs("app", tail=None, prefix=False)
        for cid in stack.container_ids("app"):
            state = stack.inspect(cid)
            if state["State"]["OOMKilled"] or state["RestartCount"]:
                text += "\ncontainer OOM-killed or restarted"
    signs = ("WORKER TIMEOUT", "was sent SIGKILL", "out of memory", "container OOM")
    return ", ".join(sign for sign in signs if sign in text)


# --- overload ramp -------------------------------------------------------------------------------
def inflight_limit(stack: Any) -> int:
    """The app's bounded queue (limit_conn wsgi_app_inflight) nginx runs with."""
    if hasattr(stack, "run_dir"):
        text = (Path(stack.run_dir) / "tmp" / "app-capacity.conf").read_text()
    else:
        text = stack.exec("nginx", "cat", "/tmp/nginx/app-capacity.conf").stdout
    match = re.search(r"limit_conn wsgi_app_inflight (\d+);", text)
    if match is None:
        raise RuntimeError(f"no wsgi_app_inflight limit in {text!r}")
    return int(match.group(1))


def overload_ramp(stack: Any, path: str = "/_diag/sleep?seconds=0.05") -> ScenarioResult:
    """At the connection count that fills the bounded queue, then at 4x: admitted requests keep
    a p99 within 2x of the saturated p99, every other request gets a 503 with Retry-After within
    a second, and no connection is dropped. Clients back off 0.2 s after a 503."""
    name = "overload ramp (4x saturation)"
    limit = inflight_limit(stack)
    saturated = run_load(stack.url, path, total=1000, concurrency=limit)
    over = run_load(stack.url, path, total=3000, concurrency=4 * limit, backoff_503=0.2)
    p99_sat = saturated.percentile(200, 0.99)
    p99_over = over.percentile(200, 0.99)
    shed = over.latencies(503)
    without_retry_after = [a for a in over.answers if a.status == 503 and not a.retry_after]
    other = [a for a in over.answers if a.status not in (200, 503)]
    notes = [
        f"queue bound {limit}; at {limit} connections: {saturated.summary()}, p99 {p99_sat:.3f}s",
        f"at {4 * limit}: {over.summary()}, admitted p99 {p99_over:.3f}s, slowest 503 "
        f"{max(shed, default=0):.3f}s, 503 without Retry-After: {len(without_retry_after)}",
    ]
    passed = (
        not other
        and _ok(200, saturated) == saturated.sent
        and bool(shed)
        and max(shed) < 1.0
        and not without_retry_after
        and p99_over <= 2 * p99_sat
    )
    expected = "0 dropped; 503 + Retry-After < 1s; admitted p99 <= 2x"
    return ScenarioResult(name, saturated.sent + over.sent, len(other), expected, passed, notes)


# --- slow-body flood (native: it needs a client address of its own) -----------------------------
async def _trickle(url: str, count: int, source: str, seconds: float, results: list[str]) -> None:
    host, port = url.rsplit("//", 1)[1].split(":")
    head = (
        f"POST /_probe/json HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100000\r\n\r\n"
    ).encode()

    async def one() -> None:
        try:
            reader, writer = await asyncio.open_connection(host, int(port), local_addr=(source, 0))
        except OSError as exc:
            results.append(f"connect {type(exc).__name__}")
            return
        writer.write(head)
        end = time.monotonic() + seconds
        outcome = "held"
        while time.monotonic() < end:
            try:
                answer = await asyncio.wait_for(reader.read(64), 3.0)
                outcome = answer.split(b" ", 2)[1].decode() if answer else "closed"
                break
            except TimeoutError:
                writer.write(b" ")  # one byte every 3 s: well inside client_body_timeout
            except OSError:
                outcome = "reset"
                break
        results.append(outcome)
        writer.close()

    await asyncio.gather(*(one() for _ in range(count)))


def slow_body_flood(connections: int = 3000, seconds: float = 20.0) -> ScenarioResult:
    """``connections`` slow-body requests from 127.0.0.2 while a normal client on 127.0.0.1
    sends 1,000 requests: >= 99% of those succeed, and nginx's error log stays small."""
    name = f"slow-body flood ({connections} connections)"
    from devtools.native_stack import NativeStack

    stack = NativeStack(app_env=DIAG_ENV)
    flood: list[str] = []
    try:
        with stack:
            flooder = threading.Thread(
                target=lambda: asyncio.run(
                    _trickle(stack.url, connections, "127.0.0.2", seconds, flood)
                ),
                daemon=True,
            )
            flooder.start()
            time.sleep(3)  # the flood is in place before the normal client starts
            normal = run_load(stack.url, "/_probe/text", total=1000, concurrency=4, rate=100)
            flooder.join(seconds + 30)
            error_log = Path(stack.logs_dir) / "nginx-error.log"
            log_size = error_log.stat().st_size if error_log.exists() else 0
            not_enough = "worker_connections are not enough" in error_log.read_text()
    finally:
        stack.cleanup()
    ok = _ok(200, normal)
    outcomes = {k: flood.count(k) for k in sorted(set(flood))}
    notes = [
        f"normal client: {normal.summary()}",
        f"flood connections: {outcomes}",
        f"nginx error log: {log_size} bytes, 'worker_connections are not enough': {not_enough}",
    ]
    passed = ok >= 0.99 * normal.sent and log_size < 64 * 1024 and not not_enough
    return ScenarioResult(name, normal.sent, normal.sent - ok, ">= 99% OK", passed, notes)


# --- deaths --------------------------------------------------------------------------------------
def master_kill(orphan_timeout: float = 5.0) -> ScenarioResult:
    """SIGKILL the gunicorn master under load: its workers exit within GUNICORN_ORPHAN_TIMEOUT
    (new connections are refused meanwhile, not left hanging), the supervisor starts a new
    master, and the stack serves again; no request waits longer than the orphan timeout."""
    name = "native: gunicorn master SIGKILL"
    from devtools.native_stack import NativeStack

    env = {"WEB_CONCURRENCY": "2", "GUNICORN_ORPHAN_TIMEOUT": f"{orphan_timeout:g}", **NO_RECYCLING}
    stack = NativeStack(gunicorn_env=env, supervise=True)
    try:
        with (
            stack,
            Load(
                stack.url, ("/_probe/text", "/_probe/number/1"), threads=4, max_seconds=60
            ) as load,
        ):
            master = stack.gunicorn_pids[0]
            wait_until(lambda: len(children(master)) == 2, 20)
            workers = children(master)
            load.wait_for(40)
            os.kill(master, signal.SIGKILL)
            killed = time.monotonic()
            gone = wait_until(lambda: not any(alive(w) for w in workers), orphan_timeout + 5)
            gone_after = time.monotonic() - killed
            back = wait_until(
                lambda: (
                    stack.gunicorn_pids[0] != master
                    and load.served_by("native-0", len(load.outcomes) - 5)
                ),
                60,
            )
            mark = len(load.outcomes)
            load.wait_for(mark + 40)
            outcomes = load.stop()
    finally:
        stack.cleanup()
    slowest = max(o.ended - o.started for o in outcomes)
    after_recovery = [o for o in outcomes[mark:] if not o.ok]
    notes = [
        f"workers gone after {gone_after:.1f}s (orphan timeout {orphan_timeout:g}s); new master "
        f"serving: {back}; slowest request {slowest:.2f}s; failures while down "
        f"{sum(not o.ok for o in outcomes[:mark])} (each answered fast), after: {len(after_recovery)}",
    ]
    passed = gone and back and not after_recovery and slowest < orphan_timeout + 2
    failed = len(after_recovery) + (0 if back else 1)
    return ScenarioResult(
        name, len(outcomes), failed, "0 after recovery; none hangs", passed, notes
    )


def scale_out_and_in(stack: Any, replicas: int = 3) -> ScenarioResult:
    """Under continuous load, `--scale app=3`, until every replica has answered, then back to
    one: nginx (its upstream re-rendered and reloaded) spreads the load and loses nothing."""
    name = f"compose: scale app to {replicas} and back under load"
    with Load(stack.url, ("/_probe/text", "/_probe/number/1"), threads=4, max_seconds=240) as load:
        load.wait_for(20)
        scale = ["up", "--detach", "--wait", "--no-recreate", "--scale"]
        stack.compose(*scale, f"app={replicas}", "app", timeout=300)
        hosts = {stack.inspect(cid)["Config"]["Hostname"] for cid in stack.container_ids("app")}
        mark = len(load.outcomes)
        spread = wait_until(lambda: all(load.served_by(h, mark) for h in hosts), 60, 0.2)
        stack.compose(*scale, "app=1", "app", timeout=300)
        load.wait_for(len(load.outcomes) + 100)
        outcomes = load.stop()
    failures = [o for o in outcomes if not o.ok]
    served = sorted({o.served_by or "?" for o in outcomes if o.ok})
    notes = [f"{len(hosts)} replicas, all served: {spread}; served by {served}"]
    if failures:
        notes.append("failures: " + "; ".join(sorted({o.error or str(o.status) for o in failures})))
    passed = spread and len(hosts) == replicas and not failures
    return ScenarioResult(name, len(outcomes), len(failures), "0", passed, notes)


def container_kill(stack: Any) -> ScenarioResult:
    """Kill the app container two ways. SIGKILL to gunicorn from the host (what a crash or the
    OOM killer does): Docker restarts it (restart: always) and nginx serves again by itself.
    ``docker kill``: Docker records a deliberate stop and no restart policy undoes it; `docker
    compose up -d` brings it back, and nginx follows without a restart."""
    name = "compose: app container killed"
    (cid,) = stack.container_ids("app")
    before = stack.inspect(cid)
    nginx_started = stack.inspect(stack.container_ids("nginx")[0])["State"]["StartedAt"]

    def serving() -> bool:
        return request(stack.url, "/_probe/number/1", timeout=5)[0].status == 200

    os.kill(before["State"]["Pid"], signal.SIGKILL)
    restarted = wait_until(
        lambda: stack.inspect(cid)["RestartCount"] > before["RestartCount"], 30, 0.2
    )
    back_after_crash = wait_until(serving, 90, 0.5)
    subprocess.run(["docker", "kill", "-s", "KILL", cid], capture_output=True, timeout=60)
    time.sleep(5)
    stayed_down = stack.inspect(cid)["State"]["Running"] is False
    stack.compose("up", "--detach", "--wait", "app", timeout=300)
    back_after_kill = wait_until(serving, 90, 0.5)
    nginx_same = (
        stack.inspect(stack.container_ids("nginx")[0])["State"]["StartedAt"] == nginx_started
    )
    notes = [
        f"SIGKILL from the host: restarted by Docker {restarted}, serving again {back_after_crash}",
        f"`docker kill`: left down by Docker {stayed_down} (a manual stop), serving again after "
        f"`compose up -d` {back_after_kill}; nginx not restarted {nginx_same}",
    ]
    passed = restarted and back_after_crash and back_after_kill and nginx_same
    failed = (not back_after_crash) + (not back_after_kill)
    return ScenarioResult(name, 2, failed, "0 (both back)", passed, notes)


def with_compose(scenario: Any, **env: str) -> ScenarioResult:
    """Run a compose scenario on a stack of its own (the CLI's way)."""
    from devtools.compose_stack import ComposeStack

    with ComposeStack(env={**DIAG_ENV, **env}, name="capacity") as stack:
        result: ScenarioResult = scenario(stack)
        return result
