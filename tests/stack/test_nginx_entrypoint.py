"""nginx/entrypoint.sh: which upstream form it renders for which nginx, how its watcher follows
the replicas, and the capacity limits it renders. Runs the real script with stand-in `nginx` and
`getent` programs on PATH, so both the 1.27.3+ and the 1.22 paths are exercised here."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from devtools.resilience import wait_until
from tests.support.prereqs import require_executable

ENTRYPOINT = Path(__file__).resolve().parents[2] / "nginx" / "entrypoint.sh"


def fake_tools(bin_dir: Path, version: str, answers: Path, reloads: Path) -> None:
    """`nginx -v` prints ``version``; `nginx -s reload` is recorded; `getent` prints the
    addresses in ``answers`` the way glibc's getent ahostsv4 does."""
    bin_dir.mkdir()
    (bin_dir / "nginx").write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = -v ]; then echo "nginx version: nginx/{version}" >&2; exit 0; fi\n'
        f'if [ "$1" = -s ]; then echo "$2" >>{reloads}; exit 0; fi\n'
        "exit 0\n"
    )
    (bin_dir / "getent").write_text(
        f'#!/bin/sh\nwhile read -r a; do echo "$a STREAM $3"; echo "$a DGRAM"; done <{answers}\n'
    )
    for tool in ("nginx", "getent"):
        (bin_dir / tool).chmod(0o755)


def run_entrypoint(
    tmp_path: Path, version: str, addresses: str, command: list[str], **env: str
) -> tuple[subprocess.Popen[str], Path]:
    require_executable("sh")
    run_dir = tmp_path / "run"
    answers = tmp_path / "answers"
    answers.write_text(addresses)
    fake_tools(tmp_path / "bin", version, answers, tmp_path / "reloads")
    environ = {
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "NGINX_RUN_DIR": str(run_dir),
        "NGINX_APP_UPSTREAM": "app:8000",
        **env,
    }
    # Output to a file, not a pipe: the watcher keeps its stderr open after the script is done.
    with (tmp_path / "output").open("w") as output:
        proc = subprocess.Popen(
            ["sh", str(ENTRYPOINT), *command], env=environ, stdout=output, stderr=output, text=True
        )
    return proc, run_dir


def finished(proc: subprocess.Popen[str], tmp_path: Path) -> str:
    proc.wait(timeout=30)
    output = (tmp_path / "output").read_text()
    assert proc.returncode == 0, output
    return output


def test_nginx_1_27_3_gets_a_resolving_upstream_with_keepalive(tmp_path: Path) -> None:
    proc, run_dir = run_entrypoint(tmp_path, "1.27.3", "172.18.0.5\n", ["true"])
    finished(proc, tmp_path)
    upstream = (run_dir / "upstream.conf").read_text()
    assert "server app:8000 resolve" in upstream
    assert "zone wsgi_app" in upstream
    assert "resolver 127.0.0.11 valid=5s" in upstream
    assert "keepalive 32;" in upstream


@pytest.mark.parametrize("version", ["1.22.1", "1.27.2", "1.9.15"])
def test_older_nginx_gets_the_replicas_addresses(tmp_path: Path, version: str) -> None:
    proc, run_dir = run_entrypoint(tmp_path, version, "172.18.0.5\n172.18.0.7\n", ["true"])
    finished(proc, tmp_path)
    upstream = (run_dir / "upstream.conf").read_text()
    assert "resolve" not in upstream
    assert "server 172.18.0.5:8000 max_fails=1 fail_timeout=2s;" in upstream
    assert "server 172.18.0.7:8000 max_fails=1 fail_timeout=2s;" in upstream
    assert "keepalive 32;" in upstream
    # Two replicas: twice the per-replica queue.
    assert "limit_conn wsgi_app_inflight 64;" in (run_dir / "app-capacity.conf").read_text()


def test_nothing_resolving_yet_renders_a_valid_down_upstream(tmp_path: Path) -> None:
    proc, run_dir = run_entrypoint(tmp_path, "1.22.1", "", ["true"])
    finished(proc, tmp_path)
    assert "server 127.0.0.1:8000 down;" in (run_dir / "upstream.conf").read_text()


def test_watcher_rerenders_and_reloads_when_replicas_change(tmp_path: Path) -> None:
    # `nginx` as the command starts the watcher; the stand-in nginx above exits at once, so a
    # shell loop stands in for the long-running server while the watcher works.
    proc, run_dir = run_entrypoint(
        tmp_path,
        "1.22.1",
        "172.18.0.5\n",
        ["nginx", "-g", "daemon off;"],
        NGINX_UPSTREAM_WATCH_INTERVAL="1",
    )
    finished(proc, tmp_path)  # exec'd the stand-in nginx, which exited; the watcher runs on
    try:
        (tmp_path / "answers").write_text("172.18.0.5\n172.18.0.9\n172.18.0.11\n")
        upstream = run_dir / "upstream.conf"
        # The watcher renders the upstream, then the capacity file, then reloads: wait for the
        # reload, so both files are complete, rather than guess how long a busy CI takes.
        assert reloads_reach(tmp_path, 1) == ["reload"]
        assert "server 172.18.0.9:8000" in upstream.read_text()
        assert "server 172.18.0.11:8000" in upstream.read_text()
        assert "limit_conn wsgi_app_inflight 96;" in (run_dir / "app-capacity.conf").read_text()
        # Every replica gone (all stopped): nginx gets the `down` upstream (502 at once).
        (tmp_path / "answers").write_text("")
        assert reloads_reach(tmp_path, 2) == ["reload", "reload"]
        assert "server 127.0.0.1:8000 down;" in upstream.read_text()
    finally:
        stop_watchers(tmp_path)


def reloads_reach(tmp_path: Path, count: int, timeout: float = 15) -> list[str]:
    """The stand-in nginx's reload log once it has ``count`` entries (or at the deadline)."""
    log = tmp_path / "reloads"

    def seen() -> list[str]:
        return log.read_text().split() if log.exists() else []

    if wait_until(lambda: len(seen()) >= count, timeout, interval=0.1):
        time.sleep(0.2)  # a spurious extra reload would show up here
    return seen()


def stop_watchers(tmp_path: Path) -> None:
    """End the watcher shells this test started (found by the stand-in PATH in their env)."""
    marker = str(tmp_path / "bin").encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes():
                os.kill(int(entry.name), 15)
        except (OSError, ProcessLookupError):
            continue


def test_capacity_limits_come_from_the_environment(tmp_path: Path) -> None:
    proc, run_dir = run_entrypoint(
        tmp_path,
        "1.22.1",
        "172.18.0.5\n",
        ["true"],
        NGINX_APP_MAX_CONNS="7",
        NGINX_PER_CLIENT_CONNS="9",
        NGINX_UPLOADS_PER_CLIENT="3",
    )
    finished(proc, tmp_path)
    capacity = (run_dir / "app-capacity.conf").read_text()
    assert "limit_conn wsgi_app_inflight 7;" in capacity
    assert "limit_conn wsgi_per_client 9;" in capacity
    assert "limit_conn wsgi_uploads_per_client 3;" in capacity


@pytest.mark.parametrize("name", ["NGINX_PER_CLIENT_CONNS", "NGINX_APP_CONNS_PER_REPLICA"])
def test_a_limit_that_is_not_a_number_stops_the_container(tmp_path: Path, name: str) -> None:
    proc, _ = run_entrypoint(tmp_path, "1.22.1", "172.18.0.5\n", ["true"], **{name: "lots"})
    proc.wait(timeout=30)
    assert proc.returncode == 64
    assert name in (tmp_path / "output").read_text()
