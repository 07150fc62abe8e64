"""The production topology without Docker: nginx (the OS package) in front of gunicorn replicas.

It runs the repository's own ``nginx/`` configuration, relocated into a run directory: the
container paths (``/etc/nginx/``, ``/tmp/nginx/``, ``/srv/static/``, the stdout/stderr logs)
become files under the run directory, and the Docker-only upstream (Docker's DNS server and the
``app`` service name) becomes an ``upstream`` block of loopback gunicorns with keep-alive.
Everything else - locations, headers, error pages, limits, log format - is the same text that
runs in the container.

For tests and tools::

    with NativeStack(app_env={"APP_DIAGNOSTICS": "1"}, replicas=2) as stack:
        requests.get(stack.url + "/_probe/text")
        stack.stop_replica(0)

For people: ``python -m devtools.native_stack up`` (``make stack``; port from ``STACK_PORT``,
default 8080) starts it in the background under a supervisor process that restarts a gunicorn
master that dies, with its state in ``.run/stack/``; ``... down`` (``make stack-down``) stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from devtools.dev_secret import with_dev_secret_key
from devtools.edge import render_native_edge

REPO_ROOT = Path(__file__).resolve().parent.parent
NGINX_DIR = REPO_ROOT / "nginx"
STATIC_DIR = REPO_ROOT / "app" / "static"
GUNICORN_CONF = REPO_ROOT / "gunicorn.conf.py"
CLI_RUN_DIR = REPO_ROOT / ".run" / "stack"
HOST = "127.0.0.1"
DEFAULT_MAX_CONTENT_LENGTH = "10485760"

START_TIMEOUT = 30.0
# nginx finishes in-flight requests on SIGQUIT, gunicorn on SIGTERM (within graceful_timeout);
# after this long they get SIGKILL so a test run can never hang on teardown.
STOP_TIMEOUT = 25.0

# What the Docker form of the site says and what the native form says instead.
# (The upstream include is relocated with the other /tmp/nginx/ paths; its file is written here.)
_DOCKER_UPSTREAM = re.compile(r"^\s*include \S+/upstream\.conf;\s*$", re.MULTILINE)
_DOCKER_LISTEN = re.compile(r"^(\s*)listen 8080 default_server;\s*$", re.MULTILINE)
# The in-network listener for load generators in containers: no use on loopback.
_DOCKER_INTERNAL_LISTEN = re.compile(r"^\s*listen 8081;\s*\n", re.MULTILINE)
_USER_LINE = re.compile(r"^user\s+[^;]+;\s*$", re.MULTILINE)


class StackError(RuntimeError):
    """A process did not start or answer in time; the message carries the end of its log."""


def free_port() -> int:
    """A port the OS has just handed out on loopback (free unless someone races us for it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def find_nginx() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx", "/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise StackError("nginx is not installed; run `sudo bash .ci/provision.sh` (Debian)")


def http_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    """Status of GET ``path`` on loopback, or None when nothing answers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists" until reaped; /proc tells the truth.
    with contextlib.suppress(OSError):
        status = Path(f"/proc/{pid}/status").read_text()
        if "\nState:\tZ" in status:
            return False
    return True


def stop_pid(pid: int, sig: signal.Signals, timeout: float = STOP_TIMEOUT) -> None:
    """Signal ``pid``, wait for it to go, SIGKILL it (and its process group) after ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no {path.name})"


