"""``make stack`` / ``make stack-down``: the native stack in the background, under a supervisor.

``up`` starts ``python -m devtools.native_stack supervise`` in a session of its own and waits
until the stack answers; that process runs the stack, restarts a gunicorn master that dies
without being asked to, rewrites ``state.json`` after each restart, and stops everything on
SIGTERM, which is what ``down`` sends it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from devtools.native_stack import (
    REPO_ROOT,
    START_TIMEOUT,
    STOP_TIMEOUT,
    NativeStack,
    StackError,
    pid_alive,
    stop_pid,
    tail,
)


def service_has_database() -> bool:
    """Whether the service keeps its schema in migrations (``python -m app.migrate``, as the
    example does): only then does the stack start PostgreSQL and migrate it first."""
    return (REPO_ROOT / "app" / "migrate.py").is_file()


def up(run_dir: Path) -> int:
    """Start the supervisor process in the background and wait until the stack answers."""
    state_file = run_dir / "state.json"
    if state_file.exists():
        state = json.loads(state_file.read_text())
        if pid_alive(state.get("supervisor_pid", 0)) and pid_alive(state["nginx_pid"]):
            print(f"already running at {state['url']} (logs in {state['logs_dir']})")
            return 0
        down(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    database_env: dict[str, str] | None = {}
    if service_has_database():
        from devtools.native_db import start_for_stack  # PostgreSQL up and migrated, first

        database_env = start_for_stack(run_dir.parent / "postgres")
    if database_env is None:
        return 1
    supervisor_log = run_dir / "supervisor.log"
    with supervisor_log.open("ab") as log:
        # A session of its own: it outlives `make stack` and the terminal.
        proc = subprocess.Popen(
            [sys.executable, "-m", "devtools.native_stack", "supervise", "--run-dir", str(run_dir)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **database_env},
        )
    deadline = time.monotonic() + START_TIMEOUT * 2
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"native stack failed to start:\n{tail(supervisor_log)}", file=sys.stderr)
            return 1
        if state_file.exists():
            state = json.loads(state_file.read_text())
            replicas = len(state["gunicorn_pids"])
            print(f"nginx -> gunicorn x{replicas} at {state['url']}  (logs: {state['logs_dir']})")
            print("a supervisor restarts gunicorn if it dies; stop it all with `make stack-down`")
            return 0
        time.sleep(0.1)
    stop_pid(proc.pid, signal.SIGTERM)
    print(f"native stack did not start in time:\n{tail(supervisor_log)}", file=sys.stderr)
    return 1


def supervise(run_dir: Path) -> int:
    """The supervisor process: run the stack, restart dead masters, stop it all on SIGTERM."""
    port = int(os.environ.get("STACK_PORT", "8080"))
    replicas = int(os.environ.get("STACK_REPLICAS", "1"))
    state_file = run_dir / "state.json"
    # DATABASE_URL comes from `up`, which started and migrated the database first.
    database_env = (
        {"DATABASE_URL": os.environ["DATABASE_URL"]} if "DATABASE_URL" in os.environ else {}
    )
    stack = NativeStack(port=port, replicas=replicas, run_dir=run_dir, app_env=database_env)
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        stack.start()
    except StackError as exc:
        print(f"native stack failed to start: {exc}", file=sys.stderr)
        return 1
    try:
        written: list[int] = []
        while True:
            if stack.gunicorn_pids != written:  # first round, and after each restart
                state = {**stack.state(), "supervisor_pid": os.getpid()}
                state_file.write_text(json.dumps(state, indent=2) + "\n")
                written = stack.gunicorn_pids
            if stopping.wait(0.5):
                break
            try:
                for index in stack.restart_dead_replicas():
                    print(f"supervisor: restarted gunicorn replica {index}", flush=True)
            except StackError as exc:
                print(f"supervisor: {exc}", flush=True)
    finally:
        stack.stop()
        state_file.unlink(missing_ok=True)
    return 0


def down(run_dir: Path) -> int:
    state_file = run_dir / "state.json"
    if not state_file.exists():
        print("no native stack running")
        return 0
    state = json.loads(state_file.read_text())
    supervisor = state.get("supervisor_pid", 0)
    if supervisor and pid_alive(supervisor):
        # The supervisor stops nginx and gunicorn itself (and removes the state file).
        stop_pid(supervisor, signal.SIGTERM, timeout=STOP_TIMEOUT * 2)
    if state.get("nginx_pid") and pid_alive(state["nginx_pid"]):
        stop_pid(state["nginx_pid"], signal.SIGQUIT)
    for pid in state.get("gunicorn_pids", []):
        if pid and pid_alive(pid):
            stop_pid(pid, signal.SIGTERM)
    state_file.unlink(missing_ok=True)
    from devtools.native_db import stop_for_stack

    stop_for_stack(run_dir.parent / "postgres")
    print("native stack stopped")
    return 0
