"""gunicorn settings for wsgi-stack, every one read from the environment.

Run: ``gunicorn -c gunicorn.conf.py app.wsgi:app``. One setting a line, the env var and default
beside it; the reference is https://docs.gunicorn.org/en/stable/settings.html. Values that differ
from gunicorn's own defaults carry a one-line reason.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from wsgistack import gunicorn_hooks
from wsgistack.logfmt import JsonLogger


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return value in {"1", "true", "yes", "on"} if value else default


def cgroup_cpu_limit(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPUs allowed by the cgroup CPU quota (v2 ``cpu.max`` or v1 CFS files); None if unlimited.

    ``os.cpu_count()`` reports the host's CPUs even in a container limited to one; deriving the
    worker count from it is how containers get OOM-killed (PAIN-POINTS 5).
    """
    try:
        quota_text, period_text = (root / "cpu.max").read_text().split()[:2]
        if quota_text != "max":
            return int(quota_text) / int(period_text)
        return None
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def available_cpus(root: Path = Path("/sys/fs/cgroup")) -> int:
    """The CPUs this process may really use: affinity mask, capped by the cgroup quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        cpus = min(cpus, max(1, math.ceil(limit)))
    return max(1, cpus)


def default_workers(root: Path = Path("/sys/fs/cgroup")) -> int:
    """gunicorn's usual ``2 * CPUs + 1``, counted from the CPUs the container may use."""
    return 2 * available_cpus(root) + 1


def default_worker_tmp_dir() -> str | None:
    # The worker heartbeat is an fchmod() on a temp file every second; on a disk-backed /tmp
    # (overlayfs in containers) that can stall past `timeout` and get healthy workers killed
    # ("WORKER TIMEOUT", PAIN-POINTS 4). /dev/shm is RAM.
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


# --- Server socket --------------------------------------------------------------------------
# BIND (default 127.0.0.1:$PORT, PORT default 8000). Loopback by default so a bare `gunicorn`
# never listens on every interface by accident; the image sets BIND=0.0.0.0:8000.
bind = [b.strip() for b in env_str("BIND", f"127.0.0.1:{env_int('PORT', 8000)}").split(",")]
backlog = env_int("GUNICORN_BACKLOG", 2048)  # GUNICORN_BACKLOG, gunicorn's default

# --- Worker processes -----------------------------------------------------------------------
# WEB_CONCURRENCY (or GUNICORN_WORKERS); unset or 0 = 2 x usable CPUs + 1 (default_workers).
# Never set it to an empty string: gunicorn itself parses WEB_CONCURRENCY with int() on import.
workers = env_int("WEB_CONCURRENCY", env_int("GUNICORN_WORKERS", 0)) or default_workers()
# GUNICORN_WORKER_CLASS (gthread): threads absorb slow I/O without gevent's monkey-patching,
# which has broken on new glibc releases; `sync` cannot use keep-alive connections from nginx.
worker_class = env_str("GUNICORN_WORKER_CLASS", "gthread")
threads = env_int("GUNICORN_THREADS", 4)  # GUNICORN_THREADS: requests in flight per worker
# GUNICORN_TIMEOUT (35 s, gunicorn: 30 s): a worker whose main loop is silent this long is killed
# and replaced. Longer than nginx's proxy_read_timeout (30 s), so the client gets nginx's 504
# page rather than a dropped connection (502). With gthread a handler stuck in one thread does not
# silence the main loop, so this fires only for sync workers or a worker blocked as a whole.
timeout = env_int("GUNICORN_TIMEOUT", 35)
# GUNICORN_GRACEFUL_TIMEOUT (20 s, gunicorn: 30 s): time in-flight requests get after SIGTERM.
# Must stay below Compose's stop_grace_period (30 s) and Kubernetes' terminationGracePeriodSeconds,
# else the orchestrator SIGKILLs mid-drain (PAIN-POINTS 3).
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 20)
# GUNICORN_KEEPALIVE (75 s, gunicorn: 2 s): idle keep-alive connections from nginx are kept longer
# than nginx's upstream keepalive_timeout (60 s), so nginx, not gunicorn, closes them: a connection
# gunicorn closes just as nginx reuses it would fail that request.
keepalive = env_int("GUNICORN_KEEPALIVE", 75)
# GUNICORN_MAX_REQUESTS (10000) + GUNICORN_MAX_REQUESTS_JITTER (1000): recycle workers now and then
# so a slow leak never grows unbounded; the jitter keeps them from all restarting at once. A
# recycle costs the service 50-70 ms of CPU (fork, start-up, exit), measured under load here: at
# 1000 requests a life that was 5-7 % of all server CPU, at 10000 it is under 1 %. A recycling
# worker that holds idle keep-alive connections keeps them up to 2 s before it exits, and its
# replacement is forked only then: with WEB_CONCURRENCY=1 nothing accepts meanwhile.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 1000)
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or default_worker_tmp_dir()
# GUNICORN_PRELOAD (true; gunicorn: false): import the app once in the master. Without it each
# recycled worker imports the app again (~0.2 s of CPU here), which under load costs more than
# the whole dispatch (measured by `make bench-http`); with it a recycle is only a fork. The price:
# `kill -HUP` no longer reloads code, which containers never rely on (they are replaced).
preload_app = env_bool("GUNICORN_PRELOAD", True)

