"""PostgreSQL without Docker: a private cluster in a run folder, for `make stack` and the tests.

::

    with NativePostgres(run_dir) as pg:
        os.environ["DATABASE_URL"] = pg.url
        pg.stop(); pg.start()          # the same data, the same port

It uses the Debian ``postgresql`` package's binaries (``/usr/lib/postgresql/<major>/bin``) and
never the system's cluster: ``initdb`` makes a new one under ``<run_dir>/data`` on a free port,
listening on 127.0.0.1 only, its socket in the run folder. PostgreSQL refuses to run as root, so
as root every command runs as an unprivileged user (``postgres``, which the package creates, or
``nobody``) who is given the data folder.

    python -m devtools.native_db up|down|url [--run-dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from devtools.native_stack import REPO_ROOT, free_port

CLI_RUN_DIR = REPO_ROOT / ".run" / "postgres"
DATABASE = "app"
ROLE = "app"
START_TIMEOUT = 60


class PostgresError(RuntimeError):
    """A PostgreSQL command failed; the message carries its output."""


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` with pg_ctl, or pg_ctl on PATH."""
    roots = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if roots:
        return roots[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def service_user() -> str | None:
    """Who runs the server: None (ourselves) unless we are root, who may not."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PostgresError("running as root and neither `postgres` nor `nobody` exists")


class NativePostgres:
    """One throw-away (or, for `make stack`, kept) cluster in ``run_dir``."""

    def __init__(self, run_dir: Path, port: int | None = None, max_connections: int = 100) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise PostgresError("PostgreSQL is not installed; `apt-get install postgresql`")
        self.bindir = bindir
        self.run_dir = Path(run_dir).resolve()
        self.data_dir = self.run_dir / "data"
        self.socket_dir = self.run_dir / "socket"
        self.log_file = self.run_dir / "postgres.log"
        self.state_file = self.run_dir / "cluster.json"
        self.max_connections = max_connections
        self.user = service_user()
        if self.state_file.exists():  # an existing cluster keeps its port and password
            state = json.loads(self.state_file.read_text())
            self.port, self.password = int(state["port"]), str(state["password"])
        else:
            self.port, self.password = port or free_port(), secrets.token_urlsafe(18)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{ROLE}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    # --- commands, as the service user ------------------------------------------------------
    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=START_TIMEOUT, cwd="/"
        )
        if check and done.returncode != 0:
            raise PostgresError(
                f"{argv[0]} exited with {done.returncode}:\n{done.stdout}{done.stderr}"
                f"\n{self.log_tail()}"
            )
        return done

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def _give_to_user(self, *paths: Path) -> None:
        if self.user is None:
            return
        entry = pwd.getpwnam(self.user)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # --- lifecycle --------------------------------------------------------------------------
    def initialise(self) -> None:
        """initdb once: a superuser ``app`` with a password, a database ``app``."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # The service user must reach its folders inside ours (mkdtemp makes 0700 folders).
        self.run_dir.chmod(0o755)
        for folder in (self.data_dir, self.socket_dir):
            folder.mkdir(mode=0o700, exist_ok=True)
        if self.user is not None:
            reach = subprocess.run(
                ["runuser", "-u", self.user, "--", "test", "-x", str(self.run_dir)]
            )
            if reach.returncode != 0:
                raise PostgresError(
                    f"user {self.user} cannot reach {self.run_dir}: a folder above it is private"
                    " (0700); choose a run folder under a world-searchable path such as /tmp"
                )
        password_file = self.run_dir / "initdb-password"
        password_file.write_text(self.password + "\n")
        password_file.chmod(0o600)
        self.log_file.touch()
        self._give_to_user(self.data_dir, self.socket_dir, password_file, self.log_file)
        try:
            self._run(
                "initdb",
                "--pgdata", str(self.data_dir),
                "--username", ROLE,
                "--pwfile", str(password_file),
                "--auth-local", "trust",  # the socket folder is 0700: only its owner gets in
                "--auth-host", "scram-sha-256",
                "--encoding", "UTF8",
                "--locale", "C",
            )  # fmt: skip
        finally:
            password_file.unlink(missing_ok=True)
        self.state_file.write_text(json.dumps({"port": self.port, "password": self.password}))
        self.state_file.chmod(0o600)
        self.start()
        self._run(
            "createdb", "-h", str(self.socket_dir), "-p", str(self.port), "-U", ROLE, DATABASE
        )

    def running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def start(self) -> None:
        if self.running():
            return
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
            f" -c max_connections={self.max_connections}"
        )
        self._run(
            "pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file),
            "-o", options, "-w", "-t", str(START_TIMEOUT),
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast``: roll back open transactions and close every session, as a restart would."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w", check=False)

    def psql(self, sql: str) -> str:
        """Run ``sql`` as the superuser over the socket; its unaligned output."""
        done = self._run(
            "psql", "-h", str(self.socket_dir), "-p", str(self.port), "-U", ROLE, "-d", DATABASE,
            "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql,
        )  # fmt: skip
        return done.stdout.strip()

    def __enter__(self) -> NativePostgres:
        self.initialise()
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def migrate(url: str) -> subprocess.CompletedProcess[str]:
    """``python -m app.migrate upgrade`` against ``url``, as every deployment runs it."""
    return subprocess.run(
        [sys.executable, "-m", "app.migrate", "upgrade"],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_for_stack(run_dir: Path) -> dict[str, str] | None:
    """`make stack`'s first step: the database up and migrated; the app's DATABASE_URL.

    A DATABASE_URL in the environment is used as it is (migrated, not started); otherwise a
    cluster in ``run_dir``. None, after saying why, when either fails.
    """
    url = os.environ.get("DATABASE_URL", "")
    where = "DATABASE_URL"
    if not url:
        try:
            cluster = NativePostgres(run_dir)
            cluster.initialise()
            cluster.start()
        except PostgresError as error:
            print(f"PostgreSQL failed to start (or set DATABASE_URL): {error}", file=sys.stderr)
            return None
        url, where = cluster.url, f"PostgreSQL on 127.0.0.1:{cluster.port}"
    done = migrate(url)
    if done.returncode != 0:
        print(f"migrations failed:\n{done.stdout}{done.stderr}", file=sys.stderr)
        return None
    print(f"{where}: {done.stdout.strip()}")
    return {"DATABASE_URL": url}


def stop_for_stack(run_dir: Path) -> None:
    if (run_dir / "cluster.json").exists():
        with contextlib.suppress(PostgresError):
            NativePostgres(run_dir).stop()
            print("PostgreSQL stopped (data kept in .run/postgres)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.native_db", description=__doc__)
    parser.add_argument("command", choices=("up", "down", "url"))
    parser.add_argument("--run-dir", type=Path, default=CLI_RUN_DIR)
    args = parser.parse_args(argv)
    try:
        cluster = NativePostgres(args.run_dir)
        if args.command == "up":
            cluster.initialise()
            cluster.start()
            print(f"PostgreSQL on 127.0.0.1:{cluster.port} (data in {cluster.data_dir})")
        elif args.command == "down":
            cluster.stop()
            print("PostgreSQL stopped (data kept; delete the run folder to start afresh)")
        else:
            print(cluster.url)
    except PostgresError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
