"""devtools.servers itself: a server is stopped for good, workers included, even after failure."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.servers import ProcessServer, ServerStartError, free_port, stop_process_group
from tests.contract.client import call


def group_members(pgid: int) -> list[int]:
    """Live processes in the group. Zombies don't count: they are dead, only not yet reaped
    (an orphan's parent is then PID 1, which in a container may never reap)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def test_free_port_can_be_bound_on_loopback() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_stop_kills_gunicorn_master_and_workers() -> None:
    server = ProcessServer("gunicorn-sync")
    try:
        server.start()
        pgid = server.pgid
        assert pgid is not None
        assert call(server.url, "GET", "/_probe/text").status == 200
        # Master plus its two workers, all in the server's own process group (the master forks
        # them one after the other, so the second may still be on its way).
        deadline = time.monotonic() + 30
        while len(group_members(pgid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(group_members(pgid)) >= 3
    finally:
        server.stop()
    assert group_members(pgid) == []
    assert server.pgid is None


def test_stop_reaches_children_whose_leader_is_already_gone() -> None:
    # A leader that forks a long sleeper, then dies: only a group kill can reach the sleeper
    # (gunicorn workers would notice an orphaning on their own; a launcher's children might not).
    code = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while len(group_members(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert group_members(process.pid) != []  # the sleeper is still there
    finally:
        stop_process_group(process, timeout=5)
    assert group_members(process.pid) == []


def test_a_server_that_cannot_start_raises_with_its_log_and_leaves_nothing() -> None:
    server = ProcessServer("wsgiref", env={"APP_LOG_LEVEL": "NOT-A-LEVEL"})
    with pytest.raises(ServerStartError) as raised:
        server.start()
    assert "APP_LOG_LEVEL" in str(raised.value)
    assert server.pgid is None


def test_stop_process_group_is_safe_on_a_finished_process() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    process.wait()
    stop_process_group(process, timeout=1)  # must not raise