# --- Proxy trust ----------------------------------------------------------------------------
# FORWARDED_ALLOW_IPS (127.0.0.1,::1): peers whose X-Forwarded-Proto gunicorn believes. Compose
# sets "*" because the app port is reachable only through nginx on the internal network; never
# use "*" where clients can reach gunicorn directly (PAIN-POINTS 6). The client address itself is
# restored by the app's ProxyFix (APP_TRUSTED_PROXY_COUNT).
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# --- Request limits (first line of defence; nginx has its own) ------------------------------
# Above nginx's own limits (large_client_header_buffers 4 4k: a request line or header line
# under 4 KB, all headers under 16 KB, so at most ~4,100 header lines), so that what nginx passes
# is never refused here with gunicorn's HTML 400/431 page; nginx answers the rest with its pages.
limit_request_line = env_int("GUNICORN_LIMIT_REQUEST_LINE", 8190)  # bytes (gunicorn: 4094)
limit_request_fields = env_int("GUNICORN_LIMIT_REQUEST_FIELDS", 4200)  # headers (gunicorn: 100)
limit_request_field_size = env_int("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", 8190)  # bytes, default

# --- Control socket -------------------------------------------------------------------------
# GUNICORN_CONTROL_SOCKET (unset = off, gunicorn >= 25.1 defaults to on): its default path under
# $HOME would be shared by every gunicorn of one user and is not writable on a read-only root.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


# --- Logging: one JSON object a line; access on stdout, errors on stderr (PAIN-POINTS 7) -----
# The app's and gunicorn's lines share one schema (wsgistack/logfmt.py, docs/observability.md).
logger_class = JsonLogger
accesslog = env_str("GUNICORN_ACCESSLOG", "-")  # GUNICORN_ACCESSLOG ("-" = stdout; gunicorn: off)
errorlog = env_str("GUNICORN_ERRORLOG", "-")  # GUNICORN_ERRORLOG ("-" = stderr)
loglevel = env_str("GUNICORN_LOGLEVEL", "info")  # GUNICORN_LOGLEVEL
# Let print() and stray writes reach the same streams untouched (stdout stays line-buffered
# because PYTHONUNBUFFERED=1 in the image).
capture_output = False
proc_name = env_str("GUNICORN_PROC_NAME", "wsgi-stack")  # GUNICORN_PROC_NAME, shown in `ps`


# --- Metrics (wsgistack/gunicorn_hooks.py): prometheus_client's multiprocess files ------------
# PROMETHEUS_MULTIPROC_DIR (default: a directory of this master's own in /dev/shm, removed at
# exit): where workers write their values, on a RAM disk; emptied at every master start.
# Exported through gunicorn's `env` setting so the app, imported afterwards, sees it.
metrics_dir_is_ours = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or gunicorn_hooks.default_multiproc_dir()
raw_env = [f"PROMETHEUS_MULTIPROC_DIR={metrics_dir}"]
# METRICS_PORT (unset or 0 = off): the master serves /metrics there, on BIND's address. The
# image's compose service sets 9100; nginx's public server never proxies to it.
metrics_port = env_int("METRICS_PORT", 0)


def on_starting(server: Any) -> None:
    gunicorn_hooks.on_starting(server, made_up=metrics_dir_is_ours)


def post_fork(server: Any, worker: Any) -> None:
    gunicorn_hooks.post_fork(server, worker)


def child_exit(server: Any, worker: Any) -> None:
    gunicorn_hooks.child_exit(server, worker)


def on_exit(server: Any) -> None:
    gunicorn_hooks.on_exit(server, made_up=metrics_dir_is_ours)


def when_ready(server: Any) -> None:
    gunicorn_hooks.when_ready(server, metrics_port, bind[0].rpartition(":")[0].strip("[]"))
    server.log.info(
        "ready: workers=%s worker_class=%s threads=%s bind=%s python=%s",
        server.cfg.workers,
        server.cfg.worker_class_str,
        server.cfg.threads,
        ",".join(server.cfg.bind),
        sys.version.split()[0],
    )


# GUNICORN_ORPHAN_TIMEOUT (5 s): how long a worker whose master died may finish its requests
# (0: no watch; the worker then waits up to graceful_timeout, holding its listening socket).
orphan_timeout = env_int("GUNICORN_ORPHAN_TIMEOUT", 5)


def watch_master(worker: Any, timeout: float, interval: float = 0.2) -> None:
    """When the master dies (SIGKILL, OOM), stop this worker promptly.

    gunicorn's own check notices within a second, but the worker then keeps the listening socket
    until it exits, after up to graceful_timeout (20 s): meanwhile the kernel queues new
    connections nobody accepts and clients hang. Here the listening sockets stop at once (new
    connections are refused, so nginx moves on or answers 502 in milliseconds), requests in
    flight get ``timeout`` seconds, then the worker exits so a supervisor can start a new master
    on the same port.
    """
    master = worker.ppid
    while os.getppid() == master:
        time.sleep(interval)
    worker.log.warning("master %s is gone: refusing new connections, exiting", master)
    for listener in worker.sockets:
        # OSError: the worker's own shutdown closed it first.
        with contextlib.suppress(OSError):
            listener.sock.shutdown(socket.SHUT_RDWR)
    time.sleep(timeout)
    os._exit(0)


def post_worker_init(worker: Any) -> None:
    if orphan_timeout > 0:  # 0 turns the watch off
        threading.Thread(
            target=watch_master, args=(worker, orphan_timeout), name="watch-master", daemon=True
        ).start()
    # Whatever the worker holds once the app is loaded (the master's, with preload_app) lives as
    # long as the worker, so take it out of the cyclic collector's reach. Otherwise the collection
    # at interpreter exit walks all of it, writing to every object and so copying every page
    # shared with the master, and with max_requests each recycled worker pays that: a worker that
    # serves one request runs 71 million instructions with app.wsgi:app, 20 with this (valgrind).
    # Objects are still freed when their last reference goes; only cycles among them would stay.
    gc.freeze()
