"""The multiprocess metrics directories gunicorn.conf.py makes up: a master killed outright
cannot remove its own, so the next one removes those of masters that are gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from wsgistack import gunicorn_hooks


def a_finished_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def made_up(base: Path, pid: int | str) -> Path:
    directory = base / f"wsgi-stack-metrics-{os.getuid()}-{pid}"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"\0" * 16)
    return directory


def test_only_the_directories_of_masters_that_are_gone_are_removed(tmp_path: Path) -> None:
    own = made_up(tmp_path, os.getpid())
    gone = made_up(tmp_path, a_finished_pid())
    alive = made_up(tmp_path, os.getppid())
    not_a_pid = made_up(tmp_path, "x1")
    someone_elses = tmp_path / f"wsgi-stack-metrics-{os.getuid() + 1}-{a_finished_pid()}"
    someone_elses.mkdir()
    assert gunicorn_hooks.remove_dead_masters_dirs(own) == [gone]
    assert not gone.exists()
    assert all(kept.exists() for kept in (own, alive, not_a_pid, someone_elses))


def test_a_master_with_a_directory_of_its_own_sweeps_on_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / f"wsgi-stack-metrics-{os.getuid()}-{os.getpid()}"
    gone = made_up(tmp_path, a_finished_pid())
    monkeypatch.setenv(gunicorn_hooks.MULTIPROC_ENV, str(own))
    logged: list[Any] = []
    server = SimpleNamespace(log=SimpleNamespace(info=lambda *args: logged.append(args)))
    gunicorn_hooks.on_starting(server, made_up=False)  # a directory the operator chose: no sweep
    assert gone.exists() and own.is_dir()
    gunicorn_hooks.on_starting(server, made_up=True)
    assert not gone.exists() and own.is_dir() and len(logged) == 1
