"""Helpers for the PostgreSQL tests: a database per test, who holds which server connection."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from devtools.native_db import NativePostgres
from devtools.native_stack import REPO_ROOT


def migrate(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m app.migrate ARGS`` against ``url``, in a clean environment."""
    return subprocess.run(
        [sys.executable, "-m", "app.migrate", *args],
        cwd=REPO_ROOT,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def fresh_database(cluster: NativePostgres) -> str:
    """A new, empty database in ``cluster``; its URL."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    cluster.psql(f"CREATE DATABASE {name}")
    return cluster.url.rsplit("/", 1)[0] + f"/{name}"


def sessions(cluster: NativePostgres, application_name: str) -> int:
    sql = f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application_name}'"
    return int(cluster.psql(sql))


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def sockets_to_port(pid: int, port: int) -> set[int]:
    """Inodes of the TCP sockets process ``pid`` holds open to ``port`` on loopback."""
    remote = f"0100007F:{port:04X}"
    connected: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[2].endswith(remote) or fields[2].endswith(f":{port:04X}"):
                connected.add(int(fields[9]))
    held: set[int] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inode = int(target[8:-1])
            if inode in connected:
                held.add(inode)
    return held
