"""The gunicorn server hooks that keep multiprocess metrics right; gunicorn.conf.py calls them.

- ``on_starting`` (master, once): empty the multiprocess directory, so values of a previous run
  (a restarted container keeps its tmpfs) are not added to this one's.
- ``when_ready`` (master): serve ``/metrics`` on ``METRICS_PORT`` from a thread of the master,
  which outlives every worker; nginx's public server never proxies to that port.
- ``post_fork`` (worker): close the worker's inherited copy of that listening socket.
- ``child_exit`` (master, each time a worker ends): ``mark_process_dead`` drops the worker's
  live gauges (its counters and histograms stay, so nothing it counted vanishes) and, unless the
  master is shutting down, counts a restart.
- ``on_exit`` (master): remove the directory if gunicorn.conf.py made it up (not a tmpfs of ours).
  A master killed outright (SIGKILL, the OOM killer) cannot; the next master to start with a
  made-up directory removes those of masters that are gone (``remove_dead_masters_dirs``), so
  they do not pile up in RAM.

prometheus_client is imported inside the hooks only: by then gunicorn has exported
``PROMETHEUS_MULTIPROC_DIR`` (``raw_env``), which it reads when first imported.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The metrics server of this process (the master), if started.
_servers: list[Any] = []


def _made_up_dir_prefix() -> str:
    return f"wsgi-stack-metrics-{os.getuid()}-"


def default_multiproc_dir(pid: int | None = None) -> str:
    """A directory of this master's own (or master ``pid``'s) on a RAM disk: /dev/shm where
    there is one."""
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    return os.path.join(base, f"{_made_up_dir_prefix()}{os.getpid() if pid is None else pid}")


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_dead_masters_dirs(own: Path) -> list[Path]:
    """Remove the made-up directories (``default_multiproc_dir``) of this user's masters that no
    longer run, next to ``own``; returns them. A directory whose process id now belongs to
    another live process is kept: it costs a little memory, never someone's metrics. (Process
    ids are those of this PID namespace; a container's /dev/shm is its own.)"""
    prefix = _made_up_dir_prefix()
    removed = []
    for candidate in own.parent.glob(f"{prefix}*"):
        pid = candidate.name.removeprefix(prefix)
        if candidate == own or not pid.isdigit() or _process_exists(int(pid)):
            continue
        shutil.rmtree(candidate, ignore_errors=True)
        removed.append(candidate)
    return removed


def multiproc_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def on_starting(server: Any, made_up: bool = False) -> None:
    directory = multiproc_dir()
    if directory is None:
        return
    if made_up:
        for gone in remove_dead_masters_dirs(directory):
            server.log.info("metrics: removed %s, left by a master that is gone", gone)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def when_ready(server: Any, port: int, host: str) -> None:
    if not port or multiproc_dir() is None:
        return
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    if not host or host.startswith("unix"):  # gunicorn on a unix socket: metrics on loopback
        host = "127.0.0.1"
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    try:
        http_server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:  # the app still serves; only the scrape target is missing
        server.log.error("metrics: cannot listen on %s:%s: %s", host, port, error)
        return
    _servers.append(http_server)
    server.log.info("metrics: serving /metrics on %s:%s", host, port)


def post_fork(server: Any, worker: Any) -> None:
    for http_server in _servers:
        http_server.socket.close()
    _servers.clear()


def child_exit(server: Any, worker: Any) -> None:
    if multiproc_dir() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
    # gunicorn empties LISTENERS when it begins to stop: exits after that are the shutdown.
    if server.LISTENERS:
        worker_restarts().inc()


def on_exit(server: Any, made_up: bool) -> None:
    for http_server in _servers:
        http_server.shutdown()
    directory = multiproc_dir()
    if made_up and directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


_restarts: list[Any] = []


def worker_restarts() -> Any:
    if not _restarts:
        from prometheus_client import Counter

        _restarts.append(
            Counter(
                "gunicorn_worker_restarts",
                "Workers that exited while the master kept running (crash, timeout, recycle).",
            )
        )
    return _restarts[0]
