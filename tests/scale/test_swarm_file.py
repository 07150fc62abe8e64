"""devtools.swarm makes a stack file of the Compose file, changing only what stacks cannot take."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import yaml

from devtools.swarm import APP_SERVICE, COMPOSE_FILE, compose_config, swarm_file
from tests.support.prereqs import require_docker

# The shape `docker compose config --format json` prints (trimmed to what matters here).
NORMALISED: dict[str, Any] = {
    "name": "wsgi-stack",
    "networks": {"backend": {"name": "wsgi-stack_backend", "ipam": {}, "internal": True}},
    "services": {
        "app": {
            "build": {"context": "/src", "dockerfile": "Dockerfile"},
            "image": "wsgi-stack-app:latest",
            "command": None,
            "read_only": True,
            "tmpfs": ["/tmp"],
            "environment": {"APP_TRUSTED_PROXY_COUNT": "1"},
            "healthcheck": {"test": ["CMD", "true"], "interval": "5s", "start_interval": "1s"},
            "deploy": {
                "replicas": 2,
                "update_config": {"order": "start-first", "failure_action": "rollback"},
                "resources": {"limits": {"cpus": 1, "memory": "536870912"}},
                "placement": {},
            },
            "networks": {"backend": None},
        },
        "nginx": {
            "image": "nginx:1.27",
            "depends_on": {"app": {"condition": "service_healthy", "required": True}},
            "ports": [
                {
                    "mode": "ingress",
                    "host_ip": "127.0.0.1",
                    "target": 8080,
                    "published": "8080",
                    "protocol": "tcp",
                }
            ],
            "networks": {"backend": None},
        },
    },
}


def test_swarm_file_drops_what_a_stack_rejects_and_keeps_the_rest() -> None:
    stack = swarm_file(NORMALISED)
    app, nginx = stack["services"]["app"], stack["services"]["nginx"]
    assert "name" not in stack
    assert "build" not in app and "command" not in app
    assert "start_interval" not in app["healthcheck"]
    assert nginx["depends_on"] == ["app"]
    # Kept as they are: the rollout policy, replicas, limits, hardening, environment.
    assert app["deploy"]["update_config"] == {"order": "start-first", "failure_action": "rollback"}
    assert app["deploy"]["replicas"] == 2
    assert app["deploy"]["resources"]["limits"] == {"cpus": "1", "memory": "536870912"}
    assert app["read_only"] is True
    assert app["environment"] == {"APP_TRUSTED_PROXY_COUNT": "1"}
    assert app["image"] == "wsgi-stack-app:latest"


def test_swarm_file_keeps_tmpfs_as_a_tmpfs_volume() -> None:
    app = swarm_file(NORMALISED)["services"]["app"]
    assert "tmpfs" not in app
    assert {"type": "tmpfs", "target": "/tmp"} in app["volumes"]


def test_swarm_file_publishes_on_the_node_without_the_routing_mesh() -> None:
    (port,) = swarm_file(NORMALISED)["services"]["nginx"]["ports"]
    assert port == {"target": 8080, "published": 8080, "protocol": "tcp", "mode": "host"}


def test_swarm_file_resolves_every_service_to_its_tasks_without_ipvs() -> None:
    # nginx sees every app replica, and `db` is reachable on hosts without the kernel's IPVS.
    stack = swarm_file(NORMALISED)
    assert stack["services"][APP_SERVICE]["deploy"]["endpoint_mode"] == "dnsrr"
    modes = {name: s["deploy"].get("endpoint_mode") for name, s in stack["services"].items()}
    assert set(modes.values()) == {"dnsrr"}, modes


def test_swarm_file_lets_the_stack_name_its_networks() -> None:
    network = swarm_file(NORMALISED)["networks"]["backend"]
    assert network == {"internal": True, "driver": "overlay", "attachable": True}


def test_swarm_file_does_not_change_its_input() -> None:
    before = json.dumps(NORMALISED, sort_keys=True)
    swarm_file(NORMALISED)
    assert json.dumps(NORMALISED, sort_keys=True) == before


def test_the_repository_compose_file_becomes_a_valid_stack_file(tmp_path: Any) -> None:
    """`docker stack config` applies the stack schema, offline, without a swarm."""
    require_docker()
    stack = swarm_file(compose_config())
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(stack))
    done = subprocess.run(
        ["docker", "stack", "config", "-c", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    rendered = yaml.safe_load(done.stdout)
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    assert set(rendered["services"]) == {
        name for name, service in compose["services"].items() if not service.get("profiles")
    }
    app = rendered["services"][APP_SERVICE]
    assert app["deploy"]["update_config"]["order"] == "start-first"
    assert app["deploy"]["update_config"]["failure_action"] == "rollback"
    assert app["deploy"]["restart_policy"]["condition"]
    assert app["deploy"]["resources"]["limits"]["memory"]
