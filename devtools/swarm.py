"""Run docker-compose.yml as a Docker Swarm stack on this machine: `make swarm-up` / `swarm-down`.

    python3 -m devtools.swarm up [--stack NAME] [--port PORT] [--replicas N]
    python3 -m devtools.swarm down [--stack NAME] [--leave]

`up` joins the engine to a single-node swarm if it is not in one (`docker swarm init
--advertise-addr 127.0.0.1`), builds the images with Compose (a stack ignores `build:`), and runs
`docker stack deploy` on the *same* docker-compose.yml. `down` removes the stack and, when `up`
created the swarm, leaves it again.

`docker stack deploy` does not read every Compose file as `docker compose` does, so the file goes
through `docker compose config` (variables resolved, one normal form) and `swarm_file()`, which
changes only what a stack cannot take, each with its reason below. tests/scale checks the
result with `docker stack config` and deploys it for real.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from devtools.dev_secret import ensure_key_file

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
STATE_DIR = ROOT / ".run" / "swarm"
DEFAULT_STACK = "wsgi-stack"
# The service the stack publishes, and the one whose replicas nginx spreads requests over.
ENTRY_SERVICE = "nginx"
APP_SERVICE = "app"
# One-shot services: a stack runs them as jobs (run to completion once a deploy, never restarted
# after success). A stack has no `service_completed_successfully`: the app answers /readyz with
# 503 until the schema is at head, so swarm's start-first update waits for the migration.
JOB_SERVICES = frozenset({"migrate"})

# Compose keys a stack rejects or ignores. `build`: swarm runs images only (built beforehand);
# `container_name`: a task name is chosen by swarm; the others are rejected by the stack schema.
DROPPED_SERVICE_KEYS = frozenset(
    {"build", "container_name", "pull_policy", "profiles", "develop", "platform", "scale"}
)
# Healthcheck keys newer than the stack file schema (it stops at Compose file format 3.x).
DROPPED_HEALTHCHECK_KEYS = frozenset({"start_interval"})
# Top-level keys of the Compose Specification that the 3.x stack schema does not know.
DROPPED_TOP_LEVEL_KEYS = frozenset({"name", "include", "models"})


class SwarmError(RuntimeError):
    """A docker command failed; the message carries its stderr."""


def docker(
    *args: str,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = 600,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        timeout=timeout,
        input=input_text,
    )
    if check and done.returncode != 0:
        raise SwarmError(f"docker {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


# --- the swarm itself -----------------------------------------------------------------------


def swarm_state() -> str:
    """`inactive`, `active`, `pending`, `error` or `locked` (docker info's LocalNodeState)."""
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()


def ensure_swarm() -> bool:
    """Make this engine a single-node swarm manager; True when this call created the swarm."""
    if swarm_state() == "active":
        return False
    # 127.0.0.1: the swarm's control traffic stays on this machine; no other node can join.
    docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    return True


def leave_swarm() -> None:
    # --force: a manager (the only node here) may not leave without it; the swarm's state goes.
    if swarm_state() != "inactive":
        docker("swarm", "leave", "--force")


# --- the stack file -------------------------------------------------------------------------


def compose_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """docker-compose.yml as `docker compose config` normalises it, with ``env`` applied."""
    done = docker("compose", "-f", str(COMPOSE_FILE), "config", "--format", "json", env=env)
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def _swarm_ports(ports: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    converted = []
    for port in ports:
        entry: dict[str, Any] = {
            "target": int(port["target"]),
            "protocol": port.get("protocol", "tcp"),
            # `host` mode: the task's own port on this node. The `ingress` routing mesh needs the
            # kernel's IPVS, which many hosts (containers, CI machines, WSL) do not have; a single
            # node gains nothing from it. A stack has no host IP: the port is open on every
            # interface of the node, so firewall it when the node is reachable from outside.
            "mode": "host",
        }
        if port.get("published") not in (None, ""):
            entry["published"] = int(port["published"])
        converted.append(entry)
    return converted


def swarm_file(config: Mapping[str, Any]) -> dict[str, Any]:
    """Turn `docker compose config` output into a file `docker stack deploy` accepts.

    Everything not named here passes through unchanged: images, environment, healthchecks,
    `deploy:` (replicas, update_config, restart_policy, resources), networks, volumes, grace
    periods and the hardening settings.
    """
    stack: dict[str, Any] = {
        key: copy.deepcopy(value)
        for key, value in config.items()
        if key not in DROPPED_TOP_LEVEL_KEYS and not key.startswith("x-")
    }
    for name, service in stack.get("services", {}).items():
        for key in DROPPED_SERVICE_KEYS & service.keys():
            del service[key]
        for key in [k for k, v in service.items() if v is None]:
            del service[key]  # `command: null` and friends: the schema wants them absent
        if isinstance(service.get("depends_on"), Mapping):
            # A stack starts every service at once and has no start-up conditions; keep the
            # names (documentation only). nginx copes: its entrypoint follows the replicas as
            # they appear and answers 502/503 with a JSON page until the app is ready.
            service["depends_on"] = sorted(service["depends_on"])
        if "ports" in service:
            service["ports"] = _swarm_ports(service["ports"])
        healthcheck = service.get("healthcheck")
        if isinstance(healthcheck, dict):
            for key in DROPPED_HEALTHCHECK_KEYS & healthcheck.keys():
                del healthcheck[key]
        if "tmpfs" in service:
            # The short `tmpfs:` list is ignored by a stack; a tmpfs volume is not (a read-only
            # root needs its writable /tmp).
            paths = service.pop("tmpfs")
            paths = [paths] if isinstance(paths, str) else paths
            service.setdefault("volumes", []).extend(
                {"type": "tmpfs", "target": path.split(":", 1)[0]} for path in paths
            )
        deploy = service.setdefault("deploy", {})
        # Swarm-only rules kept outside `deploy:` so plain Compose does not warn about them.
        deploy.update(copy.deepcopy(config.get("x-swarm-deploy", {}).get(name, {})))
        if not deploy.get("placement"):
            deploy.pop("placement", None)
        if name in JOB_SERVICES:
            deploy["mode"] = "replicated-job"
            deploy.pop("replicas", None)
        # DNS round robin for every service: a name resolves to its tasks' own addresses, as
        # with compose. For `app` that lets nginx's resolver see each replica and retry a failed
        # request on another; for all of them it avoids the default virtual IP, which needs IPVS
        # in the kernel (absent on many hosts: there `db`'s VIP answers "no route to host").
        # Published ports are host mode (above), which dnsrr allows.
        deploy["endpoint_mode"] = "dnsrr"
        resources = deploy.get("resources", {})
        for limits in (resources.get("limits"), resources.get("reservations")):
            if isinstance(limits, dict) and isinstance(limits.get("cpus"), int | float):
                limits["cpus"] = str(limits["cpus"])  # the stack schema wants a string
    for network in stack.get("networks", {}).values():
        if isinstance(network, dict):
            # A stack's networks span nodes: overlay, and attachable so that `docker run
            # --network` can join one for debugging. `ipam: {}` is the schema's error.
            if not network.get("external"):
                network["driver"] = "overlay"
                network["attachable"] = True
            if not network.get("ipam"):
                network.pop("ipam", None)
    for section in ("networks", "volumes", "secrets"):
        for item in stack.get(section, {}).values():
            if isinstance(item, dict) and not item.get("external"):
                # Compose names them after its project (`wsgi-stack_default`); without a name the
                # stack prefixes its own, so a stack and a compose project never share one.
                item.pop("name", None)
    return stack


def write_stack_file(stack: str, env: Mapping[str, str] | None = None) -> Path:
    path = STATE_DIR / f"{stack}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    # JSON is YAML: `docker stack deploy -c` reads it as is.
    path.write_text(json.dumps(swarm_file(compose_config(env)), indent=2) + "\n")
    return path


# --- deploy and remove ----------------------------------------------------------------------


def build_images(env: Mapping[str, str] | None = None) -> None:
    """Build every image docker-compose.yml builds; a stack only runs images that exist."""
    docker("compose", "-f", str(COMPOSE_FILE), "build", env=env, timeout=1800)


def deploy(stack: str, env: Mapping[str, str] | None = None, wait: bool = True) -> list[str]:
    """`docker stack deploy` and, with ``wait``, return once every service has converged.

    Returns docker's warnings, e.g. the Compose options a stack ignores (`restart`, which
    `deploy.restart_policy` replaces, and `security_opt`).
    """
    if not (env or {}).get("APP_SECRET_KEY_PATH") and not os.environ.get("APP_SECRET_KEY_PATH"):
        ensure_key_file()  # docker-compose.yml's app_secret_key: the file must exist to deploy
    path = write_stack_file(stack, env)
    # --resolve-image never: the images are local, there is no registry to ask for digests.
    args = ["stack", "deploy", "--resolve-image", "never", "-c", str(path)]
    args += ["--detach=false"] if wait else ["--detach=true"]
    done = docker(*args, stack, env=env, timeout=600)
    lines = done.stderr.splitlines()
    return [
        line for line in lines if ("gnor" in line or "arn" in line) and line.rstrip()[-1:] != ":"
    ]


def service_name(stack: str, service: str) -> str:
    return f"{stack}_{service}"


def remove(stack: str, timeout: float = 120, volumes: bool = False) -> None:
    """Remove the stack and wait until its containers and networks are gone; with ``volumes``,
    its named volumes too (the database's data: ``stack rm`` keeps them, as ``docker compose
    down`` does without ``-v``, and so does ``make swarm-down``)."""
    docker("stack", "rm", stack, check=False)
    label = f"label=com.docker.stack.namespace={stack}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # A finished job's task (migrate) leaves its exited container behind after `stack rm`;
        # the engine never reaps it, so remove the stack's exited containers ourselves.
        exited = docker("ps", "-aq", "--filter", label, "--filter", "status=exited", check=False)
        if exited.stdout.split():
            docker("rm", *exited.stdout.split(), check=False)
        left = docker("ps", "-aq", "--filter", label, check=False).stdout.split()
        left += docker("network", "ls", "-q", "--filter", label, check=False).stdout.split()
        if volumes and not left:
            # Free only now: a volume cannot go while a container of the stack still uses it.
            named = docker("volume", "ls", "-q", "--filter", label, check=False).stdout.split()
            if named:
                docker("volume", "rm", *named, check=False)
            left += docker("volume", "ls", "-q", "--filter", label, check=False).stdout.split()
        if not left:
            (STATE_DIR / f"{stack}.json").unlink(missing_ok=True)
            return
        time.sleep(1)
    raise SwarmError(
        f"stack {stack} still has containers, networks or volumes after {timeout:.0f}s"
    )


# --- command line ---------------------------------------------------------------------------


def _created_marker(stack: str) -> Path:
    return STATE_DIR / f"{stack}.created-swarm"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m devtools.swarm", description=__doc__)
    parser.add_argument("command", choices=["up", "down"])
    parser.add_argument("--stack", default=os.environ.get("STACK_NAME", DEFAULT_STACK))
    parser.add_argument(
        "--port", type=int, help="published port of nginx (default: HTTP_PORT or 8080)"
    )
    parser.add_argument("--replicas", type=int, help="app replicas (default: APP_REPLICAS or 2)")
    parser.add_argument(
        "--leave", action="store_true", help="down: leave the swarm even if up did not create it"
    )
    args = parser.parse_args(argv)

    env = {"APP_REPLICAS": os.environ.get("APP_REPLICAS", "2")}
    if args.replicas is not None:
        env["APP_REPLICAS"] = str(args.replicas)
    if args.port is not None:
        env["HTTP_PORT"] = str(args.port)
    try:
        if args.command == "up":
            if ensure_swarm():
                _created_marker(args.stack).parent.mkdir(parents=True, exist_ok=True)
                _created_marker(args.stack).touch()
                print("joined a new single-node swarm (advertise address 127.0.0.1)")
            build_images(env)
            for warning in deploy(args.stack, env):
                print(warning)
            port = env.get("HTTP_PORT") or os.environ.get("HTTP_PORT", "8080")
            stack_file = (STATE_DIR / f"{args.stack}.json").relative_to(ROOT)
            print(f"stack {args.stack} deployed from {stack_file}")
            print(f"http://127.0.0.1:{port}/  (docker stack services {args.stack})")
        else:
            remove(args.stack)
            print(f"stack {args.stack} removed")
            if args.leave or _created_marker(args.stack).exists():
                leave_swarm()
                _created_marker(args.stack).unlink(missing_ok=True)
                print("left the swarm")
    except SwarmError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
