"""The Kubernetes manifests say the same as the app, gunicorn.conf.py, the Dockerfile and compose.

Each fact repeated across the deployments is read from its source here and compared, so that a
change in one place (a port, a health path, a setting's name or value, a grace period, the user)
fails a test until the others follow.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from werkzeug.test import Client

from app import create_app
from tests.k8s.render import (
    ROOT,
    by_kind,
    compose_environment,
    compose_file,
    container_env,
    containers,
    dockerfile_env,
    duration_seconds,
    gunicorn_settings,
    pod_spec,
)
from wsgistack.settings import ENV_PREFIX

Objects = list[dict[str, Any]]

# Set per replica on purpose: the pod name in Kubernetes, the container hostname under compose.
PER_REPLICA = {"APP_INSTANCE_NAME"}


def app_deployment(objects: Objects) -> dict[str, Any]:
    return by_kind(objects, "Deployment")["app"]


def app_container(objects: Objects) -> dict[str, Any]:
    return containers(app_deployment(objects))["app"]


def k8s_app_env(objects: Objects) -> dict[str, str]:
    """What the app process sees in Kubernetes: the image's ENV, then the manifest's."""
    explicit = container_env(objects, app_deployment(objects), app_container(objects))
    return {**dockerfile_env(), **explicit}


def compose_app_env() -> dict[str, str]:
    return {**dockerfile_env(), **compose_environment(compose_file()["services"]["app"])}


def bound_port(bind: list[str]) -> tuple[str, int]:
    host, _, port = bind[0].rpartition(":")
    return host, int(port)


def test_app_container_port_is_the_port_gunicorn_binds_in_the_image(base_objects: Objects) -> None:
    settings = gunicorn_settings(k8s_app_env(base_objects))
    host, port = bound_port(settings["bind"])
    # The kubelet's probes and the Service reach the pod's own address, not its loopback.
    assert host in {"0.0.0.0", "[::]", ""}
    (declared,) = app_container(base_objects)["ports"]
    assert declared["containerPort"] == port
    service = by_kind(base_objects, "Service")["app"]
    assert [p["port"] for p in service["spec"]["ports"]] == [port]


def test_app_listens_on_the_same_port_under_compose(base_objects: Objects) -> None:
    _, compose_port = bound_port(gunicorn_settings(compose_app_env())["bind"])
    (declared,) = app_container(base_objects)["ports"]
    assert declared["containerPort"] == compose_port


@pytest.mark.parametrize("probe", ["startupProbe", "livenessProbe", "readinessProbe"])
def test_app_probes_ask_routes_the_app_answers(base_objects: Objects, probe: str) -> None:
    check = app_container(base_objects)[probe]["httpGet"]
    assert check["port"] == app_container(base_objects)["ports"][0]["name"]
    client = Client(create_app({"TESTING": True}))
    response = client.get(check["path"])
    assert response.status_code == 200, f"{probe} {check['path']} -> {response.status_code}"
    assert json.loads(response.get_data())["status"] in {"ok", "ready"}


def test_readiness_uses_readyz_and_liveness_uses_healthz(base_objects: Objects) -> None:
    """Readiness gates traffic (/readyz is 503 until the app is initialised); liveness only
    restarts a hung process, so it must not fail while the app is merely not ready yet."""
    container = app_container(base_objects)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


def test_compose_healthcheck_asks_a_probe_route_on_the_same_port(base_objects: Objects) -> None:
    test = compose_file()["services"]["app"]["healthcheck"]["test"]
    command = " ".join(test) if isinstance(test, list) else str(test)
    paths = {
        app_container(base_objects)[p]["httpGet"]["path"]
        for p in ("livenessProbe", "readinessProbe")
    }
    assert any(path in command for path in paths), command
    port = app_container(base_objects)["ports"][0]["containerPort"]
    assert re.search(rf"\b{port}\b", command) or "PORT" in command, command


def test_every_app_variable_is_one_the_app_or_gunicorn_reads(base_objects: Objects) -> None:
    gunicorn_source = (ROOT / "gunicorn.conf.py").read_text()
    # The service's own variables (the example's DATABASE_* settings are read in app/db.py).
    service_source = "".join(path.read_text() for path in (ROOT / "app").rglob("*.py"))
    settings = create_app({"TESTING": True}).config
    env = container_env(base_objects, app_deployment(base_objects), app_container(base_objects))
    for name in env:
        if name.startswith(f"{ENV_PREFIX}_"):
            assert name.removeprefix(f"{ENV_PREFIX}_") in settings, f"{name}: app.config has no key"
        else:
            read = f'"{name}"' in gunicorn_source or f'"{name}"' in service_source
            assert read, f"{name}: neither gunicorn.conf.py nor the service (app/) reads it"


def test_app_environment_is_the_same_under_compose_and_kubernetes(base_objects: Objects) -> None:
    k8s, compose = k8s_app_env(base_objects), compose_app_env()
    names = (set(k8s) | set(compose)) - PER_REPLICA
    differences = {
        name: (compose.get(name), k8s.get(name))
        for name in sorted(names)
        if compose.get(name) != k8s.get(name)
    }
    assert differences == {}, "name: (compose, kubernetes)"


def test_app_reads_its_replica_name_from_the_pod(base_objects: Objects) -> None:
    (item,) = [e for e in app_container(base_objects)["env"] if e["name"] == "APP_INSTANCE_NAME"]
    assert item["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


def test_kubernetes_waits_longer_than_gunicorn_drains(base_objects: Objects) -> None:
    """SIGKILL comes after terminationGracePeriodSeconds, counted from the preStop hook's start."""
    settings = gunicorn_settings(k8s_app_env(base_objects))
    pre_stop = app_container(base_objects)["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = pod_spec(app_deployment(base_objects))["terminationGracePeriodSeconds"]
    assert pre_stop >= 1, "endpoints need a moment to drop the pod before SIGTERM"
    assert grace > pre_stop + settings["graceful_timeout"]


def test_compose_waits_longer_than_gunicorn_drains() -> None:
    settings = gunicorn_settings(compose_app_env())
    grace = duration_seconds(compose_file()["services"]["app"].get("stop_grace_period", "10s"))
    assert grace > settings["graceful_timeout"]


def test_app_runs_as_the_user_the_image_declares(base_objects: Objects) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    uids = set(re.findall(r"(?:--uid|-u)\s+(\d+)", dockerfile))
    uids |= set(re.findall(r"(?m)^USER\s+(\d+)", dockerfile))
    assert uids, "the Dockerfile should create its user with a fixed numeric uid"
    run_as = pod_spec(app_deployment(base_objects))["securityContext"]["runAsUser"]
    assert str(run_as) in uids


def test_images_are_the_ones_compose_builds_and_runs(base_objects: Objects) -> None:
    services = compose_file()["services"]
    app_image = app_container(base_objects)["image"]
    assert app_image == services["app"]["image"]
    nginx = containers(by_kind(base_objects, "Deployment")["nginx"])["nginx"]
    assert nginx["image"] == services["nginx"]["image"]
    for init in pod_spec(by_kind(base_objects, "Deployment")["nginx"]).get("initContainers", []):
        assert init["image"] == app_image


def k8s_memory_bytes(text: str) -> int:
    """Kubernetes quantities: Ki/Mi/Gi binary, k/M/G decimal."""
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi|k|M|G)?", text)
    assert match, f"not a Kubernetes memory quantity: {text!r}"
    scale = {None: 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "k": 1000, "M": 1000**2}
    return int(match.group(1)) * {**scale, "G": 1000**3}[match.group(2)]


def compose_memory_bytes(text: str | int) -> int:
    """Compose sizes (docker's RAMInBytes): b/k/m/g, any case, optional trailing b, binary."""
    match = re.fullmatch(r"(\d+)\s*([bkmg])?b?", str(text).strip().lower())
    assert match, f"not a compose memory size: {text!r}"
    return (
        int(match.group(1))
        * {None: 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]
    )


def cpus(value: str | int | float) -> float:
    text = str(value)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def test_app_limits_are_the_same_as_in_compose(base_objects: Objects) -> None:
    """gunicorn sizes its workers from the CPU limit: a different limit is a different service."""
    limits = compose_file()["services"]["app"]["deploy"]["resources"]["limits"]
    k8s_limits = app_container(base_objects)["resources"]["limits"]
    assert cpus(k8s_limits["cpu"]) == cpus(limits["cpus"])
    assert k8s_memory_bytes(k8s_limits["memory"]) == compose_memory_bytes(limits["memory"])
