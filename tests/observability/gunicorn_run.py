"""One gunicorn (``gunicorn -c gunicorn.conf.py app.wsgi:app``) on free loopback ports, with its
metrics server on, for the metrics and log tests; logs go to files in the test's folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from prometheus_client.parser import text_string_to_metric_families

from devtools.dev_secret import with_dev_secret_key
from devtools.native_stack import HOST, free_port, http_status, stop_pid

REPO_ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


class Gunicorn:
    def __init__(self, run_dir: Path, env: Mapping[str, str] | None = None) -> None:
        self.run_dir = run_dir
        self.port = free_port()
        self.metrics_port = free_port()
        self.metrics_dir = run_dir / "metrics"
        self.stdout = run_dir / "gunicorn.stdout.log"
        self.stderr = run_dir / "gunicorn.stderr.log"
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "METRICS_PORT": str(self.metrics_port),
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            "WEB_CONCURRENCY": "2",
            "GUNICORN_MAX_REQUESTS": "0",
            # A database of this run's own (not the checkout's instance/app.db).
            "DATABASE_URL": f"sqlite:///{run_dir / 'app.db'}",
            **(env or {}),
        }
        with_dev_secret_key(self.env)  # app.wsgi refuses to start without a SECRET_KEY
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Gunicorn:
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [str(GUNICORN), "-c", "gunicorn.conf.py", "app.wsgi:app"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=out,
                stderr=err,
            )
        self.wait_until(lambda: len(self.worker_pids()) == 2, "two workers")
        self.wait_until(lambda: http_status(self.port, "/readyz") == 200, "/readyz")
        self.wait_until(lambda: http_status(self.metrics_port, "/metrics") == 200, "/metrics")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_pid(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)

    def wait_until(self, condition: object, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.stderr.read_text()[-3000:]}")
            if callable(condition) and condition():
                return
            time.sleep(0.1)
        raise AssertionError(f"gunicorn: no {what} within {timeout} s:\n{self.stderr.read_text()}")

    def worker_pids(self) -> set[int]:
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except OSError:
            return set()

    def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of the master's /metrics: (name, sorted labels) -> value."""
        url = f"http://{HOST}:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            text = reply.read().decode()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }


def total(
    samples: Mapping[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(value for (n, have), value in samples.items() if n == name and wanted <= set(have))
