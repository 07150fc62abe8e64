"""Start the service under each WSGI server on a free loopback port, and stop it for sure.

The same ``app(environ, start_response)`` callable runs under five servers so that the contract
tests and ``make contract`` can compare them:

| name               | how it is started                                                     |
| ------------------ | --------------------------------------------------------------------- |
| `werkzeug`         | a launcher process calls ``create_app().run()`` (``run_simple``)      |
| `wsgiref`          | a launcher process serves it with ``wsgiref.simple_server``           |
| `gunicorn-sync`    | ``gunicorn -c gunicorn.conf.py app.wsgi:app`` with ``-k sync``        |
| `gunicorn-gthread` | the same with ``-k gthread``                                          |
| `nginx-gunicorn`   | ``devtools.native_stack.NativeStack``: nginx → gunicorn (ProxyFix on) |

Every process gets a session (and so a process group) of its own, and ``stop()`` signals the
whole group: gunicorn's workers and anything a launcher forked go down with it, even when the
caller is a failing test. ``python -m devtools.servers NAME`` runs one of them in the foreground.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from devtools.dev_secret import with_dev_secret_key

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# Order matters: it is the column order of `make contract` and the test ids.
SERVER_NAMES = ("werkzeug", "wsgiref", "gunicorn-sync", "gunicorn-gthread", "nginx-gunicorn")

# Servers that de-chunk a `Transfer-Encoding: chunked` request body (and set
# wsgi.input_terminated). wsgiref does not: the app answers 411 there rather than read nothing.
# nginx buffers the whole body and sends gunicorn a Content-Length.
DECHUNKS_REQUEST_BODIES = frozenset(SERVER_NAMES) - {"wsgiref"}

# The real service, with the environ-revealing endpoints on (they are off by default).
DIAGNOSTICS_ENV = {"APP_DIAGNOSTICS": "1"}

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
READY_PATH = "/healthz"


class ServerStartError(RuntimeError):
    """The server did not answer in time; the message carries the end of its log."""


class Server(Protocol):
    """What the tests and the contract table need from a running server."""

    name: str
    url: str  # http://127.0.0.1:<port>, no trailing slash

    def log_text(self) -> str: ...

    def stop(self) -> None: ...


def free_port() -> int:
    """A port the OS just reported free on 127.0.0.1 (bind port 0, read it back, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# The only variables a server process inherits. A small, fixed environment keeps the servers
# reproducible (no stray APP_* from the caller's shell) and keeps the host's variables out of
# wsgiref's environ, which starts as a copy of os.environ (its CGI heritage).
PASSTHROUGH_ENV = ("HOME", "LANG", "LC_ALL", "TMPDIR")
# The venv's bin first (gunicorn, python), then the system's; not the caller's whole PATH.
SERVER_PATH = os.pathsep.join(
    [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
)


def app_environment(
    extra: Mapping[str, str] | None = None, diagnostics: bool = True
) -> dict[str, str]:
    """The environment for a server process: a few basics, diagnostics on, plus ``extra``.

    ``diagnostics=False`` leaves APP_DIAGNOSTICS unset: the service as the image runs it.
    """
    env = {key: os.environ[key] for key in PASSTHROUGH_ENV if key in os.environ}
    env["PATH"] = SERVER_PATH
    if diagnostics:
        env.update(DIAGNOSTICS_ENV)
    env["PYTHONUNBUFFERED"] = "1"  # log lines reach the file before the response does
    # The launchers import `app` from the repository, whatever the caller's cwd.
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra or {})
    return dict(with_dev_secret_key(env))  # app.wsgi refuses to start without a key


def probe(url: str, path: str = READY_PATH, timeout: float = 2.0) -> int | None:
    """Status of one GET, or None when nothing answers (yet)."""
    host_port = url.removeprefix("http://").split("/", 1)[0]
    conn = http.client.HTTPConnection(host_port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _launch_command(name: str, port: int) -> list[str]:
    if name in ("werkzeug", "wsgiref"):
        return [sys.executable, "-m", "devtools.servers", "--launch", name, "--port", str(port)]
    if name in ("gunicorn-sync", "gunicorn-gthread"):
        worker_class = name.removeprefix("gunicorn-")
        # The repository's own config file, so the matrix tests what the image runs; arguments
        # on the command line win over it (gunicorn's documented precedence). Two workers
        # (and two threads for gthread) keep the machine light and still show the real model.
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(REPO_ROOT / "gunicorn.conf.py"),
            "--bind",
            f"{HOST}:{port}",
            "--worker-class",
            worker_class,
            "--workers",
            "2",
            "--threads",
            "2" if worker_class == "gthread" else "1",
            "app.wsgi:app",
        ]
    raise ValueError(f"unknown server {name!r}; expected one of {', '.join(SERVER_NAMES)}")


class ProcessServer:
    """One server process (and its children) in a process group of its own."""

    def __init__(
        self, name: str, env: Mapping[str, str] | None = None, diagnostics: bool = True
    ) -> None:
        self.name = name
        self.diagnostics = diagnostics
        self.port = 0
        self.url = ""
        self._extra_env = dict(env or {})
        # Removed again by stop(): read log_text() before stopping.
        self._log_dir = Path(tempfile.mkdtemp(prefix=f"wsgi-stack-{name}-"))
        self.log_path = self._log_dir / "server.log"
        # A database of this server's own (SQLite, migrated on first use), gone with the folder.
        self._extra_env.setdefault("DATABASE_URL", f"sqlite:///{self._log_dir / 'app.db'}")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> ProcessServer:
        # free_port() can race with another process grabbing the port before the server binds
        # it; a fresh port on a second or third try makes that a non-event.
        for attempt in range(3):
            try:
                self._start_once(timeout)
                return self
            except ServerStartError as error:
                self.stop()
                if "in use" not in str(error) or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                _launch_command(self.name, self.port),
                cwd=REPO_ROOT,
                env=app_environment(self._extra_env, self.diagnostics),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() kills workers too
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerStartError(
                    f"{self.name} exited with {self._process.returncode} before answering:\n"
                    + self.log_tail()
                )
            if probe(self.url) == 200:
                return
            time.sleep(0.1)
        raise ServerStartError(
            f"{self.name} did not answer {READY_PATH} in {timeout:.0f}s:\n" + self.log_tail()
        )

    @property
    def pgid(self) -> int | None:
        """The process group every process of this server is in (None once stopped)."""
        return self._process.pid if self._process else None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers; safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            stop_process_group(process, timeout)
        shutil.rmtree(self._log_dir, ignore_errors=True)

    def __enter__(self) -> ProcessServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_process_group(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT) -> None:
    # The pgid is the leader's pid (start_new_session). Signal the group even if the leader has
    # already exited: an orphaned gunicorn worker would otherwise keep the port.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            continue
    # Reap the rest of the group (workers exit just after the master) before returning.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


# The stack's gunicorn as the image runs it (gthread), sized like the direct gunicorn servers.
STACK_GUNICORN_ENV = {
    "GUNICORN_WORKER_CLASS": "gthread",
    "WEB_CONCURRENCY": "2",
    "GUNICORN_THREADS": "2",
}


class StackServer:
    """nginx → gunicorn from the stack helper's NativeStack, behind the same small interface."""

    def __init__(
        self,
        name: str = "nginx-gunicorn",
        env: Mapping[str, str] | None = None,
        url_prefix: str | None = None,
    ) -> None:
        from devtools.native_stack import NativeStack  # imported late: it needs nginx

        self.name = name
        # nginx is the one trusted proxy in front of gunicorn: ProxyFix applies its headers.
        app_env = {**DIAGNOSTICS_ENV, "APP_TRUSTED_PROXY_COUNT": "1", **(env or {})}
        options: dict[str, Any] = {"app_env": app_env, "gunicorn_env": STACK_GUNICORN_ENV}
        if url_prefix:
            options["url_prefix"] = url_prefix
        self._stack = NativeStack(**options)
        self.url = ""
        self._started = False

    def start(self) -> StackServer:
        self._started = True
        try:
            self._stack.start()
        except BaseException:
            self.stop()
            raise
        self.url = str(self._stack.url).rstrip("/")
        deadline = time.monotonic() + START_TIMEOUT
        while probe(self.url) != 200:
            if time.monotonic() > deadline:
                raise ServerStartError(f"{self.name} did not answer:\n{self.log_text()[-4000:]}")
            time.sleep(0.1)
        return self

    def log_text(self) -> str:
        """Every log of the stack (nginx's, gunicorn's access and error logs) concatenated."""
        logs_dir = Path(self._stack.logs_dir)
        parts = [
            path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(logs_dir.glob("*.log"))
        ]
        return "\n".join(parts)

    def stop(self) -> None:
        if self._started:
            self._started = False
            try:
                self._stack.stop()
            finally:
                self._stack.cleanup()  # the run directory (rendered config, logs) goes too

    def __enter__(self) -> StackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_server(
    name: str, env: Mapping[str, str] | None = None, url_prefix: str | None = None
) -> ProcessServer | StackServer:
    """A server, not yet started (use it as a context manager, or start() and stop())."""
    if name == "nginx-gunicorn":
        return StackServer(name, env=env, url_prefix=url_prefix)
    if url_prefix:
        raise ValueError("url_prefix needs nginx in front (X-Forwarded-Prefix + ProxyFix)")
    return ProcessServer(name, env=env)


@contextlib.contextmanager
def running(
    name: str, env: Mapping[str, str] | None = None, url_prefix: str | None = None
) -> Iterator[ProcessServer | StackServer]:
    server = make_server(name, env=env, url_prefix=url_prefix)
    try:
        yield server.start()
    finally:
        server.stop()


# --- launchers: the two servers that have no command line of their own ------------------------


def _serve_werkzeug(port: int) -> None:
    from app import create_app

    # Through app.run() on purpose: that is the path the seed articles walk (run -> run_simple).
    # No reloader: it would fork a second process that outlives a plain kill of the first.
    create_app().run(host=HOST, port=port, debug=False, use_reloader=False)


def _serve_wsgiref(port: int) -> None:
    from wsgiref.simple_server import make_server as make_wsgiref_server

    from app.wsgi import app

    with make_wsgiref_server(HOST, port, app) as httpd:
        print(f"wsgiref.simple_server on http://{HOST}:{port}", flush=True)
        httpd.serve_forever()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", choices=SERVER_NAMES, help="run it until Ctrl-C")
    parser.add_argument("--launch", choices=("werkzeug", "wsgiref"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.launch == "werkzeug":
        _serve_werkzeug(args.port)
        return 0
    if args.launch == "wsgiref":
        _serve_wsgiref(args.port)
        return 0
    if not args.name:
        parser.error("name a server: " + ", ".join(SERVER_NAMES))

    # SIGTERM should unwind through the finally below just like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    with running(args.name) as server:
        print(f"{server.name} on {server.url} (APP_DIAGNOSTICS=1); Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