class NativeStack:
    """nginx on ``port`` in front of ``replicas`` gunicorn masters, each on its own loopback port.

    ``app_env`` is added to the app's environment (``APP_*``), ``gunicorn_env`` to gunicorn's
    (``WEB_CONCURRENCY``, ``GUNICORN_*``); both win over the defaults here. ``url_prefix`` (e.g.
    ``"/prefix"``) also mounts the app under that path, nginx stripping it and sending
    ``X-Forwarded-Prefix``. ``nginx_directives`` replaces the value of directives in the rendered
    config (``{"proxy_read_timeout": "3s"}``) for tests that need short timeouts; ``nginx_env``
    is the environment nginx/entrypoint.sh renders from (``NGINX_APP_CONNS_PER_REPLICA``, ...).
    ``wsgi_app`` is the gunicorn target, ``app.wsgi:app`` unless a benchmark wants another.
    ``static_dir`` is what nginx serves under ``/static/`` (the service's ``app/static/``
    unless a test brings files of its own).
    ``supervise=True`` restarts a gunicorn master that exits without being asked to (a crash, a
    SIGKILL), as ``make stack``'s supervisor process does.
    """

    def __init__(
        self,
        port: int | None = None,
        app_env: Mapping[str, str] | None = None,
        replicas: int = 1,
        gunicorn_env: Mapping[str, str] | None = None,
        url_prefix: str | None = None,
        *,
        nginx_directives: Mapping[str, str] | None = None,
        nginx_env: Mapping[str, str] | None = None,
        wsgi_app: str = "app.wsgi:app",
        static_dir: Path | str | None = None,
        run_dir: Path | str | None = None,
        supervise: bool = False,
    ) -> None:
        if replicas < 1:
            raise ValueError("replicas must be at least 1")
        if url_prefix is not None and not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", url_prefix):
            raise ValueError(f"url_prefix must look like /a or /a/b, got {url_prefix!r}")
        self.port = port or free_port()
        self.app_env = dict(app_env or {})
        self.gunicorn_env = dict(gunicorn_env or {})
        self.replicas = replicas
        self.url_prefix = url_prefix
        self.nginx_directives = dict(nginx_directives or {})
        self.nginx_env = dict(nginx_env or {})
        self.wsgi_app = wsgi_app
        self.static_dir = Path(static_dir) if static_dir is not None else STATIC_DIR
        self._own_run_dir = run_dir is None
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="wsgi-stack-native-"))
        self.logs_dir = self.run_dir / "logs"
        # Ports are closed again right after the OS hands them out, so it may hand one out twice.
        taken = {self.port}
        self.gunicorn_ports: list[int] = []
        while len(self.gunicorn_ports) < replicas:
            candidate = free_port()
            if candidate not in taken:
                taken.add(candidate)
                self.gunicorn_ports.append(candidate)
        self._gunicorn: list[subprocess.Popen[bytes] | None] = [None] * replicas
        self._gunicorn_pids: list[int] = [0] * replicas
        self._nginx: subprocess.Popen[bytes] | None = None
        self._nginx_pid = 0
        self._log_files: list[IO[bytes]] = []
        # Replicas that should be running: a master that exits while wanted is started again.
        self._wanted = [False] * replicas
        self._lock = threading.RLock()
        self.supervise = supervise
        self.restarts: list[tuple[int, int]] = []  # (replica, exited master pid), in order
        self._supervisor: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- what callers read ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def gunicorn_urls(self) -> list[str]:
        """Each replica's own URL, bypassing nginx."""
        return [f"http://{HOST}:{port}" for port in self.gunicorn_ports]

    @property
    def gunicorn_pids(self) -> list[int]:
        """The gunicorn master pid of each replica (the last one started, for a stopped one)."""
        return list(self._gunicorn_pids)

    @property
    def nginx_pid(self) -> int:
        return self._nginx_pid

    @property
    def nginx_conf(self) -> Path:
        return self.run_dir / "nginx" / "nginx.conf"

    # --- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> NativeStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start every replica, then nginx; wait until each answers. Cleans up if anything fails."""
        nginx = find_nginx()
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        try:
            for index in range(self.replicas):
                self._spawn_gunicorn(index)
            for index in range(self.replicas):
                self._wait_gunicorn(index)
            self.render_nginx_config()
            self._check_nginx_config(nginx)
            self._spawn_nginx(nginx)
            self._wait_nginx()
        except BaseException:
            self.stop()
            raise
        if self.supervise:
            self._stopping.clear()
            self._supervisor = threading.Thread(
                target=self.supervise_forever, name="native-stack-supervisor", daemon=True
            )
            self._supervisor.start()

    def restart_dead_replicas(self) -> list[int]:
        """Start again every wanted replica whose master has exited; return their indexes."""
        restarted = []
        with self._lock:
            for index, proc in enumerate(self._gunicorn):
                if not self._wanted[index] or proc is None or proc.poll() is None:
                    continue
                self.restarts.append((index, proc.pid))
                log = self.logs_dir / f"gunicorn-{index}.error.log"
                with log.open("a") as handle:
                    handle.write(
                        f"supervisor: master {proc.pid} exited with {proc.returncode}; restarting\n"
                    )
                self._spawn_gunicorn(index)
                self._wait_gunicorn(index)
                restarted.append(index)
        return restarted

    def supervise_forever(self, interval: float = 0.5) -> None:
        """Restart dead masters until ``stop()`` (the supervisor thread's body)."""
        while not self._stopping.wait(interval):
            try:
                self.restart_dead_replicas()
            except StackError as exc:  # logged; tried again on the next round
                print(f"supervisor: {exc}", file=sys.stderr)

    def stop(self) -> None:
        """nginx first (so no new requests arrive), then the replicas; idempotent."""
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(START_TIMEOUT + STOP_TIMEOUT)
            self._supervisor = None
        if self._nginx_pid and pid_alive(self._nginx_pid):
            stop_pid(self._nginx_pid, signal.SIGQUIT)
        if self._nginx is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._nginx.wait(timeout=1)
        for index in range(self.replicas):
            self.stop_replica(index)
        for handle in self._log_files:
            handle.close()
        self._log_files.clear()

    def stop_replica(self, index: int) -> None:
        """SIGTERM replica ``index``'s gunicorn master and wait until it has drained and exited."""
        with self._lock:
            self._wanted[index] = False
        pid = self._gunicorn_pids[index]
        if pid and pid_alive(pid):
            stop_pid(pid, signal.SIGTERM)
        proc = self._gunicorn[index]
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1)
        self._gunicorn[index] = None

    def start_replica(self, index: int) -> None:
        """Start replica ``index`` again on its old port and wait until it is ready."""
        if self._gunicorn[index] is not None and pid_alive(self._gunicorn_pids[index]):
            return
        self._spawn_gunicorn(index)
        self._wait_gunicorn(index)

    def cleanup(self) -> None:
        """Remove the run directory if this object made it (logs go with it)."""
        if self._own_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    # --- gunicorn ---------------------------------------------------------------------------
    def gunicorn_environ(self, index: int) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "BIND": f"{HOST}:{self.gunicorn_ports[index]}",
                # Two workers a replica: the machine is shared; WEB_CONCURRENCY overrides.
                "WEB_CONCURRENCY": "2",
                "FORWARDED_ALLOW_IPS": "127.0.0.1",
                "GUNICORN_PROC_NAME": f"wsgi-stack-native-{index}",
                "PYTHONUNBUFFERED": "1",
                "APP_TRUSTED_PROXY_COUNT": "1",
                "APP_INSTANCE_NAME": f"native-{index}",
                "APP_MAX_CONTENT_LENGTH": self.max_content_length,
                # A database of this run's own (migrated on first use) unless app_env names one.
                "DATABASE_URL": os.environ.get("DATABASE_URL")
                or f"sqlite:///{self.run_dir}/app.db",
            }
        )
        env.update(self.app_env)
        env.update(self.gunicorn_env)
        return dict(with_dev_secret_key(env))  # app.wsgi refuses to start without a key

    @property
    def max_content_length(self) -> str:
        return self.app_env.get(
            "APP_MAX_CONTENT_LENGTH",
            os.environ.get("APP_MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH),
        )

    def _open_log(self, name: str) -> IO[bytes]:
        handle = open(self.logs_dir / name, "ab")  # noqa: SIM115 - closed in stop()
        self._log_files.append(handle)
        return handle

    def _spawn_gunicorn(self, index: int) -> None:
        argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), self.wsgi_app]
        proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env=self.gunicorn_environ(index),
            stdin=subprocess.DEVNULL,
            stdout=self._open_log(f"gunicorn-{index}.access.log"),
            stderr=self._open_log(f"gunicorn-{index}.error.log"),
            # A session of its own: the CLI's background stack survives the terminal, and a
            # SIGINT meant for pytest does not kill gunicorn before the fixture stops it.
            start_new_session=True,
        )
        self._gunicorn[index] = proc
        self._gunicorn_pids[index] = proc.pid
        self._wanted[index] = True

    def _wait_gunicorn(self, index: int) -> None:
        port = self.gunicorn_ports[index]
        log = self.logs_dir / f"gunicorn-{index}.error.log"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            proc = self._gunicorn[index]
            if proc is not None and proc.poll() is not None:
                raise StackError(f"gunicorn {index} exited with {proc.returncode}:\n{tail(log)}")
            if http_status(port, "/readyz") == 200:
                return
            time.sleep(0.1)
        raise StackError(f"gunicorn {index} not ready on port {port}:\n{tail(log)}")

    # --- nginx ------------------------------------------------------------------------------
    def render_nginx_config(self) -> Path:
        """Copy ``nginx/`` into the run directory with the container paths relocated."""
        target = self.run_dir / "nginx"
        tmp = self.run_dir / "tmp"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(NGINX_DIR, target)
        system_mime = Path("/etc/nginx/mime.types")
        if not system_mime.exists():
            raise StackError("/etc/nginx/mime.types is missing; install nginx-light")
        shutil.copy(system_mime, target / "mime.types")
        # stub_status is for the compose monitoring profile; natively it would be one more
        # listener on a fixed port, which parallel stacks on one machine cannot share.
        (target / "conf.d" / "status.conf").unlink(missing_ok=True)
        tmp.mkdir(parents=True, exist_ok=True)
        self._render_entrypoint_files(tmp)
        render_native_edge(tmp, {**os.environ, **self.app_env}, find_nginx())

        replacements = {
            "/etc/nginx/": f"{target}/",
            "/tmp/nginx/": f"{tmp}/",
            "/srv/static/": f"{self.static_dir}/",
            "access_log /dev/stdout": f"access_log {self.logs_dir}/nginx-access.log",
            "error_log /dev/stderr": f"error_log {self.logs_dir}/nginx-error.log",
        }
        for path in target.rglob("*.conf"):
            text = path.read_text()
            for old, new in replacements.items():
                text = text.replace(old, new)
            path.write_text(text)

        main = target / "nginx.conf"
        main_text = _USER_LINE.sub("", main.read_text())
        main_text = self._user_line() + "\n" + main_text
        main.write_text(self._apply_directives(main_text))
        (tmp / "upstream.conf").write_text(self._native_upstream())
        site = target / "conf.d" / "default.conf"
        site.write_text(self._apply_directives(self._native_site(site.read_text(), target)))
        for path in (target / "snippets").glob("*.conf"):
            path.write_text(self._apply_directives(path.read_text()))
        return main

    def _render_entrypoint_files(self, tmp: Path) -> None:
        """Run the container's own entrypoint (with ``true`` as the command) so the body limit
        and the capacity limits are rendered by the same code as in Docker."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "APP_MAX_CONTENT_LENGTH": self.max_content_length,
            "NGINX_RUN_DIR": str(tmp),
            "NGINX_APP_REPLICAS": str(self.replicas),
        }
        env.update({k: v for k, v in os.environ.items() if k.startswith("NGINX_")})
        env.update(self.nginx_env)
        env.pop("NGINX_APP_UPSTREAM", None)  # the upstream here is the loopback block below
        env["NGINX_RUN_DIR"] = str(tmp)
        # The edge files are rendered again with the native settings by render_native_edge.
        env["NGINX_EDGE_SETUP"] = str(NGINX_DIR / "snippets" / "edge-setup.sh")
        done = subprocess.run(
            ["sh", str(NGINX_DIR / "entrypoint.sh"), "true"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if done.returncode != 0:
            raise StackError(f"nginx/entrypoint.sh failed:\n{done.stderr}")

    @staticmethod
    def _user_line() -> str:
        # As root, nginx switches its workers to `user` (compiled-in default: nobody, who cannot
        # enter the private run directory); keep them as the current user, who can read the
        # repo's static files. As anyone else the directive is ignored, so leave it out.
        if os.geteuid() == 0:
            return f"user {getpass.getuser()};"
        return "# user: not root, nginx keeps running as the current user"

    def _native_upstream(self) -> str:
        lines = ["upstream wsgi_app {"]
        # A replica that refuses a connection is skipped for 2 s, then tried again.
        lines += [
            f"    server {HOST}:{port} max_fails=1 fail_timeout=2s;" for port in self.gunicorn_ports
        ]
        # Idle connections nginx keeps open to the replicas and reuses, as the Docker form's
        # rendered upstream does. keepalive_timeout stays below gunicorn's keepalive (75 s) so
        # that nginx, not gunicorn, closes idle ones.
        lines += ["    keepalive 32;", "    keepalive_timeout 60s;", "}", ""]
        return "\n".join(lines)

    def _native_site(self, docker_site: str, target: Path) -> str:
        upstreams = len(_DOCKER_UPSTREAM.findall(docker_site))
        site, listens = _DOCKER_LISTEN.subn(
            rf"\1listen {HOST}:{self.port} default_server;", docker_site
        )
        site = _DOCKER_INTERNAL_LISTEN.sub("", site)
        if (upstreams, listens) != (1, 1):
            raise StackError(
                "nginx/conf.d/default.conf no longer has the `include /tmp/nginx/upstream.conf;` "
                "and `listen 8080 default_server;` lines this tool rewrites"
            )
        if self.url_prefix:
            closing = site.rstrip().rfind("}")
            site = site[:closing] + self._prefix_locations(target) + site[closing:]
        return site

    def _prefix_locations(self, target: Path) -> str:
        prefix = self.url_prefix or ""
        return (
            f"\n    # The app again under {prefix}: nginx strips the prefix and tells the app\n"
            "    # (X-Forwarded-Prefix), so the links it builds carry the prefix.\n"
            f"    location ^~ {prefix}/static/ {{\n"
            f"        alias {self.static_dir}/;\n"
            "    }\n"
            f"    location ^~ {prefix}/ {{\n"
            f"        rewrite ^{re.escape(prefix)}(/.*)$ $1 break;\n"
            "        proxy_pass $app_upstream;\n"
            f"        include {target}/snippets/proxy-to-app.conf;\n"
            f"        proxy_set_header X-Forwarded-Prefix {prefix};\n"
            "    }\n"
        )

    def _apply_directives(self, text: str) -> str:
        for name, value in self.nginx_directives.items():
            pattern = re.compile(rf"^(\s*){re.escape(name)}\s[^;]*;", re.MULTILINE)
            replacement = f"{name} {value};".replace("\\", "\\\\")
            text = pattern.sub(rf"\g<1>{replacement}", text)
        return text

    def _nginx_argv(self, nginx: str, *extra: str) -> list[str]:
        prefix = self.run_dir / "nginx"
        error_log = self.logs_dir / "nginx-error.log"
        return [nginx, "-p", f"{prefix}/", "-c", str(self.nginx_conf), "-e", str(error_log), *extra]

    def _check_nginx_config(self, nginx: str) -> None:
        done = subprocess.run(
            self._nginx_argv(nginx, "-t", "-q"), capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            raise StackError(f"nginx -t failed for {self.nginx_conf}:\n{done.stderr}")

    def _spawn_nginx(self, nginx: str) -> None:
        self._nginx = subprocess.Popen(
            self._nginx_argv(nginx, "-g", "daemon off;"),
            stdin=subprocess.DEVNULL,
            stdout=self._open_log("nginx.stdout.log"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._nginx_pid = self._nginx.pid

    def _wait_nginx(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._nginx is not None and self._nginx.poll() is not None:
                raise StackError(
                    f"nginx exited with {self._nginx.returncode}:\n"
                    f"{tail(self.logs_dir / 'nginx-error.log')}"
                )
            if http_status(self.port, "/nginx-health") == 200:
                return
            time.sleep(0.05)
        raise StackError(f"nginx not answering on port {self.port}")

    # --- state for the CLI ------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "nginx_pid": self.nginx_pid,
            "gunicorn_pids": self.gunicorn_pids,
            "gunicorn_urls": self.gunicorn_urls,
            "logs_dir": str(self.logs_dir),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.native_stack",
        description="nginx + gunicorn on loopback with the repository's own config "
        "(STACK_PORT, default 8080; STACK_REPLICAS, default 1).",
    )
    parser.add_argument("command", choices=("up", "down", "supervise"))
    parser.add_argument("--run-dir", type=Path, default=CLI_RUN_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    run_dir = args.run_dir.resolve()
    from devtools import stack_supervisor  # the CLI's half, which builds on this module

    commands = {
        "up": stack_supervisor.up,
        "down": stack_supervisor.down,
        "supervise": stack_supervisor.supervise,
    }
    return commands[args.command](run_dir)


if __name__ == "__main__":
    sys.exit(main())
