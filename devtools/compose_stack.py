"""Bring the repository's docker-compose.yml up for a test, under a project name of its own.

::

    with ComposeStack(env={"APP_DIAGNOSTICS": "1"}) as stack:
        requests.get(stack.url + "/_probe/text")
        stack.compose("stop", "app")
        stack.container_ids("app")

``__enter__`` runs ``docker compose up --build --wait`` with a unique project name and nginx
published on a free ``127.0.0.1`` port (``HTTP_PORT``); ``__exit__`` runs ``down -v``, after
printing the services' logs when the block failed. Where the locally built stand-in base images
exist (``.ci/provision.sh`` makes them; no registry is reachable in CI) they are used instead of
the official ``python`` and ``nginx`` images.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from devtools.dev_secret import ensure_key_file
from devtools.native_stack import HOST, free_port, http_status

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
STANDIN_IMAGES = {
    "PYTHON_IMAGE": "local/python:3.11-bookworm",
    "NGINX_IMAGE": "local/nginx:1.22-bookworm",
    "POSTGRES_IMAGE": "local/postgres:15-bookworm",
}
UP_TIMEOUT = 300  # seconds: a cold build of the app image with pip behind a proxy included


class ComposeError(RuntimeError):
    """A compose command failed; the message carries its output."""


def docker_image_exists(image: str) -> bool:
    done = subprocess.run(
        ["docker", "image", "inspect", image], capture_output=True, text=True, timeout=60
    )
    return done.returncode == 0


def standin_env() -> dict[str, str]:
    """PYTHON_IMAGE / NGINX_IMAGE pointing at the local stand-ins, for those that exist."""
    return {name: image for name, image in STANDIN_IMAGES.items() if docker_image_exists(image)}


class ComposeStack:
    """One compose project from the repository's docker-compose.yml.

    ``env`` overrides the compose variables (``APP_*``, ``GUNICORN_*``, ``APP_REPLICAS``, ...).
    ``name`` becomes part of the project name (``wsgi-stack-<name>-<random>``), so parallel tests
    and people never share containers. ``services`` limits ``up`` to those (and their
    dependencies); ``profiles`` enables compose profiles such as ``load``; ``scale`` maps a
    service to a replica count (``--scale``).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        name: str = "test",
        *,
        services: Sequence[str] = (),
        profiles: Sequence[str] = (),
        scale: Mapping[str, int] | None = None,
        build: bool = True,
        up_timeout: int = UP_TIMEOUT,
        project_dir: Path = REPO_ROOT,
    ) -> None:
        self.project = f"wsgi-stack-{name}-{uuid.uuid4().hex[:8]}".lower()
        self.project_dir = project_dir
        self.services = list(services)
        self.profiles = list(profiles)
        self.scale = dict(scale or {})
        self.build = build
        self.up_timeout = up_timeout
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update(standin_env())
        self.env.update(
            {
                "HTTP_BIND": HOST,
                "HTTP_PORT": str(self.port),
                "HTTPS_PORT": str(free_port()),
                "LOCUST_WEB_PORT": str(free_port()),
            }
        )
        self.env.update(env or {})
        self.port = int(self.env["HTTP_PORT"])
        self._up = False
        # The app's secret key file (docker-compose.yml's `app_secret_key`): one per stack, in a
        # folder of its own that `down` removes, unless the caller names one.
        self._key_dir: str | None = None
        if not self.env.get("APP_SECRET_KEY_PATH"):
            self._key_dir = tempfile.mkdtemp(prefix="wsgi-stack-key-")
            key_file = ensure_key_file(Path(self._key_dir) / "app_secret_key")
            self.env["APP_SECRET_KEY_PATH"] = str(key_file)

    @property
    def url(self) -> str:
        """nginx's published address."""
        return f"http://{HOST}:{self.port}"

    # --- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> ComposeStack:
        self.up()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.dump_logs()
        self.down()

    def up(self) -> None:
        args = ["up", "--detach", "--wait", "--wait-timeout", str(self.up_timeout)]
        if self.build:
            args.append("--build")
        for service, count in self.scale.items():
            args += ["--scale", f"{service}={count}"]
        self._up = True  # even a failed `up` may have created containers: always `down`
        try:
            self.compose(*args, *self.services, timeout=self.up_timeout + 300)
            self.wait_http("/nginx-health")
        except BaseException:
            self.dump_logs()
            self.down()
            raise

    def down(self) -> None:
        if self._up:
            self._up = False
            self.compose("down", "--volumes", "--remove-orphans", "--timeout", "40", check=False)
        if self._key_dir is not None:
            shutil.rmtree(self._key_dir, ignore_errors=True)
            self._key_dir = None

    def wait_http(self, path: str, timeout: float = 60.0) -> None:
        """Until ``path`` answers 200 through the published port (``--wait`` covers health,
        this covers the port mapping)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if http_status(self.port, path) == 200:
                return
            time.sleep(0.2)
        raise ComposeError(f"{self.url}{path} did not answer 200 within {timeout:.0f} s")

    # --- commands ---------------------------------------------------------------------------
    def compose_argv(self, *args: str) -> list[str]:
        compose_file = self.project_dir / COMPOSE_FILE.name
        argv = ["docker", "compose", "--project-name", self.project, "--file", str(compose_file)]
        argv += ["--project-directory", str(self.project_dir)]
        for profile in self.profiles:
            argv += ["--profile", profile]
        return [*argv, *args]

    def compose(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run ``docker compose <args>`` for this project; raise ComposeError when it fails."""
        done = subprocess.run(
            self.compose_argv(*args),
            cwd=self.project_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise ComposeError(
                f"docker compose {' '.join(args)} exited with {done.returncode}:\n"
                f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
            )
        return done

    def container_ids(self, service: str, all_states: bool = False) -> list[str]:
        """Ids of ``service``'s containers (running ones unless ``all_states``)."""
        args = ["ps", "--quiet", *(["--all"] if all_states else []), service]
        return [line for line in self.compose(*args).stdout.split() if line]

    def logs(self, *services: str, tail: int | None = 200, prefix: bool = True) -> str:
        """Recent log lines of ``services`` (all when none); ``tail=None`` for all of them,
        ``prefix=False`` for the bare lines (one JSON object each)."""
        args = ["logs", "--no-color", "--tail", "all" if tail is None else str(tail)]
        if not prefix:
            args.append("--no-log-prefix")
        done = self.compose(*args, *services, check=False)
        return done.stdout + done.stderr

    def inspect(self, container_id: str) -> dict[str, Any]:
        """``docker inspect`` of one container (or image) as a dict."""
        done = subprocess.run(
            ["docker", "inspect", container_id], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise ComposeError(f"docker inspect {container_id}: {done.stderr}")
        return dict(json.loads(done.stdout)[0])

    def exec(
        self, service: str, *argv: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in ``service``'s first container (``docker compose exec -T``)."""
        return self.compose("exec", "-T", service, *argv, check=check, timeout=120)

    def dump_logs(self) -> None:
        """Print the services' states and logs to stderr (pytest shows them for a failure)."""
        status = self.compose("ps", "--all", check=False)
        print(
            f"\n===== docker compose ({self.project}) ps =====\n{status.stdout}{status.stderr}"
            f"===== logs =====\n{self.logs()}",
            file=sys.stderr,
        )
